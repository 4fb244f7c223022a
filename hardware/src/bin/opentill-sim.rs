//! `opentill-sim`: simulated devices that speak the real wire.
//!
//! `opentill-sim printer --listen 127.0.0.1:9100 [--serial] [--out DIR] [--state ready|paper-out|cover-open|offline|paper-near-end]`
//! is an ESC/POS network printer: it answers DLE EOT status requests as a printer in that
//! state would, decodes every job back into text and prints it on standard output; with
//! `--out` it also writes `receipt-N.txt`, `receipt-N.qr` and `receipt-N.bin` (raw bytes).

use std::net::TcpListener;
use std::path::PathBuf;

use opentill_hardware::receipt_printer::PrinterState;
use opentill_hardware::sim::PrinterSim;

fn parse_state(text: &str) -> Option<PrinterState> {
    Some(match text.trim() {
        "ready" => PrinterState::Ready,
        "paper-out" => PrinterState::PaperOut,
        "cover-open" => PrinterState::CoverOpen,
        "offline" => PrinterState::Offline,
        "paper-near-end" => PrinterState::PaperNearEnd,
        _ => return None,
    })
}

fn usage() -> ! {
    eprintln!("usage: opentill-sim printer --listen ADDR [--serial] [--out DIR] [--state ready|paper-out|cover-open|offline|paper-near-end]");
    eprintln!("       opentill-sim scale [--weight KG]      a Toledo 8217 scale on a pseudo-terminal");
    eprintln!("       opentill-sim scanner                  a serial scanner on a pseudo-terminal: type codes, one a line");
    eprintln!("       opentill-sim devices --broker HOST:PORT --store ID [--pass TOKEN] [--skus A,B,C,D] [--every SECS]");
    eprintln!("                                             two vending machines, a gate and a smart shelf over MQTT");
    std::process::exit(2);
}

fn scale(mut args: impl Iterator<Item = String>) {
    let mut grams = 532;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--weight", Some(v)) => {
                let kg: f64 = v.parse().unwrap_or_else(|_| usage());
                grams = (kg * 1000.0).round() as i64;
            }
            _ => usage(),
        }
    }
    let sim = opentill_hardware::sim::ScaleSim::start(opentill_hardware::scale::Reading::Stable(grams)).unwrap_or_else(|e| {
        eprintln!("opentill-sim: cannot open a pseudo-terminal: {e}");
        std::process::exit(1);
    });
    println!("scale on {} showing {grams} g; type a weight in kg (or `motion`) and Enter to change it", sim.path.display());
    for line in std::io::stdin().lines().map_while(Result::ok) {
        match line.trim() {
            "motion" => sim.set(opentill_hardware::scale::Reading::InMotion),
            text => match text.parse::<f64>() {
                Ok(kg) if kg >= 0.0 => sim.set(opentill_hardware::scale::Reading::Stable((kg * 1000.0).round() as i64)),
                _ => eprintln!("a weight in kg, or `motion`"),
            },
        }
    }
}

fn scanner() {
    use std::io::Write;
    let (mut master, slave) = serialport::TTYPort::pair().unwrap_or_else(|e| {
        eprintln!("opentill-sim: cannot open a pseudo-terminal: {e}");
        std::process::exit(1);
    });
    println!("scanner on {}; type codes, one a line", serialport::SerialPort::name(&slave).unwrap_or_default());
    for line in std::io::stdin().lines().map_while(Result::ok) {
        if master.write_all(format!("{}\r", line.trim()).as_bytes()).is_err() {
            break;
        }
    }
    drop(slave);
}

fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("printer") => {}
        Some("scale") => return scale(args),
        Some("scanner") => return scanner(),
        Some("devices") => return devices(args),
        _ => usage(),
    }
    let (mut listen, mut out, mut state, mut serial) = (String::from("127.0.0.1:9100"), None::<PathBuf>, PrinterState::Ready, false);
    while let Some(arg) = args.next() {
        if arg == "--serial" {
            serial = true;
            continue;
        }
        match (arg.as_str(), args.next()) {
            ("--listen", Some(v)) => listen = v,
            ("--out", Some(v)) => out = Some(v.into()),
            ("--state", Some(v)) => state = parse_state(&v).unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    if let Some(dir) = &out
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("opentill-sim: cannot create {}: {e}", dir.display());
        std::process::exit(1);
    }
    let show = |number: usize, job: &opentill_hardware::escpos_decode::Job| {
        println!("----- receipt {number} -----\n{}[QR: {}] [drawer kicks: {}]", job.text(), job.qr_codes.join(", "), job.drawer_kicks);
    };
    if serial {
        // The same printer on a serial port (a pseudo-terminal): print to serial:PATH.
        let sim = PrinterSim::new(out);
        sim.set_state(state);
        match sim.start_serial(show) {
            Ok(path) => println!("printer simulator ({}) on serial:{}", state.message().1, path.display()),
            Err(e) => {
                eprintln!("opentill-sim: cannot open a pseudo-terminal: {e}");
                std::process::exit(1);
            }
        }
        loop {
            std::thread::park();
        }
    }
    let listener = TcpListener::bind(&listen).unwrap_or_else(|e| {
        eprintln!("opentill-sim: cannot listen on {listen}: {e}");
        std::process::exit(1);
    });
    println!("printer simulator ({}) listening on {}", state.message().1, listener.local_addr().map(|a| a.to_string()).unwrap_or(listen));
    let sim = PrinterSim::new(out);
    sim.set_state(state);
    sim.serve(listener, |number, job| {
        println!("----- receipt {number} -----\n{}[QR: {}] [drawer kicks: {}]", job.text(), job.qr_codes.join(", "), job.drawer_kicks);
    });
}

