//! Simulated MQTT devices: a vending machine, a gate and a smart shelf that speak the
//! device contract v1 (see `docs/devices.md`) to a real broker.
//!
//! The vending machine behaves as a careful real one does: it repeats its session until
//! it gets the command that answers it, dispenses each vend id at most once and never
//! after the hold's end, and repeats its result until the agent acknowledges it. Its
//! [`Ledger`] is the ground truth the vending tests compare the agent's charges with.
//! [`Chaos`] makes it duplicate, drop and delay its own messages.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rumqttc::{Client, Event, LastWill, MqttOptions, Packet, QoS};
use serde::Deserialize;
use serde_json::json;

use crate::contract::{self, Credential, DeviceKind, SlotCount};

/// Unix ms now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Where a simulated device connects.
#[derive(Clone, Debug)]
pub struct Broker {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// The store id in topics.
    pub store: String,
    /// `user:password`, when the broker asks for one.
    pub credentials: Option<(String, String)>,
}

/// One simulated device's MQTT connection: publishes with QoS 1 under its own topics and
/// receives what the agent sends it.
pub struct SimDevice {
    client: Client,
    /// The device id.
    pub id: String,
    store: String,
    incoming: Receiver<(String, Vec<u8>)>,
    seq: u64,
}

impl SimDevice {
    /// Connects as `id` of `kind`, with a retained last will that says it went offline,
    /// announces itself online and subscribes to `subscribe` (topic suffixes after the
    /// store prefix). Reconnects by itself for as long as it lives.
    pub fn connect(broker: &Broker, id: &str, kind: DeviceKind, subscribe: &[String]) -> SimDevice {
        let state_topic = contract::state_topic(&broker.store, id);
        let mut options = MqttOptions::new(format!("sim-{id}"), broker.host.clone(), broker.port);
        options.set_keep_alive(Duration::from_secs(5)).set_clean_session(true).set_max_packet_size(256 * 1024, 256 * 1024);
        let will = json!({"id": format!("{id}-will"), "ts": now_ms(), "online": false, "kind": kind.as_str()}).to_string();
        options.set_last_will(LastWill::new(state_topic.clone(), will, QoS::AtLeastOnce, true));
        if let Some((user, password)) = &broker.credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        let (client, mut connection) = Client::new(options, 100);
        // Queued now, sent first once connected; repeated after every reconnect below.
        for f in subscribe.iter().map(|s| format!("{}{s}", contract::prefix(&broker.store))) {
            let _ = client.subscribe(f, QoS::AtLeastOnce);
        }
        let (tx, incoming): (Sender<(String, Vec<u8>)>, _) = channel();
        let prefix = contract::prefix(&broker.store);
        let filters: Vec<String> = subscribe.iter().map(|s| format!("{prefix}{s}")).collect();
        let on_connect = client.clone();
        let online = json!({"id": format!("{id}-online"), "ts": now_ms(), "online": true, "kind": kind.as_str()}).to_string();
        let _ = client.publish(state_topic.clone(), QoS::AtLeastOnce, true, online.clone());
        std::thread::Builder::new()
            .name(format!("sim-{id}"))
            .spawn(move || {
                for event in connection.iter() {
                    match event {
                        Ok(Event::Incoming(Packet::ConnAck(_))) => {
                            for f in &filters {
                                let _ = on_connect.try_subscribe(f.clone(), QoS::AtLeastOnce);
                            }
                            let _ = on_connect.try_publish(state_topic.clone(), QoS::AtLeastOnce, true, online.clone());
                        }
                        Ok(Event::Incoming(Packet::Publish(p))) => {
                            if tx.send((p.topic.clone(), p.payload.to_vec())).is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        Err(rumqttc::ConnectionError::RequestsDone) => return,
                        Err(_) => std::thread::sleep(Duration::from_millis(200)),
                    }
                }
            })
            .expect("spawn a simulator thread");
        SimDevice { client, id: id.to_string(), store: broker.store.clone(), incoming, seq: 0 }
    }

    /// A new message id for this device.
    pub fn next_id(&mut self) -> String {
        self.seq += 1;
        format!("{}-{}-{}", self.id, now_ms(), self.seq)
    }

    /// Publishes `body` (with `id` and `ts` added) on `{prefix}/{suffix}`, QoS 1.
    pub fn publish(&self, suffix: &str, id: &str, mut body: serde_json::Value, retain: bool) {
        body["id"] = json!(id);
        body["ts"] = json!(now_ms());
        self.publish_raw(suffix, body.to_string().into_bytes(), retain);
    }

    /// Publishes raw bytes (for tests of malformed input).
    pub fn publish_raw(&self, suffix: &str, payload: Vec<u8>, retain: bool) {
        let topic = format!("{}{suffix}", contract::prefix(&self.store));
        let _ = self.client.publish(topic, QoS::AtLeastOnce, retain, payload);
    }

    /// The next message from the agent, if one comes within `timeout`.
    pub fn recv(&self, timeout: Duration) -> Option<(String, serde_json::Value)> {
        match self.incoming.recv_timeout(timeout) {
            Ok((topic, payload)) => Some((topic, serde_json::from_slice(&payload).unwrap_or(serde_json::Value::Null))),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Disconnects cleanly (no last will).
    pub fn disconnect(&self) {
        let _ = self.client.disconnect();
    }
}

/// Misbehaviour a simulated machine inflicts on its own messages.
#[derive(Clone, Debug)]
pub struct Chaos {
    rng: StdRng,
    /// Chance that a message is sent twice.
    pub duplicate: f64,
    /// Chance that a message is not sent at all (the retry sends it later).
    pub drop: f64,
    /// Chance that a vend fails (motor jam) instead of dispensing.
    pub fail: f64,
}

impl Chaos {
    /// No misbehaviour; every vend dispenses.
    pub fn none() -> Chaos {
        Chaos { rng: StdRng::seed_from_u64(0), duplicate: 0.0, drop: 0.0, fail: 0.0 }
    }

    /// Seeded misbehaviour.
    pub fn seeded(seed: u64, duplicate: f64, drop: f64, fail: f64) -> Chaos {
        Chaos { rng: StdRng::seed_from_u64(seed), duplicate, drop, fail }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.gen_bool(p.min(1.0))
    }
}

/// What the machine did, whatever the agent believes.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Vend ids dispensed (each at most once).
    pub dispensed: HashSet<String>,
    /// Vend ids reported failed.
    pub failed: HashSet<String>,
    /// Sessions denied, with the reason.
    pub denied: Vec<String>,
    /// Sessions abandoned with no answer in time.
    pub abandoned: usize,
    /// Results the agent acknowledged: vend id → charged.
    pub acked: HashMap<String, bool>,
}

/// How one customer's vend ended at the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VendEnd {
    /// Dropped the product; the agent acknowledged (charged or not).
    Dispensed {
        /// Vend id.
        vend: String,
        /// What the agent's ack said.
        charged: bool,
    },
    /// Did not drop it.
    Failed(String),
    /// Refused, with the agent's reason.
    Denied(String),
    /// No answer to the session in time.
    Abandoned,
    /// Dispensed or failed, but the agent never acknowledged the result in time.
    Unacknowledged(String),
}

/// A simulated vending machine.
pub struct VendingMachine {
    /// Its connection.
    pub device: SimDevice,
    /// Ground truth.
    pub ledger: Arc<Mutex<Ledger>>,
    /// How long it waits for a command or an ack before giving up.
    pub patience: Duration,
    /// How often it repeats an unanswered message.
    pub retry: Duration,
    slots: Vec<SlotCount>,
}

#[derive(Deserialize)]
struct CommandMsg {
    session: Option<String>,
    vend: String,
    action: String,
    reason: Option<String>,
    expires_ts: Option<i64>,
}

#[derive(Deserialize)]
struct AckMsg {
    vend: String,
    charged: bool,
}

impl VendingMachine {
    /// Connects, announces itself and reports its inventory.
    pub fn connect(broker: &Broker, id: &str, slots: Vec<SlotCount>) -> VendingMachine {
        let device = SimDevice::connect(broker, id, DeviceKind::Vending, &[format!("vend/{id}/command"), format!("vend/{id}/ack")]);
        let machine = VendingMachine { device, ledger: Arc::default(), patience: Duration::from_secs(60), retry: Duration::from_millis(1000), slots };
        machine.report_inventory();
        machine
    }

