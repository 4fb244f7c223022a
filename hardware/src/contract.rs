//! The MQTT device contract, version 1: topics and payloads, parsed and checked.
//!
//! Every message lives under `opentill/v1/{store}/`, is UTF-8 JSON at most
//! [`MAX_PAYLOAD`] bytes, and carries `id` (unique per message; a repeat is the same
//! message) and `ts` (unix milliseconds). `docs/devices.md` documents the contract in full.
//! This module does no I/O: the agent hands it a topic and bytes and gets back either a
//! typed [`Inbound`] message or a [`ContractError`] whose [`ContractError::reason`] is a
//! stable key for metrics.
//!
//! ```
//! use opentill_hardware::contract::{parse_inbound, Body};
//! let msg = parse_inbound("SH001", "opentill/v1/SH001/scanner/lane-1/scan",
//!                         br#"{"id":"m1","ts":1700000000000,"code":"6901234567892"}"#).unwrap();
//! assert_eq!(msg.device, "lane-1");
//! assert!(matches!(msg.body, Body::Scan { ref code } if code == "6901234567892"));
//! ```

use serde::{Deserialize, Serialize};

/// The root of every topic; the store id follows.
pub const ROOT: &str = "opentill/v1";
/// The largest payload accepted (bytes). Anything bigger is rejected unread.
pub const MAX_PAYLOAD: usize = 16 * 1024;
/// The longest device, slot, id or code accepted.
pub const MAX_ID: usize = 64;

/// The kinds of device that announce themselves on `dev/{device}/state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A weight-sensing smart shelf.
    Shelf,
    /// A vending machine.
    Vending,
    /// An unmanned-store entry gate.
    Gate,
    /// A networked barcode scanner.
    Scanner,
    /// A customer display.
    Display,
    /// An e-paper label controller.
    Label,
    /// Anything else that keeps to the contract.
    Other,
}

impl DeviceKind {
    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Shelf => "shelf",
            DeviceKind::Vending => "vending",
            DeviceKind::Gate => "gate",
            DeviceKind::Scanner => "scanner",
            DeviceKind::Display => "display",
            DeviceKind::Label => "label",
            DeviceKind::Other => "other",
        }
    }
}

/// How a vending customer pays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// `member_qr` (a signed member pass) or `payment_code` (a mobile wallet's code).
    pub kind: CredentialKind,
    /// The pass token or the payment code as scanned.
    pub value: String,
}

impl Credential {
    /// `member_qr` or `payment_code`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            CredentialKind::MemberQr => "member_qr",
            CredentialKind::PaymentCode => "payment_code",
        }
    }
}

/// The two credential kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A member pass (signed token); paid from the member's stored value.
    MemberQr,
    /// A mobile wallet payment code (WeChat Pay / Alipay style, 18 digits).
    PaymentCode,
}

/// A vend's outcome as the machine reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The product dropped: the customer is charged.
    Dispensed,
    /// Nothing dropped: the hold is released.
    Failed,
}

/// One slot of a vending machine's inventory report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotCount {
    /// The slot.
    pub slot: String,
    /// The SKU loaded in it.
    pub sku: String,
    /// How many are left.
    pub count: i64,
}

/// What a device told the agent.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// `dev/{device}/state`: the device is (or is no longer) online.
    State {
        /// Online or not (the last will sets false).
        online: bool,
        /// What the device is.
        kind: DeviceKind,
    },
    /// `shelf/{shelf}/weight`: the weight on one slot.
    ShelfWeight {
        /// The slot.
        slot: String,
        /// Grams on the slot (the tare already removed).
        grams: i64,
    },
    /// `vend/{machine}/session`: a customer chose a slot and showed a credential.
    VendSession {
        /// The chosen slot.
        slot: String,
        /// How they pay.
        credential: Credential,
    },
    /// `vend/{machine}/result`: what happened to a vend command.
    VendResult {
        /// The command's `vend` id.
        vend: String,
        /// Dispensed or failed.
        outcome: Outcome,
        /// Why, when failed.
        reason: Option<String>,
    },
    /// `vend/{machine}/inventory`: what is loaded.
    VendInventory {
        /// Every slot.
        slots: Vec<SlotCount>,
    },
    /// `vend/{machine}/telemetry`: temperature and door.
    VendTelemetry {
        /// Cabinet temperature, °C.
        temp_c: f64,
        /// Whether the door is open.
        door_open: bool,
    },
    /// `gate/{gate}/scan`: a pass shown at a gate.
    GateScan {
        /// The pass as scanned.
        code: String,
        /// `in` or `out` (an extension; entry when absent).
        direction: GateDirection,
    },
    /// `scanner/{device}/scan`: a networked scanner read a code.
    Scan {
        /// The code as read.
        code: String,
    },
}