/// A living store over MQTT: two vending machines, an entry gate and a smart shelf, each
/// on its own thread, serving a customer every few seconds.
fn devices(mut args: impl Iterator<Item = String>) {
    use opentill_hardware::contract::{Credential, CredentialKind, DeviceKind, SlotCount};
    use opentill_hardware::mqtt_sim::{Broker, Chaos, Gate, SimDevice, VendEnd, VendingMachine};
    use std::time::Duration;

    let (mut broker, mut store, mut pass, mut every) = (String::from("127.0.0.1:1883"), String::new(), None::<String>, 4.0_f64);
    let mut skus: Vec<String> = ["DRK-00001", "DRK-00002", "DRK-00003", "DRK-00004"].map(String::from).to_vec();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--broker", Some(v)) => broker = v,
            ("--store", Some(v)) => store = v,
            ("--pass", Some(v)) => pass = Some(v.trim().to_string()).filter(|p| !p.is_empty()),
            ("--skus", Some(v)) => skus = v.split(',').map(|s| s.trim().to_string()).collect(),
            ("--every", Some(v)) => every = v.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let (host, port) = broker.rsplit_once(':').and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?))).unwrap_or_else(|| usage());
    if store.is_empty() || skus.len() < 2 {
        usage();
    }
    let shown = format!("mqtt://{host}:{port} (store {store})");
    let broker = Broker { host, port, store, credentials: None };
    let pause = move |n: u64| std::thread::sleep(Duration::from_millis((every * 1000.0) as u64 + n * 997 % 1500));
    let mut threads = Vec::new();
    for (i, machine) in ["vm-1", "vm-2"].into_iter().enumerate() {
        let (broker, pass, skus) = (broker.clone(), pass.clone(), skus.clone());
        threads.push(std::thread::spawn(move || {
            let slots: Vec<SlotCount> = skus.iter().enumerate().map(|(j, sku)| SlotCount { slot: format!("A{}", j + 1), sku: sku.clone(), count: 6 }).collect();
            let mut vm = VendingMachine::connect(&broker, machine, slots.clone());
            let mut calm = Chaos::seeded(i as u64, 0.0, 0.0, 0.1);
            for n in 0u64.. {
                pause(n + i as u64);
                let slot = &slots[(n as usize + i) % slots.len()].slot;
                let credential = match (&pass, n % 2) {
                    (Some(token), 0) => Credential { kind: CredentialKind::MemberQr, value: token.clone() },
                    _ => Credential { kind: CredentialKind::PaymentCode, value: format!("13{:016}", 4_567_890_123_456_789u64 + n) },
                };
                let end = vm.vend(slot, &credential, &mut calm);
                let what = match &end {
                    VendEnd::Dispensed { charged, .. } => format!("dispensed, charged: {charged}"),
                    VendEnd::Failed(_) => "failed (motor jam), not charged".into(),
                    VendEnd::Denied(reason) => format!("denied: {reason}"),
                    VendEnd::Abandoned => "no answer from the agent".into(),
                    VendEnd::Unacknowledged(_) => "result not acknowledged".into(),
                };
                println!("{machine} {slot} ({}): {what}", credential.kind_name());
                if n % 5 == 4 {
                    vm.report_telemetry(if n % 20 == 19 { 12.5 } else { 4.0 }, false);
                }
            }
        }));
    }
    {
        let (broker, pass) = (broker.clone(), pass.clone());
        threads.push(std::thread::spawn(move || {
            let mut gate = Gate::connect(&broker, "gate-1");
            for n in 0u64.. {
                pause(n + 3);
                let (code, direction) = match (&pass, n % 3) {
                    (_, 2) => ("-".to_string(), "out"),
                    (Some(token), 0) => (token.clone(), "in"),
                    _ => ("OTP1.M999.forged.1.00".to_string(), "in"),
                };
                match gate.pass(&code, direction, Duration::from_secs(5)) {
                    Some((open, reason)) => println!("gate-1 {direction}: {} ({reason})", if open { "open" } else { "refused" }),
                    None => println!("gate-1 {direction}: no answer from the agent"),
                }
            }
        }));
    }
    threads.push(std::thread::spawn(move || {
        let shelf = SimDevice::connect(&broker, "S1", DeviceKind::Shelf, &["shelf/S1/label/+".to_string()]);
        let unit = [350_i64, 320, 520];
        let mut counts = [8_i64, 8, 8];
        for n in 0u64.. {
            pause(n + 5);
            let slot = (n % 3) as usize;
            counts[slot] = if counts[slot] <= 1 { 8 } else { counts[slot] - 1 };
            let id = format!("S1-w-{n}-{}", opentill_hardware::mqtt_sim::now_ms());
            shelf.publish("shelf/S1/weight", &id, serde_json::json!({"slot": (slot + 1).to_string(), "grams": counts[slot] * unit[slot] + 3}), false);
            println!("S1 slot {}: {} items ({} g)", slot + 1, counts[slot], counts[slot] * unit[slot] + 3);
            while let Some((topic, label)) = shelf.recv(Duration::from_millis(1)) {
                println!("S1 label {}: {} ¥{}.{:02}", topic.rsplit('/').next().unwrap_or(""), label["name_zh"].as_str().unwrap_or(""), label["price_minor"].as_i64().unwrap_or(0) / 100, label["price_minor"].as_i64().unwrap_or(0) % 100);
            }
        }
    }));
    println!("simulating vm-1, vm-2, gate-1 and shelf S1 against {shown}; Ctrl-C stops");
    for t in threads {
        let _ = t.join();
    }
}
