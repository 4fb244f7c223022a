//! The device bridge against real brokers on loopback: the embedded one (rumqttd) and a
//! Mosquitto process, with simulated devices publishing real payloads.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opentill_hardware::contract::{Credential, CredentialKind, SlotCount};
use opentill_hardware::mqtt_sim::{Broker, Chaos, Gate, SimDevice, VendEnd, VendingMachine};
use serde_json::json;

use crate::{data, http, ok, store};

const PAY: &str = "134567890123456789";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `opentill-edge serve` as a child process; killed when dropped.
struct Agent {
    child: Child,
    port: u16,
    data: String,
    mqtt: String,
}

impl Agent {
    fn start(data: &str, mqtt: &str) -> Agent {
        Agent::start_with(data, mqtt, &[])
    }

    fn start_with(data: &str, mqtt: &str, extra: &[&str]) -> Agent {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_opentill-edge"))
            .args(["serve", "--data", data, "--listen", &format!("127.0.0.1:{port}"), "--mqtt", mqtt])
            .args(extra)
            .env("OPENTILL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let agent = Agent { child, port, data: data.to_string(), mqtt: mqtt.to_string() };
        wait_for("the agent's HTTP API", Duration::from_secs(20), || TcpStream::connect(("127.0.0.1", port)).is_ok());
        agent
    }

    fn get(&self, path: &str) -> serde_json::Value {
        let (status, body) = http(self.port, "GET", path, "");
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    fn sigkill_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        *self = Agent::start(&self.data.clone(), &self.mqtt.clone());
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn broker(port: u16) -> Broker {
    Broker { host: "127.0.0.1".into(), port, store: "SH001".into(), credentials: None }
}

fn slots() -> Vec<SlotCount> {
    vec![SlotCount { slot: "A1".into(), sku: "DRK-1".into(), count: 3 }, SlotCount { slot: "A2".into(), sku: "SNK-1".into(), count: 0 }]
}

fn has(list: &serde_json::Value, key: &str, value: &str) -> bool {
    list.as_array().is_some_and(|items| items.iter().any(|i| i[key].as_str() == Some(value)))
}

#[test]
fn vending_gates_alerts_and_bad_messages_over_the_embedded_broker() {
    let dir = store();
    let data = data(&dir);
    ok(&["stored-value", "top-up", "--data", &data, "--account", "M001", "--amount", "5.00"]);
    let pass = ok(&["pass", "issue", "--data", &data, "--account", "M001"]).trim().to_string();
    let mport = free_port();
    let agent = Agent::start(&data, &format!("embedded:127.0.0.1:{mport}"));
    let broker = broker(mport);

    let mut vm = VendingMachine::connect(&broker, "vm-1", slots());
    vm.patience = Duration::from_secs(15);
    wait_for("vm-1 in the registry", Duration::from_secs(10), || has(&agent.get("/api/devices"), "device", "vm-1"));
    let mut calm = Chaos::none();
    let member = Credential { kind: CredentialKind::MemberQr, value: pass.clone() };
    let wallet = Credential { kind: CredentialKind::PaymentCode, value: PAY.into() };
    assert!(matches!(vm.vend("A1", &wallet, &mut calm), VendEnd::Dispensed { charged: true, .. }));
    assert!(matches!(vm.vend("A1", &member, &mut calm), VendEnd::Dispensed { charged: true, .. }));
    assert_eq!(agent.get("/api/stored-value/M001")["balance_minor"], 150, "5.00 less one 3.50 drink");
    assert_eq!(vm.vend("A1", &member, &mut calm), VendEnd::Denied("insufficient_balance".into()));
    assert_eq!(vm.vend("A2", &wallet, &mut calm), VendEnd::Denied("sold_out".into()));
    let vends = agent.get("/api/vends");
    let states: Vec<&str> = vends.as_array().unwrap().iter().map(|v| v["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["charged", "charged", "denied", "denied"]);
    assert_eq!(agent.get("/api/reports/sales")["n_sales"], 2, "vend sales are in the journal like any sale");

    vm.report_telemetry(15.0, true);
    wait_for("temperature, door and restock alerts", Duration::from_secs(10), || {
        let alerts = agent.get("/api/alerts");
        ["temperature:vm-1", "door_open:vm-1", "restock:vm-1:A1", "restock:vm-1:A2"].iter().all(|id| has(&alerts, "alert_id", id))
    });

    let mut gate = Gate::connect(&broker, "gate-1");
    wait_for("gate-1 in the registry", Duration::from_secs(10), || has(&agent.get("/api/devices"), "device", "gate-1"));
    assert_eq!(gate.pass(&pass, "in", Duration::from_secs(10)), Some((true, "member".into())));
    assert_eq!(gate.pass("OTP1.M001.x.1.00", "in", Duration::from_secs(10)), Some((false, "bad_pass".into())));
    let pass_id = pass.split('.').nth(2).unwrap();
    ok(&["pass", "revoke", "--data", &data, "--pass", pass_id]);
    assert_eq!(gate.pass(&pass, "in", Duration::from_secs(10)), Some((false, "pass_revoked".into())));
    assert_eq!(gate.pass("anything", "out", Duration::from_secs(10)), Some((true, "exit".into())));
    // A repeated scan message gets the same answer and is journaled once.
    for _ in 0..2 {
        gate.device.publish("gate/gate-1/scan", "scan-again", json!({"code": pass, "direction": "in"}), false);
        let (_, answer) = gate.device.recv(Duration::from_secs(10)).expect("an answer to each repeat");
        assert_eq!((answer["open"].as_bool(), answer["reason"].as_str()), (Some(false), Some("pass_revoked")));
    }
    let journal: serde_json::Value = serde_json::from_str(&ok(&["journal", "export", "--data", &data])).unwrap();
    let passages: Vec<(bool, String)> = journal.as_array().unwrap().iter().filter(|e| e["kind"] == "gate_passed").map(|e| (e["body"]["opened"].as_bool().unwrap(), e["body"]["reason"].as_str().unwrap().to_string())).collect();
    let want = [(true, "member"), (false, "bad_pass"), (false, "pass_revoked"), (true, "exit"), (false, "pass_revoked")];
    assert_eq!(passages, want.map(|(o, r)| (o, r.to_string())), "every scan journaled once");

    // Bad input of every kind: refused, counted, and the agent carries on.
    let probe = SimDevice::connect(&broker, "probe-1", opentill_hardware::contract::DeviceKind::Other, &[]);
    wait_for("probe-1 in the registry", Duration::from_secs(10), || has(&agent.get("/api/devices"), "device", "probe-1"));
    probe.publish_raw("vend/vm-1/session", b"not json".to_vec(), false);
    probe.publish_raw("vend/vm-1/session", br#"{"id":"w1","ts":1,"slot":5,"credential":{"kind":"payment_code","value":"1"}}"#.to_vec(), false);
    probe.publish_raw("vend/vm-1/telemetry", vec![b' '; 20_000], false);
    probe.publish_raw("shelf/S1/weight", br#"{"id":"w2","ts":1,"slot":"1","grams":99999999}"#.to_vec(), false);
    probe.publish("vend/vm-404/session", "w3", json!({"slot": "A1", "credential": {"kind": "payment_code", "value": PAY}}), false);
    probe.publish_raw("vending/vm-1/session", b"{}".to_vec(), false);
    wait_for("every bad message counted", Duration::from_secs(10), || {
        let m = agent.get("/api/devices/metrics");
        let r = &m["rejected"];
        (r["json"].as_u64(), r["oversized"].as_u64(), r["field"].as_u64(), r["unknown_device"].as_u64(), r["topic"].as_u64()) == (Some(2), Some(1), Some(1), Some(1), Some(1))
    });
    assert!(matches!(vm.vend("A1", &wallet, &mut calm), VendEnd::Dispensed { charged: true, .. }), "still vending after bad input");

    // A device that drops off without a goodbye: its last will marks it offline.
    let mut lw = Command::new("mosquitto_sub")
        .args(["-p", &mport.to_string(), "-i", "scanner-lw", "-k", "5", "-t", "opentill/v1/SH001/nothing"])
        .args(["--will-topic", "opentill/v1/SH001/dev/sc-1/state", "--will-qos", "1", "--will-retain"])
        .args(["--will-payload", r#"{"id":"sc-1-will","ts":1,"online":false,"kind":"scanner"}"#])
        .stdout(Stdio::null())
        .spawn()
        .expect("mosquitto_sub (scripts/setup.sh installs mosquitto-clients)");
    let scanner = SimDevice::connect(&broker, "sc-1", opentill_hardware::contract::DeviceKind::Scanner, &[]);
    wait_for("sc-1 online", Duration::from_secs(10), || has(&agent.get("/api/devices"), "device", "sc-1"));
    std::thread::sleep(Duration::from_millis(500));
    lw.kill().unwrap();
    lw.wait().unwrap();
    wait_for("the offline alert", Duration::from_secs(20), || has(&agent.get("/api/alerts"), "alert_id", "device_offline:sc-1"));
    drop(scanner);
}

/// A Mosquitto broker as a child process, restartable on the same port.
struct Mosquitto {
    child: Child,
    port: u16,
    conf: std::path::PathBuf,
}

fn mosquitto_binary() -> &'static str {
    if Path::new("/usr/sbin/mosquitto").exists() { "/usr/sbin/mosquitto" } else { "mosquitto" }
}

impl Mosquitto {
    fn start(dir: &Path, port: u16, extra: &str) -> Mosquitto {
        let conf = dir.join(format!("mosquitto-{port}.conf"));
        std::fs::write(&conf, format!("listener {port} 127.0.0.1\npersistence false\n{extra}\n")).unwrap();
        let child = Self::spawn(&conf);
        wait_for("mosquitto", Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok());
        Mosquitto { child, port, conf }
    }

    fn spawn(conf: &Path) -> Child {
        Command::new(mosquitto_binary()).arg("-c").arg(conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("mosquitto (scripts/setup.sh installs it)")
    }

    fn restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        self.child = Self::spawn(&self.conf);
        let port = self.port;
        wait_for("mosquitto after a restart", Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok());
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Duplicated, dropped and late messages, broker restarts and SIGKILLs of the agent at
/// random points over many vends: the customer is charged for exactly the vends that
/// dropped a product. `RUN_SLOW_TESTS=1` runs ten times as many vends.
#[test]
fn vending_chaos_charges_exactly_the_dispensed_vends() {
    let vends_per_machine: usize = if std::env::var_os("RUN_SLOW_TESTS").is_some() { 120 } else { 12 };
    let seed: u64 = std::env::var("CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64);
    eprintln!("chaos seed {seed} (CHAOS_SEED={seed} repeats this run)");
    let dir = store();
    let data = data(&dir);
    ok(&["stored-value", "top-up", "--data", &data, "--account", "M001", "--amount", "100000"]);
    let pass = ok(&["pass", "issue", "--data", &data, "--account", "M001"]).trim().to_string();
    let mut mosquitto = Mosquitto::start(dir.path(), free_port(), "allow_anonymous true");
    let mut agent = Agent::start(&data, &format!("mqtt://127.0.0.1:{}", mosquitto.port));
    let broker = broker(mosquitto.port);

    let machines: Vec<_> = ["vm-1", "vm-2"]
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let broker = broker.clone();
            let pass = pass.clone();
            std::thread::spawn(move || {
                let big = vec![SlotCount { slot: "A1".into(), sku: "DRK-1".into(), count: 1_000 }, SlotCount { slot: "B1".into(), sku: "SNK-1".into(), count: 1_000 }];
                let mut vm = VendingMachine::connect(&broker, id, big);
                vm.retry = Duration::from_millis(300);
                vm.patience = Duration::from_secs(60);
                let mut chaos = Chaos::seeded(seed.wrapping_add(i as u64), 0.25, 0.25, 0.15);
                let member = Credential { kind: CredentialKind::MemberQr, value: pass };
                let wallet = Credential { kind: CredentialKind::PaymentCode, value: PAY.into() };
                let mut ends = Vec::new();
                for n in 0..vends_per_machine {
                    // Inventory can be lost while the agent is down; repeat it now and then.
                    if n % 4 == 0 {
                        vm.report_inventory();
                    }
                    let (slot, credential) = if n % 2 == 0 { ("A1", &wallet) } else { ("B1", &member) };
                    ends.push(vm.vend(slot, credential, &mut chaos));
                }
                let ledger = vm.ledger.lock().unwrap().clone();
                (ends, ledger)
            })
        })
        .collect();

    let mut rng = seed;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut kills, mut restarts) = (0, 0);
    while !machines.iter().all(|m| m.is_finished()) {
        std::thread::sleep(Duration::from_millis(400 + next() % 1200));
        if machines.iter().all(|m| m.is_finished()) {
            break;
        }
        if next() % 2 == 0 {
            agent.sigkill_and_restart();
            kills += 1;
        } else {
            mosquitto.restart();
            restarts += 1;
        }
    }
    let mut dispensed = std::collections::HashSet::new();
    let mut denied = 0;
    for m in machines {
        let (ends, ledger) = m.join().unwrap();
        for end in &ends {
            assert!(!matches!(end, VendEnd::Unacknowledged(_)), "every result is acknowledged in the end: {end:?}");
            if let VendEnd::Denied(reason) = end {
                panic!("no vend should be denied here, got {reason}");
            }
        }
        denied += ledger.denied.len();
        dispensed.extend(ledger.dispensed);
    }
    let vends = agent.get("/api/vends");
    let charged: std::collections::HashSet<String> = vends.as_array().unwrap().iter().filter(|v| v["state"] == "charged").map(|v| v["vend_id"].as_str().unwrap().to_string()).collect();
    eprintln!("{} vends dispensed, {kills} agent SIGKILLs, {restarts} broker restarts", dispensed.len());
    assert!(kills + restarts > 0, "the chaos must have happened");
    assert_eq!(denied, 0);
    assert_eq!(charged, dispensed, "charged exactly the dispensed vends");
    assert_eq!(agent.get("/api/reports/sales")["n_sales"].as_u64(), Some(dispensed.len() as u64), "one sale per dispensed vend");
    let out = ok(&["journal", "verify", "--data", &data]);
    assert!(out.contains("journal OK"), "{out}");
}

/// `mqtt-config` writes a Mosquitto configuration under which every device has its own
/// password and may publish and read only under its own topics.
#[test]
fn mosquitto_with_the_generated_acl_keeps_each_device_to_its_own_topics() {
    let dir = store();
    let data = data(&dir);
    let conf = dir.path().join("mqtt");
    let port = free_port();
    let conf_s = conf.to_str().unwrap();
    ok(&["mqtt-config", "--data", &data, "--out", conf_s, "--device", "vm-1:vending", "--device", "vm-2:vending", "--listen", &format!("127.0.0.1:{port}")]);
    let again = crate::edge(&["mqtt-config", "--data", &data, "--out", conf_s, "--device", "vm-1:vending"]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("--force"), "no silent overwrite of the passwords");
    let credentials = std::fs::read_to_string(conf.join("credentials.txt")).unwrap();
    let password = |user: &str| credentials.lines().find_map(|l| l.strip_prefix(&format!("{user} "))).unwrap().to_string();
    let mut broker = Command::new(mosquitto_binary()).arg("-c").arg(conf.join("mosquitto.conf")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("mosquitto");
    wait_for("mosquitto", Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok());
    let p = "opentill/v1/SH001";
    let port_s = port.to_string();
    let sub = |user: &str, topic: &str, count: &str| {
        Command::new("mosquitto_sub").args(["-p", &port_s, "-u", user, "-P", &password(user), "-t", topic, "-C", count, "-W", "10", "-v"]).stdout(Stdio::piped()).spawn().unwrap()
    };
    let publish = |user: &str, pw: &str, topic: &str, msg: &str| Command::new("mosquitto_pub").args(["-p", &port_s, "-u", user, "-P", pw, "-q", "1", "-t", topic, "-m", msg]).output().unwrap().status.success();

    let agent = sub("opentill-agent", &format!("{p}/#"), "2");
    let vm1 = sub("vm-1", &format!("{p}/vend/+/command"), "1");
    std::thread::sleep(Duration::from_millis(500));
    assert!(publish("vm-1", &password("vm-1"), &format!("{p}/vend/vm-1/session"), "own-1"));
    // Mosquitto drops a publish the ACL denies (MQTT 3.1.1 has no way to say so).
    publish("vm-1", &password("vm-1"), &format!("{p}/vend/vm-2/session"), "forged");
    publish("vm-1", &password("vm-1"), &format!("{p}/vend/vm-1/command"), "forged-command");
    assert!(publish("vm-1", &password("vm-1"), &format!("{p}/vend/vm-1/result"), "own-2"));
    assert!(!publish("vm-1", "wrong-password", &format!("{p}/vend/vm-1/result"), "x"), "a wrong password is refused");
    assert!(!Command::new("mosquitto_pub").args(["-p", &port_s, "-t", &format!("{p}/dev/x/state"), "-m", "x"]).output().unwrap().status.success(), "anonymous is refused");
    let seen = String::from_utf8(agent.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(seen, format!("{p}/vend/vm-1/session own-1\n{p}/vend/vm-1/result own-2\n"));
    // vm-1 cannot read vm-2's commands: it gets only its own.
    assert!(publish("opentill-agent", &password("opentill-agent"), &format!("{p}/vend/vm-2/command"), "for-vm-2"));
    assert!(publish("opentill-agent", &password("opentill-agent"), &format!("{p}/vend/vm-1/command"), "for-vm-1"));
    let seen = String::from_utf8(vm1.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(seen, format!("{p}/vend/vm-1/command for-vm-1\n"));
    let _ = broker.kill();
    let _ = broker.wait();
}

/// A smart shelf: its labels are retained and follow the catalog's price; its weight
/// readings become item counts and low-shelf alerts.
#[test]
fn shelf_labels_follow_prices_and_readings_raise_low_shelf_alerts() {
    let dir = store();
    let data = data(&dir);
    ok(&["shelf", "set", "--data", &data, "--shelf", "S1", "--slot", "1", "--sku", "DRK-1", "--unit-grams", "350", "--tolerance-grams", "20", "--par", "2"]);
    let bad = crate::edge(&["shelf", "set", "--data", &data, "--shelf", "S1", "--slot", "2", "--sku", "NOPE", "--unit-grams", "350"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("NOPE"));
    let mport = free_port();
    let agent = Agent::start_with(&data, &format!("embedded:127.0.0.1:{mport}"), &["--shrink-window-secs", "2"]);
    let shelf = SimDevice::connect(&broker(mport), "S1", opentill_hardware::contract::DeviceKind::Shelf, &["shelf/S1/label/+".into()]);
    let label = |want: i64| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some((topic, msg)) = shelf.recv(Duration::from_millis(100))
                && topic == "opentill/v1/SH001/shelf/S1/label/1"
                && msg["price_minor"] == want
            {
                return msg;
            }
        }
        panic!("no label at {want}");
    };
    let first = label(350);
    assert_eq!((first["sku"].as_str(), first["name_zh"].as_str()), (Some("DRK-1"), Some("可口可乐 330ml")));

    let csv = dir.path().join("price.csv");
    std::fs::write(&csv, crate::CATALOG.replace("DRK-1,6901234567892,Coca-Cola 330ml,可口可乐 330ml,3.50", "DRK-1,6901234567892,Coca-Cola 330ml,可口可乐 330ml,3.80")).unwrap();
    ok(&["import", "products", csv.to_str().unwrap(), "--data", &data]);
    label(380);

    // A promotion on the drinks: the label says so within a second; removed, it goes.
    let labelled = |want: Option<&str>| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some((topic, msg)) = shelf.recv(Duration::from_millis(100))
                && topic == "opentill/v1/SH001/shelf/S1/label/1"
                && msg["promo_zh"].as_str() == want
            {
                return msg;
            }
        }
        panic!("no label with promo {want:?}");
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let promo = dir.path().join("promo.json");
    let write = |percent_bp: i64| {
        std::fs::write(&promo, json!({"id": "drinks-15", "kind": {"PercentOff": {"scope": {"Categories": ["drinks"]}, "percent_bp": percent_bp}}, "window": {"from_ms": now - 3_600_000, "to_ms": now + 3_600_000}}).to_string()).unwrap();
    };
    write(15_000);
    let bad = crate::edge(&["promo", "put", "--data", &data, promo.to_str().unwrap()]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("drinks-15"), "{}", String::from_utf8_lossy(&bad.stderr));
    write(1_500);
    let put_at = Instant::now();
    ok(&["promo", "put", "--data", &data, promo.to_str().unwrap()]);
    let with_promo = labelled(Some("8.5折"));
    assert!(put_at.elapsed() < Duration::from_millis(1_500), "label republished in {:?}", put_at.elapsed());
    assert_eq!((with_promo["promo"].as_str(), with_promo["price_minor"].as_i64()), (Some("15% off"), Some(380)));
    assert!(ok(&["promo", "list", "--data", &data]).contains("drinks-15\trunning\t15% off"));
    ok(&["promo", "remove", "--data", &data, "--id", "drinks-15"]);
    labelled(None);

    wait_for("S1 in the registry", Duration::from_secs(10), || has(&agent.get("/api/devices"), "device", "S1"));
    shelf.publish("shelf/S1/weight", "w-1", json!({"slot": "1", "grams": 1046}), false);
    shelf.publish("shelf/S1/weight", "w-2", json!({"slot": "1", "grams": 352}), false);
    wait_for("the low-shelf alert", Duration::from_secs(10), || has(&agent.get("/api/alerts"), "alert_id", "low_shelf:S1:1"));
    // Two items left the shelf; one is paid for at the till: shrink of one.
    ok(&["sale", "--data", &data, "--scan", "6901234567892", "--tender", "cash:10"]);
    wait_for("the shrink alert", Duration::from_secs(15), || {
        agent.get("/api/alerts").as_array().unwrap().iter().any(|a| a["kind"] == "shrink" && a["detail"].as_str().unwrap().starts_with("1 × DRK-1 left shelf S1 slot 1"))
    });
    let listed = ok(&["shelf", "list", "--data", &data]);
    assert!(listed.contains("S1/1\tDRK-1\t350 g ± 20 g\tpar 2\t1 (352 g)"), "{listed}");
}

/// A CA, and a certificate for `localhost` / 127.0.0.1 signed by it, made with the
/// openssl command (scripts/setup.sh installs it).
fn tls_files(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let [ca_key, ca, key, csr, cert, ext] = ["ca.key", "ca.pem", "server.key", "server.csr", "server.pem", "san.ext"].map(|f| dir.join(format!("{name}-{f}")));
    std::fs::write(&ext, "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().expect("openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let p = |p: &std::path::PathBuf| p.to_str().unwrap().to_string();
    openssl(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &p(&ca_key), "-out", &p(&ca), "-days", "2", "-subj", &format!("/CN=OpenTill test CA {name}")]);
    openssl(&["req", "-newkey", "rsa:2048", "-nodes", "-keyout", &p(&key), "-out", &p(&csr), "-subj", "/CN=localhost"]);
    openssl(&["x509", "-req", "-in", &p(&csr), "-CA", &p(&ca), "-CAkey", &p(&ca_key), "-CAcreateserial", "-out", &p(&cert), "-days", "2", "-extfile", &p(&ext)]);
    (ca, cert, key)
}

#[test]
fn the_agent_reaches_an_external_broker_over_tls_and_refuses_a_certificate_it_cannot_trust() {
    let dir = store();
    let data = data(&dir);
    let (ca, cert, key) = tls_files(dir.path(), "good");
    let (other_ca, _, _) = tls_files(dir.path(), "other");
    let port = free_port();
    // Mosquitto started by root drops to its own user, who cannot read our temporary
    // directory: keep it as whoever runs the test.
    let me = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let _broker = Mosquitto::start(dir.path(), port, &format!("user {}\nallow_anonymous true\ncafile {}\ncertfile {}\nkeyfile {}", me.trim(), ca.display(), cert.display(), key.display()));
    let announce = |id: &str| {
        let out = Command::new("mosquitto_pub")
            .args(["-h", "localhost", "-p", &port.to_string(), "--cafile", ca.to_str().unwrap(), "-q", "1", "-r", "-t", &format!("opentill/v1/SH001/dev/{id}/state")])
            .args(["-m", &json!({"id": format!("{id}-on"), "ts": 1, "online": true, "kind": "shelf"}).to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    announce("S-tls");
    // Trusting the wrong CA: the agent runs, but nothing gets through.
    let untrusting = Agent::start_with(&data, &format!("mqtts://localhost:{port}"), &["--mqtt-ca", other_ca.to_str().unwrap()]);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(untrusting.get("/api/devices").as_array().unwrap().len(), 0, "a broker whose certificate is not trusted is not used");
    drop(untrusting);
    let bad_ca = crate::edge(&["serve", "--data", &data, "--listen", "127.0.0.1:0", "--mqtt", &format!("mqtts://localhost:{port}"), "--mqtt-ca", key.to_str().unwrap()]);
    assert!(!bad_ca.status.success() && String::from_utf8_lossy(&bad_ca.stderr).contains("holds no PEM certificate"), "{}", String::from_utf8_lossy(&bad_ca.stderr));
    // Trusting the right one: the retained announcement arrives over TLS.
    let agent = Agent::start_with(&data, &format!("mqtts://localhost:{port}"), &["--mqtt-ca", ca.to_str().unwrap()]);
    wait_for("the device announced over TLS", Duration::from_secs(10), || has(&agent.get("/api/devices"), "device", "S-tls"));
}

/// The processes whose parent is `pid` and whose command line holds `word`.
fn children_running(pid: u32, word: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)).and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).unwrap_or("");
        if ppid == Some(pid) && state != "Z" && String::from_utf8_lossy(&cmdline).split('\0').any(|a| a == word) {
            found.push(child);
        }
    }
    found
}

#[test]
fn the_embedded_broker_is_its_own_process_started_again_when_it_dies_and_gone_with_the_agent() {
    let dir = store();
    let data = data(&dir);
    let mport = free_port();
    let agent = Agent::start(&data, &format!("embedded:127.0.0.1:{mport}"));
    let brokers = children_running(agent.child.id(), "broker");
    assert_eq!(brokers.len(), 1, "one broker process under the agent");
    let first = brokers[0];
    wait_for("the bridge connected", Duration::from_secs(10), || agent.get("/api/devices/metrics")["connected"] == true);
    let mut vm = VendingMachine::connect(&broker(mport), "vm-1", slots());
    vm.patience = Duration::from_secs(15);
    wait_for("vm-1 in the registry", Duration::from_secs(10), || has(&agent.get("/api/devices"), "device", "vm-1"));
    drop(vm);

    // The broker crashes: the agent keeps serving, starts another, and its bridge
    // reconnects and subscribes again (the new broker knows nothing of the old sessions).
    Command::new("kill").args(["-9", &first.to_string()]).status().unwrap();
    wait_for("a new broker process", Duration::from_secs(10), || children_running(agent.child.id(), "broker").iter().any(|&p| p != first));
    assert_eq!(agent.get("/api/devices/metrics")["handled"].as_u64().map(|n| n >= 1), Some(true), "the API kept answering");
    wait_for("the bridge connected to the new broker", Duration::from_secs(15), || agent.get("/api/devices/metrics")["connected"] == true);
    let mut vm = VendingMachine::connect(&broker(mport), "vm-2", slots());
    vm.patience = Duration::from_secs(15);
    wait_for("vm-2 in the registry", Duration::from_secs(15), || has(&agent.get("/api/devices"), "device", "vm-2"));
    let wallet = Credential { kind: CredentialKind::PaymentCode, value: PAY.into() };
    let end = vm.vend("A1", &wallet, &mut Chaos::none());
    assert!(matches!(end, VendEnd::Dispensed { charged: true, .. }), "vending through the new broker: {end:?}");
    drop(vm);

    // The agent dies without a word: its broker goes with it and frees the port.
    let second = children_running(agent.child.id(), "broker")[0];
    drop(agent);
    wait_for("the broker gone with its agent", Duration::from_secs(5), || !Path::new(&format!("/proc/{second}/cmdline")).exists() || std::fs::read(format!("/proc/{second}/cmdline")).unwrap_or_default().is_empty());
    wait_for("the MQTT port free again", Duration::from_secs(5), || std::net::TcpListener::bind(("127.0.0.1", mport)).is_ok());
}

#[test]
fn network_scanners_reach_the_till_listening_for_their_lane() {
    use std::io::{BufRead, BufReader, Write};
    let dir = store();
    let data = data(&dir);
    let mport = free_port();
    let agent = Agent::start(&data, &format!("embedded:127.0.0.1:{mport}"));
    wait_for("the bridge connected", Duration::from_secs(10), || agent.get("/api/devices/metrics")["connected"] == true);
    let mut events = TcpStream::connect(("127.0.0.1", agent.port)).unwrap();
    events.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    write!(events, "GET /api/scans/events?scanner=lane-1 HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n").unwrap();
    let mut events = BufReader::new(events);
    let mut status = String::new();
    events.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");

    let kind = opentill_hardware::contract::DeviceKind::Scanner;
    let lane1 = SimDevice::connect(&broker(mport), "lane-1", kind, &[]);
    let lane2 = SimDevice::connect(&broker(mport), "lane-2", kind, &[]);
    wait_for("both scanners registered", Duration::from_secs(10), || ["lane-1", "lane-2"].iter().all(|d| has(&agent.get("/api/devices"), "device", d)));
    // A scanner that never announced itself is refused; the other lane's scan is not ours.
    lane2.publish("scanner/ghost/scan", "g1", json!({"code": "6920152400012"}), false);
    lane2.publish("scanner/lane-2/scan", "s2", json!({"code": "6907992100012"}), false);
    lane1.publish("scanner/lane-1/scan", "s1", json!({"code": "6901234567892"}), false);
    std::thread::sleep(Duration::from_millis(200));
    lane2.publish("scanner/lane-2/scan", "s4", json!({"code": "6907992100012"}), false);
    lane1.publish("scanner/lane-1/scan", "s3", json!({"code": "6920152400012"}), false);
    let mut scans = Vec::new();
    for line in (&mut events).lines() {
        let line = line.expect("events within 15 s");
        if let Some(json) = line.strip_prefix("data:") {
            let scan: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
            scans.push((scan["scanner"].as_str().unwrap().to_string(), scan["id"].as_str().unwrap().to_string(), scan["code"].as_str().unwrap().to_string()));
            if scans.len() == 2 {
                break;
            }
        }
    }
    let want = [("lane-1", "s1", "6901234567892"), ("lane-1", "s3", "6920152400012")].map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    assert_eq!(scans, want, "only lane-1's scans reach this till, in order");
    wait_for("the ghost refused", Duration::from_secs(10), || agent.get("/api/devices/metrics")["rejected"]["unknown_device"].as_u64() == Some(1));
}