/// Which way a person passes a gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GateDirection {
    /// Entering the store.
    #[default]
    In,
    /// Leaving it.
    Out,
}

/// A checked device message.
#[derive(Clone, Debug, PartialEq)]
pub struct Inbound {
    /// The device (shelf, machine, gate or scanner id) named in the topic.
    pub device: String,
    /// The message id: a repeat is the same message.
    pub id: String,
    /// When the device sent it (unix ms).
    pub ts: i64,
    /// What it says.
    pub body: Body,
}

/// Why a message was refused. Nothing in a refused message is acted on.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ContractError {
    /// The topic is not one a device may publish under this store.
    #[error("topic `{0}` is outside the device contract")]
    Topic(String),
    /// The payload is bigger than [`MAX_PAYLOAD`].
    #[error("payload of {0} bytes is larger than the {MAX_PAYLOAD}-byte limit")]
    Oversized(usize),
    /// Not UTF-8 JSON of the right shape.
    #[error("malformed payload: {0}")]
    Json(String),
    /// Well-formed JSON with a field out of range.
    #[error("field `{field}`: {problem}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl ContractError {
    /// A short stable key, for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            ContractError::Topic(_) => "topic",
            ContractError::Oversized(_) => "oversized",
            ContractError::Json(_) => "json",
            ContractError::Field { .. } => "field",
        }
    }
}

/// The topic prefix of one store, with its trailing slash.
pub fn prefix(store: &str) -> String {
    format!("{ROOT}/{store}/")
}

/// The topic the agent subscribes to for everything devices of `store` publish.
pub fn subscription(store: &str) -> String {
    format!("{ROOT}/{store}/#")
}

/// True when `text` is a usable id: 1 to [`MAX_ID`] of `A-Z a-z 0-9 - _ .`.
pub fn is_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_ID && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[derive(Deserialize)]
struct Envelope<T> {
    id: String,
    ts: i64,
    #[serde(flatten)]
    body: T,
}

#[derive(Deserialize)]
struct StateBody {
    online: bool,
    kind: DeviceKind,
}
#[derive(Deserialize)]
struct WeightBody {
    slot: String,
    grams: i64,
}
#[derive(Deserialize)]
struct SessionBody {
    slot: String,
    credential: Credential,
}
#[derive(Deserialize)]
struct ResultBody {
    vend: String,
    outcome: Outcome,
    #[serde(default)]
    reason: Option<String>,
}
#[derive(Deserialize)]
struct InventoryBody {
    slots: Vec<SlotCount>,
}
#[derive(Deserialize)]
struct TelemetryBody {
    temp_c: f64,
    door_open: bool,
}
#[derive(Deserialize)]
struct CodeBody {
    code: String,
    #[serde(default)]
    direction: GateDirection,
}

fn decode<T: for<'de> Deserialize<'de>>(payload: &[u8]) -> Result<(String, i64, T), ContractError> {
    let text = std::str::from_utf8(payload).map_err(|_| ContractError::Json("not UTF-8".into()))?;
    let envelope: Envelope<T> = serde_json::from_str(text).map_err(|e| ContractError::Json(e.to_string()))?;
    if !is_id(&envelope.id) {
        return Err(field("id", "must be 1 to 64 of A-Z a-z 0-9 - _ ."));
    }
    if envelope.ts <= 0 {
        return Err(field("ts", "must be unix milliseconds"));
    }
    Ok((envelope.id, envelope.ts, envelope.body))
}

fn field(field: &'static str, problem: &str) -> ContractError {
    ContractError::Field { field, problem: problem.to_string() }
}

fn check_id(name: &'static str, value: &str) -> Result<(), ContractError> {
    if is_id(value) { Ok(()) } else { Err(field(name, "must be 1 to 64 of A-Z a-z 0-9 - _ .")) }
}

fn check_code(name: &'static str, value: &str) -> Result<(), ContractError> {
    if value.is_empty() || value.len() > 512 || value.chars().any(char::is_control) {
        return Err(field(name, "must be 1 to 512 printable characters"));
    }
    Ok(())
}