    /// Publishes the inventory.
    pub fn report_inventory(&self) {
        let id = format!("{}-inv-{}", self.device.id, now_ms());
        self.device.publish(&format!("vend/{}/inventory", self.device.id), &id, json!({"slots": self.slots}), false);
    }

    /// Publishes telemetry.
    pub fn report_telemetry(&mut self, temp_c: f64, door_open: bool) {
        let id = self.device.next_id();
        self.device.publish(&format!("vend/{}/telemetry", self.device.id), &id, json!({"temp_c": temp_c, "door_open": door_open}), false);
    }

    fn send(&self, chaos: &mut Chaos, suffix: &str, id: &str, body: &serde_json::Value) {
        if chaos.chance(chaos.drop) {
            return;
        }
        self.device.publish(suffix, id, body.clone(), false);
        if chaos.chance(chaos.duplicate) {
            self.device.publish(suffix, id, body.clone(), false);
        }
    }

    /// One customer: session, command, dispense (or not), result until acknowledged.
    pub fn vend(&mut self, slot: &str, credential: &Credential, chaos: &mut Chaos) -> VendEnd {
        let machine = self.device.id.clone();
        let session_id = self.device.next_id();
        let session = json!({"slot": slot, "credential": credential});
        let deadline = Instant::now() + self.patience;
        let mut next_send = Instant::now();
        let command = loop {
            if Instant::now() >= deadline {
                self.ledger.lock().unwrap().abandoned += 1;
                return VendEnd::Abandoned;
            }
            if Instant::now() >= next_send {
                self.send(chaos, &format!("vend/{machine}/session"), &session_id, &session);
                next_send = Instant::now() + self.retry;
            }
            if let Some((topic, msg)) = self.device.recv(Duration::from_millis(50)) {
                if !topic.ends_with("/command") {
                    continue;
                }
                let Ok(cmd) = serde_json::from_value::<CommandMsg>(msg) else { continue };
                if cmd.session.as_deref() == Some(session_id.as_str()) {
                    break cmd;
                }
                // A late answer to an abandoned session: never dispense on it.
            }
        };
        if command.action != "vend" {
            let reason = command.reason.unwrap_or_default();
            self.ledger.lock().unwrap().denied.push(reason.clone());
            return VendEnd::Denied(reason);
        }
        let vend = command.vend;
        let in_time = command.expires_ts.is_some_and(|end| now_ms() + 500 < end);
        let dispensed = {
            let mut ledger = self.ledger.lock().unwrap();
            if ledger.dispensed.contains(&vend) || ledger.failed.contains(&vend) {
                ledger.dispensed.contains(&vend)
            } else if in_time && !chaos.chance(chaos.fail) {
                ledger.dispensed.insert(vend.clone());
                true
            } else {
                ledger.failed.insert(vend.clone());
                false
            }
        };
        let result_id = format!("{machine}-result-{vend}");
        let result = if dispensed { json!({"vend": vend, "outcome": "dispensed"}) } else { json!({"vend": vend, "outcome": "failed", "reason": if in_time { "motor_jam" } else { "hold_expired" }}) };
        let deadline = Instant::now() + self.patience;
        let mut next_send = Instant::now();
        loop {
            if Instant::now() >= deadline {
                return VendEnd::Unacknowledged(vend);
            }
            if Instant::now() >= next_send {
                self.send(chaos, &format!("vend/{machine}/result"), &result_id, &result);
                next_send = Instant::now() + self.retry;
            }
            if let Some((topic, msg)) = self.device.recv(Duration::from_millis(50)) {
                if !topic.ends_with("/ack") {
                    continue;
                }
                let Ok(ack) = serde_json::from_value::<AckMsg>(msg) else { continue };
                self.ledger.lock().unwrap().acked.insert(ack.vend.clone(), ack.charged);
                if ack.vend == vend {
                    return if dispensed { VendEnd::Dispensed { vend, charged: ack.charged } } else { VendEnd::Failed(vend) };
                }
            }
        }
    }
}

/// A simulated gate: shows a pass and waits for the agent's command.
pub struct Gate {
    /// Its connection.
    pub device: SimDevice,
}

impl Gate {
    /// Connects and announces itself.
    pub fn connect(broker: &Broker, id: &str) -> Gate {
        Gate { device: SimDevice::connect(broker, id, DeviceKind::Gate, &[format!("gate/{id}/command")]) }
    }

    /// Shows `code` going `in` or `out`; returns (open, reason), or `None` with no answer.
    pub fn pass(&mut self, code: &str, direction: &str, timeout: Duration) -> Option<(bool, String)> {
        let id = self.device.next_id();
        self.device.publish(&format!("gate/{}/scan", self.device.id), &id, json!({"code": code, "direction": direction}), false);
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some((topic, msg)) = self.device.recv(Duration::from_millis(50))
                && topic.ends_with("/command")
            {
                return Some((msg["open"].as_bool().unwrap_or(false), msg["reason"].as_str().unwrap_or("").to_string()));
            }
        }
        None
    }
}