/// Parses and checks a message a device published. `store` is this agent's store id.
/// Topics the agent itself publishes (commands, labels, acks, alerts) are not inbound and
/// are refused as outside the contract.
pub fn parse_inbound(store: &str, topic: &str, payload: &[u8]) -> Result<Inbound, ContractError> {
    let outside = || ContractError::Topic(topic.chars().take(200).collect());
    let rest = topic.strip_prefix(&prefix(store)).ok_or_else(outside)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let [family, device, leaf] = parts.as_slice() else { return Err(outside()) };
    if !is_id(device) {
        return Err(outside());
    }
    if payload.len() > MAX_PAYLOAD {
        return Err(ContractError::Oversized(payload.len()));
    }
    let (id, ts, body) = match (*family, *leaf) {
        ("dev", "state") => {
            let (id, ts, b) = decode::<StateBody>(payload)?;
            (id, ts, Body::State { online: b.online, kind: b.kind })
        }
        ("shelf", "weight") => {
            let (id, ts, b) = decode::<WeightBody>(payload)?;
            check_id("slot", &b.slot)?;
            if !(-1_000_000..=1_000_000).contains(&b.grams) {
                return Err(field("grams", "must be within ±1,000,000 g"));
            }
            (id, ts, Body::ShelfWeight { slot: b.slot, grams: b.grams })
        }
        ("vend", "session") => {
            let (id, ts, b) = decode::<SessionBody>(payload)?;
            check_id("slot", &b.slot)?;
            check_code("credential.value", &b.credential.value)?;
            (id, ts, Body::VendSession { slot: b.slot, credential: b.credential })
        }
        ("vend", "result") => {
            let (id, ts, b) = decode::<ResultBody>(payload)?;
            check_id("vend", &b.vend)?;
            (id, ts, Body::VendResult { vend: b.vend, outcome: b.outcome, reason: b.reason.map(|r| r.chars().take(200).collect()) })
        }
        ("vend", "inventory") => {
            let (id, ts, b) = decode::<InventoryBody>(payload)?;
            if b.slots.len() > 200 {
                return Err(field("slots", "at most 200 slots"));
            }
            for slot in &b.slots {
                check_id("slots[].slot", &slot.slot)?;
                check_id("slots[].sku", &slot.sku)?;
                if !(0..=10_000).contains(&slot.count) {
                    return Err(field("slots[].count", "must be 0 to 10,000"));
                }
            }
            (id, ts, Body::VendInventory { slots: b.slots })
        }
        ("vend", "telemetry") => {
            let (id, ts, b) = decode::<TelemetryBody>(payload)?;
            if !b.temp_c.is_finite() || !(-60.0..=120.0).contains(&b.temp_c) {
                return Err(field("temp_c", "must be a temperature between -60 and 120 °C"));
            }
            (id, ts, Body::VendTelemetry { temp_c: b.temp_c, door_open: b.door_open })
        }
        ("gate", "scan") => {
            let (id, ts, b) = decode::<CodeBody>(payload)?;
            check_code("code", &b.code)?;
            (id, ts, Body::GateScan { code: b.code, direction: b.direction })
        }
        ("scanner", "scan") => {
            let (id, ts, b) = decode::<CodeBody>(payload)?;
            check_code("code", &b.code)?;
            (id, ts, Body::Scan { code: b.code })
        }
        _ => return Err(outside()),
    };
    Ok(Inbound { device: device.to_string(), id, ts, body })
}

/// What the agent publishes to devices (and to the back office).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Outbound {
    /// `vend/{machine}/command`.
    VendCommand {
        /// The message id.
        id: String,
        /// Unix ms.
        ts: i64,
        /// The id of the session message this answers (extension), so that a machine
        /// can tell a late answer to an abandoned session from the one it waits for.
        session: String,
        /// The vend id; the machine quotes it in its result.
        vend: String,
        /// `vend` or `deny`.
        action: &'static str,
        /// The slot.
        slot: String,
        /// What the customer will pay.
        price_minor: i64,
        /// Why it was denied.
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The machine must not dispense after this (unix ms); the hold ends then.
        #[serde(skip_serializing_if = "Option::is_none")]
        expires_ts: Option<i64>,
    },
    /// `vend/{machine}/ack` (extension): the agent has settled a result; the machine can
    /// stop repeating it.
    VendAck {
        /// The message id.
        id: String,
        /// Unix ms.
        ts: i64,
        /// The vend settled.
        vend: String,
        /// Whether the customer was charged.
        charged: bool,
    },
    /// `gate/{gate}/command`.
    GateCommand {
        /// The message id.
        id: String,
        /// Unix ms.
        ts: i64,
        /// Open the gate or not.
        open: bool,
        /// Why (always given when refused).
        reason: String,
    },
    /// `shelf/{shelf}/label/{slot}` (retained).
    ShelfLabel {
        /// The message id.
        id: String,
        /// Unix ms.
        ts: i64,
        /// The SKU on the slot.
        sku: String,
        /// English name.
        name: String,
        /// Chinese name.
        name_zh: String,
        /// Shelf price.
        price_minor: i64,
        /// Promotion text in English, if a promotion covers the product now.
        #[serde(skip_serializing_if = "Option::is_none")]
        promo: Option<String>,
        /// The same in Chinese.
        #[serde(skip_serializing_if = "Option::is_none")]
        promo_zh: Option<String>,
    },
}

/// Topic of a vending machine's commands.
pub fn vend_command_topic(store: &str, machine: &str) -> String {
    format!("{ROOT}/{store}/vend/{machine}/command")
}
/// Topic of the agent's result acknowledgements to a machine.
pub fn vend_ack_topic(store: &str, machine: &str) -> String {
    format!("{ROOT}/{store}/vend/{machine}/ack")
}
/// Topic of a gate's commands.
pub fn gate_command_topic(store: &str, gate: &str) -> String {
    format!("{ROOT}/{store}/gate/{gate}/command")
}
/// Topic of a shelf slot's label (retained).
pub fn shelf_label_topic(store: &str, shelf: &str, slot: &str) -> String {
    format!("{ROOT}/{store}/shelf/{shelf}/label/{slot}")
}
/// Topic where the agent publishes alerts for the back office.
pub fn alert_topic(store: &str) -> String {
    format!("{ROOT}/{store}/agent/alert")
}
/// Topic of a device's retained state (and its last will).
pub fn state_topic(store: &str, device: &str) -> String {
    format!("{ROOT}/{store}/dev/{device}/state")
}

/// True for the topics the agent itself publishes (commands, acks, labels, alerts): a
/// subscriber to the whole store sees them and should let them pass, not refuse them.
pub fn is_agent_topic(store: &str, topic: &str) -> bool {
    let Some(rest) = topic.strip_prefix(&prefix(store)) else { return false };
    let parts: Vec<&str> = rest.split('/').collect();
    matches!(parts.as_slice(), ["vend", _, "command" | "ack"] | ["gate", _, "command"] | ["shelf", _, "label", _] | ["agent", "alert"])
}

/// True when `code` looks like a mobile wallet payment code: 18 digits starting 10–15
/// (WeChat Pay) or 25–30 (Alipay).
pub fn is_payment_code(code: &str) -> bool {
    code.len() == 18
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(code[..2].parse::<u8>(), Ok(10..=15 | 25..=30))
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(topic: &str, payload: &str, expect: Expect) {
        let got = match parse_inbound("SH001", topic, payload.as_bytes()) {
            Ok(msg) => format!("{} {} {} {:?}", msg.device, msg.id, msg.ts, msg.body),
            Err(e) => format!("{}: {e}", e.reason()),
        };
        expect.assert_eq(&got);
    }

    #[test]
    fn the_agents_own_topics_are_told_apart() {
        let p = "opentill/v1/SH001";
        for own in ["vend/vm-1/command", "vend/vm-1/ack", "gate/g1/command", "shelf/S1/label/3", "agent/alert"] {
            assert!(is_agent_topic("SH001", &format!("{p}/{own}")), "{own}");
        }
        for device in ["vend/vm-1/session", "dev/x/state", "gate/g1/scan", "shelf/S1/weight", "agent/alert/x"] {
            assert!(!is_agent_topic("SH001", &format!("{p}/{device}")), "{device}");
        }
        assert!(!is_agent_topic("SH001", "opentill/v1/SH002/agent/alert"));
    }

    #[test]
    fn every_inbound_topic() {
        let p = "opentill/v1/SH001";
        check(&format!("{p}/dev/vm-1/state"), r#"{"id":"a","ts":5,"online":true,"kind":"vending"}"#, expect![[r#"vm-1 a 5 State { online: true, kind: Vending }"#]]);
        check(&format!("{p}/shelf/S1/weight"), r#"{"id":"a","ts":5,"slot":"3","grams":1250}"#, expect![[r#"S1 a 5 ShelfWeight { slot: "3", grams: 1250 }"#]]);
        check(
            &format!("{p}/vend/vm-1/session"),
            r#"{"id":"s1","ts":5,"slot":"A1","credential":{"kind":"payment_code","value":"134567890123456789"}}"#,
            expect![[r#"vm-1 s1 5 VendSession { slot: "A1", credential: Credential { kind: PaymentCode, value: "134567890123456789" } }"#]],
        );
        check(&format!("{p}/vend/vm-1/result"), r#"{"id":"r1","ts":5,"vend":"v1","outcome":"dispensed"}"#, expect![[r#"vm-1 r1 5 VendResult { vend: "v1", outcome: Dispensed, reason: None }"#]]);
        check(&format!("{p}/vend/vm-1/inventory"), r#"{"id":"i","ts":5,"slots":[{"slot":"A1","sku":"DRK-1","count":7}]}"#, expect![[r#"vm-1 i 5 VendInventory { slots: [SlotCount { slot: "A1", sku: "DRK-1", count: 7 }] }"#]]);
        check(&format!("{p}/vend/vm-1/telemetry"), r#"{"id":"t","ts":5,"temp_c":4.5,"door_open":false}"#, expect![[r#"vm-1 t 5 VendTelemetry { temp_c: 4.5, door_open: false }"#]]);
        check(&format!("{p}/gate/g1/scan"), r#"{"id":"g","ts":5,"code":"PASS"}"#, expect![[r#"g1 g 5 GateScan { code: "PASS", direction: In }"#]]);
        check(&format!("{p}/scanner/lane-1/scan"), r#"{"id":"c","ts":5,"code":"6901234567892"}"#, expect![[r#"lane-1 c 5 Scan { code: "6901234567892" }"#]]);
    }

    #[test]
    fn refusals_say_why() {
        let p = "opentill/v1/SH001";
        check("opentill/v1/OTHER/scanner/x/scan", "{}", expect![[r#"topic: topic `opentill/v1/OTHER/scanner/x/scan` is outside the device contract"#]]);
        check(&format!("{p}/vend/vm-1/command"), "{}", expect![[r#"topic: topic `opentill/v1/SH001/vend/vm-1/command` is outside the device contract"#]]);
        check(&format!("{p}/shelf/S1/label/3"), "{}", expect![[r#"topic: topic `opentill/v1/SH001/shelf/S1/label/3` is outside the device contract"#]]);
        check(&format!("{p}/scanner/bad+id/scan"), "{}", expect![[r#"topic: topic `opentill/v1/SH001/scanner/bad+id/scan` is outside the device contract"#]]);
        check(&format!("{p}/scanner/x/scan"), "not json", expect![[r#"json: malformed payload: expected ident at line 1 column 2"#]]);
        check(&format!("{p}/scanner/x/scan"), r#"{"id":"c","ts":5}"#, expect!["json: malformed payload: missing field `code` at line 1 column 17"]);
        check(&format!("{p}/shelf/S1/weight"), r#"{"id":"a","ts":5,"slot":"3","grams":"12"}"#, expect![[r#"json: malformed payload: invalid type: string "12", expected i64 at line 1 column 41"#]]);
        check(&format!("{p}/shelf/S1/weight"), r#"{"id":"a","ts":5,"slot":"3","grams":99999999}"#, expect![[r#"field: field `grams`: must be within ±1,000,000 g"#]]);
        check(&format!("{p}/vend/vm-1/telemetry"), r#"{"id":"t","ts":5,"temp_c":400,"door_open":false}"#, expect![[r#"field: field `temp_c`: must be a temperature between -60 and 120 °C"#]]);
        check(&format!("{p}/dev/x/state"), r#"{"id":"","ts":5,"online":true,"kind":"shelf"}"#, expect![[r#"field: field `id`: must be 1 to 64 of A-Z a-z 0-9 - _ ."#]]);
        check(&format!("{p}/dev/x/state"), r#"{"id":"a","ts":5,"online":true,"kind":"toaster"}"#, expect!["json: malformed payload: unknown variant `toaster`, expected one of `shelf`, `vending`, `gate`, `scanner`, `display`, `label`, `other` at line 1 column 48"]);
    }

    #[test]
    fn oversized_payloads_are_refused_unread() {
        let big = vec![b' '; MAX_PAYLOAD + 1];
        let err = parse_inbound("SH001", "opentill/v1/SH001/scanner/x/scan", &big).unwrap_err();
        assert_eq!(err, ContractError::Oversized(MAX_PAYLOAD + 1));
    }

    #[test]
    fn payment_codes() {
        assert!(is_payment_code("134567890123456789"));
        assert!(is_payment_code("281234567890123456"));
        assert!(!is_payment_code("991234567890123456"));
        assert!(!is_payment_code("13456789012345678"));
        assert!(!is_payment_code("13456789012345678x"));
    }

    #[test]
    fn garbage_never_panics() {
        use proptest::prelude::*;
        proptest!(|(topic in "opentill/v1/SH001/[a-z]{1,8}/[a-z0-9+#/]{0,12}/[a-z]{1,9}", payload in proptest::collection::vec(any::<u8>(), 0..300))| {
            let _ = parse_inbound("SH001", &topic, &payload);
        });
    }
}
