//! The **devices** document: each store's device registry (what a device is, its name in
//! both languages, where it stands, whether it was retired) and its smart shelves'
//! planogram (which SKU each slot holds, one item's weight, the tolerance of a reading,
//! the par level), shared by every node of the tenant. So a shelf configured at a till
//! reaches the edge agent that drives it, and an edge agent that replaces a broken one
//! gets the store's registry and planogram back from the cloud on its first sync.
//!
//! What a device is doing (online or not, its last reading, a vend in progress) is not
//! here: that is state the edge agent keeps from the device's own messages, and the facts
//! it causes (vend sales, gate passages) are journal facts.
//!
//! Each device is an HLC register under `STORE\u{1f}DEVICE` in `devices`, holding `body`
//! (JSON of [`DeviceProfile`]); each shelf slot one under `STORE\u{1f}SHELF\u{1f}SLOT` in
//! `shelf_slots`, holding `body` (JSON of [`SlotConfig`], or `null` once the slot is
//! cleared). A device is never removed, only retired, so alerts and vends that name it
//! keep naming something.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, ObjId, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};

use super::{DocError, KEY_SEP, changed_registers, commit, put_register, winner};
use crate::hlc::{Hlc, HlcClock};

/// The devices document's name.
pub const DEVICES: &str = "devices";

const REGISTRY: &str = "devices";
const SHELF_SLOTS: &str = "shelf_slots";

/// The kinds of device the MQTT contract knows.
pub const KINDS: [&str; 7] = ["shelf", "vending", "gate", "scanner", "display", "label", "other"];

/// A device as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceProfile {
    /// One of [`KINDS`].
    pub kind: String,
    /// Its name for the back office (may be empty: the id is shown).
    pub name: String,
    /// Its Chinese name (may be empty).
    pub name_zh: String,
    /// Where it stands (`aisle 3`, `entrance`), free text.
    pub location: String,
    /// Taken out of service: it is still named, but no longer expected online.
    pub retired: bool,
}

/// One smart-shelf slot's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotConfig {
    /// The SKU it holds.
    pub sku: String,
    /// One item's weight (g), above 0.
    pub unit_grams: i64,
    /// How far a reading may be off (g), under half the unit weight.
    pub tolerance_grams: i64,
    /// The count under which it needs refilling.
    pub par: i64,
}

/// What a sync message or an edit changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevicesChanged {
    /// (store, device) registry entries.
    pub devices: BTreeSet<(String, String)>,
    /// (store, shelf, slot) planogram entries.
    pub slots: BTreeSet<(String, String, String)>,
}

/// Every store's device registry and shelf planogram.
pub struct DevicesDoc {
    doc: AutoCommit,
    devices: ObjId,
    slots: ObjId,
}

super::register_doc!(DevicesDoc, DEVICES, devices: REGISTRY, slots: SHELF_SLOTS);

fn read_body<T: serde::de::DeserializeOwned>(doc: &AutoCommit, obj: &ObjId) -> Option<T> {
    match doc.get(obj, "body").ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(text) => serde_json::from_str(text).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Checks an id (store, device, shelf, slot): what the MQTT topics can carry.
fn check_id(what: &str, id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
        return Err(format!("{what} {id:?} must be 1 to 64 letters, digits, '-', '_' or '.'"));
    }
    Ok(())
}

/// Checks a registry entry before it is written.
pub fn check_device(store: &str, device: &str, p: &DeviceProfile) -> Result<(), DocError> {
    let bad = |reason: String| Err(DocError::BadEdit { sku: format!("{store}/{device}"), reason });
    if let Err(reason) = check_id("a store", store).and_then(|()| check_id("a device", device)) {
        return bad(reason);
    }
    if !KINDS.contains(&p.kind.as_str()) {
        return bad(format!("{:?} is not a kind of device (one of {})", p.kind, KINDS.join(", ")));
    }
    for (what, text, max) in [("a name", &p.name, 40), ("a Chinese name", &p.name_zh, 40), ("a location", &p.location, 60)] {
        if text.chars().count() > max || text.chars().any(char::is_control) || text.trim() != text {
            return bad(format!("{what} is at most {max} printable characters without leading or trailing spaces"));
        }
    }
    Ok(())
}

/// Checks a shelf slot's configuration before it is written.
pub fn check_slot(store: &str, shelf: &str, slot: &str, c: &SlotConfig) -> Result<(), DocError> {
    let bad = |reason: String| Err(DocError::BadEdit { sku: format!("{store}/{shelf}/{slot}"), reason });
    if let Err(reason) = check_id("a store", store).and_then(|()| check_id("a shelf", shelf)).and_then(|()| check_id("a slot", slot)) {
        return bad(reason);
    }
    if c.sku.trim().is_empty() || c.sku.contains(KEY_SEP) || c.sku.chars().any(char::is_control) || c.sku.len() > 64 {
        return bad("a SKU must be non-empty printable text of at most 64 bytes".into());
    }
    if c.unit_grams <= 0 || c.tolerance_grams < 0 || c.tolerance_grams.saturating_mul(2) >= c.unit_grams || c.par < 0 || c.unit_grams > 1_000_000 || c.par > 100_000 {
        return bad(format!(
            "unit weight {} g, tolerance {} g, par {}: the weight must be positive (at most 1,000 kg), the tolerance under half of it, the par 0 to 100,000",
            c.unit_grams, c.tolerance_grams, c.par
        ));
    }
    Ok(())
}

impl DevicesDoc {
    /// Sets a device's registry entry, stamped by `clock` at `wall_ms`, after checking it.
    pub fn put_device(&mut self, store: &str, device: &str, profile: &DeviceProfile, clock: &mut HlcClock, wall_ms: i64) -> Result<(), DocError> {
        check_device(store, device, profile)?;
        let body = serde_json::to_string(profile).expect("a device profile serialises");
        let hlc = put_register(&mut self.doc, &self.devices.clone(), &format!("{store}{KEY_SEP}{device}"), clock, wall_ms, vec![("body", ScalarValue::Str(body.into()))])?;
        commit(&mut self.doc, "put device", &hlc);
        Ok(())
    }

    /// Configures a shelf slot (`Some`) or clears it (`None`), after checking it.
    pub fn put_slot(&mut self, store: &str, shelf: &str, slot: &str, config: Option<&SlotConfig>, clock: &mut HlcClock, wall_ms: i64) -> Result<(), DocError> {
        match config {
            Some(c) => check_slot(store, shelf, slot, c)?,
            None => {
                if let Err(reason) = check_id("a store", store).and_then(|()| check_id("a shelf", shelf)).and_then(|()| check_id("a slot", slot)) {
                    return Err(DocError::BadEdit { sku: format!("{store}/{shelf}/{slot}"), reason });
                }
            }
        }
        let body = serde_json::to_string(&config).expect("a slot serialises");
        let key = format!("{store}{KEY_SEP}{shelf}{KEY_SEP}{slot}");
        let hlc = put_register(&mut self.doc, &self.slots.clone(), &key, clock, wall_ms, vec![("body", ScalarValue::Str(body.into()))])?;
        commit(&mut self.doc, "put shelf slot", &hlc);
        Ok(())
    }

    /// A device's winning registry entry, with its HLC.
    pub fn device(&self, store: &str, device: &str) -> Option<(DeviceProfile, Hlc)> {
        winner(&self.doc, &self.devices, &format!("{store}{KEY_SEP}{device}"), read_body)
    }

    /// A shelf slot's winning configuration (`None` inside: cleared), with its HLC.
    pub fn slot(&self, store: &str, shelf: &str, slot: &str) -> Option<(Option<SlotConfig>, Hlc)> {
        winner(&self.doc, &self.slots, &format!("{store}{KEY_SEP}{shelf}{KEY_SEP}{slot}"), read_body)
    }

    /// A store's registry, by device id.
    pub fn devices_of(&self, store: &str) -> BTreeMap<String, DeviceProfile> {
        let prefix = format!("{store}{KEY_SEP}");
        self.doc
            .keys(&self.devices)
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
            .filter_map(|device| self.device(store, &device).map(|(p, _)| (device, p)))
            .collect()
    }

    /// A store's configured shelf slots, by (shelf, slot).
    pub fn slots_of(&self, store: &str) -> BTreeMap<(String, String), SlotConfig> {
        let prefix = format!("{store}{KEY_SEP}");
        self.doc
            .keys(&self.slots)
            .filter_map(|k| k.strip_prefix(&prefix).and_then(|rest| rest.split_once(KEY_SEP)).map(|(s, l)| (s.to_string(), l.to_string())))
            .filter_map(|(shelf, slot)| self.slot(store, &shelf, &slot).and_then(|(c, _)| c).map(|c| ((shelf, slot), c)))
            .collect()
    }

    /// What changed between `before` (hex heads) and now.
    pub fn changed_since(&mut self, before: &[String]) -> DevicesChanged {
        let mut out = DevicesChanged::default();
        for (obj, key) in changed_registers(&mut self.doc, before) {
            let parts: Vec<&str> = key.split(KEY_SEP).collect();
            match parts.as_slice() {
                [store, device] if obj == self.devices => {
                    out.devices.insert((store.to_string(), device.to_string()));
                }
                [store, shelf, slot] if obj == self.slots => {
                    out.slots.insert((store.to_string(), shelf.to_string(), slot.to_string()));
                }
                _ => {}
            }
        }
        out
    }

    /// The largest HLC in the document (for a node's clock to observe).
    pub fn latest_hlc(&self) -> Option<Hlc> {
        let devices = self.doc.keys(&self.devices).filter_map(|k| winner(&self.doc, &self.devices, &k, read_body::<DeviceProfile>).map(|(_, h)| h));
        let slots = self.doc.keys(&self.slots).filter_map(|k| winner(&self.doc, &self.slots, &k, read_body::<Option<SlotConfig>>).map(|(_, h)| h));
        devices.chain(slots).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::SharedDoc;

    fn shelf(sku: &str, par: i64) -> SlotConfig {
        SlotConfig { sku: sku.into(), unit_grams: 350, tolerance_grams: 15, par }
    }

    fn sync(a: &mut DevicesDoc, b: &mut DevicesDoc) {
        let (mut sa, mut sb) = (Default::default(), Default::default());
        for _ in 0..6 {
            if let Some(m) = a.generate_sync_message(&mut sa) {
                b.receive_sync_message(&mut sb, &m).unwrap();
            }
            if let Some(m) = b.generate_sync_message(&mut sb) {
                a.receive_sync_message(&mut sa, &m).unwrap();
            }
        }
    }

    #[test]
    fn the_later_edit_of_a_slot_wins_a_cleared_slot_stays_cleared_and_stores_stay_apart() {
        let (mut till, mut agent) = (DevicesDoc::new(), DevicesDoc::new());
        let (mut ct, mut ca) = (HlcClock::new("till", (0, 0)), HlcClock::new("edge", (0, 0)));
        let profile = DeviceProfile { kind: "shelf".into(), name: "Drinks shelf".into(), name_zh: "饮料货架".into(), location: "aisle 1".into(), retired: false };
        agent.put_device("S1", "S1-shelf", &profile, &mut ca, 1_000).unwrap();
        agent.put_slot("S1", "S1-shelf", "A1", Some(&shelf("COLA", 2)), &mut ca, 1_000).unwrap();
        agent.put_slot("S1", "S1-shelf", "A2", Some(&shelf("TEA", 2)), &mut ca, 1_000).unwrap();
        // Concurrently and later by the clock: the till moves A1 to water, clears A2, and
        // configures another store's shelf.
        till.put_slot("S1", "S1-shelf", "A1", Some(&shelf("WATER", 3)), &mut ct, 2_000).unwrap();
        till.put_slot("S1", "S1-shelf", "A2", None, &mut ct, 2_000).unwrap();
        till.put_slot("S2", "S2-shelf", "A1", Some(&shelf("COLA", 1)), &mut ct, 2_000).unwrap();
        sync(&mut till, &mut agent);
        assert_eq!(till.heads(), agent.heads());
        for doc in [&till, &agent] {
            let slots: Vec<(String, String, i64)> = doc.slots_of("S1").into_iter().map(|((_, slot), c)| (slot, c.sku, c.par)).collect();
            assert_eq!(slots, [("A1".to_string(), "WATER".to_string(), 3)]);
            assert_eq!(doc.devices_of("S1").get("S1-shelf"), Some(&profile));
            assert!(doc.devices_of("S2").is_empty());
            assert_eq!(doc.slots_of("S2").len(), 1);
        }
        let heads = till.heads();
        let bad = [
            ("S1", "s", "A1", SlotConfig { sku: "COLA".into(), unit_grams: 0, tolerance_grams: 0, par: 1 }),
            ("S1", "s", "A1", SlotConfig { sku: "COLA".into(), unit_grams: 100, tolerance_grams: 50, par: 1 }),
            ("S1", "s", "A1", SlotConfig { sku: "COLA".into(), unit_grams: 100, tolerance_grams: 5, par: -1 }),
            ("S1", "s", "A 1", shelf("COLA", 1)),
            ("S1", "s", "A1", shelf("", 1)),
        ];
        for (store, s, slot, config) in bad {
            assert!(till.put_slot(store, s, slot, Some(&config), &mut ct, 3_000).is_err(), "{slot} {config:?}");
        }
        let odd = DeviceProfile { kind: "toaster".into(), ..profile.clone() };
        assert!(till.put_device("S1", "x", &odd, &mut ct, 3_000).is_err());
        let spaced = DeviceProfile { name: " Shelf".into(), ..profile };
        assert!(till.put_device("S1", "x", &spaced, &mut ct, 3_000).is_err());
        assert_eq!(till.heads(), heads, "a refused edit changes nothing");
    }

    #[test]
    fn changes_name_what_they_touched() {
        let mut doc = DevicesDoc::new();
        let mut clock = HlcClock::new("t", (0, 0));
        let before = doc.heads();
        doc.put_slot("S1", "sh", "A1", Some(&shelf("COLA", 1)), &mut clock, 1).unwrap();
        doc.put_device("S1", "vm-1", &DeviceProfile { kind: "vending".into(), name: String::new(), name_zh: String::new(), location: String::new(), retired: false }, &mut clock, 1).unwrap();
        let changed = doc.changed_since(&before);
        assert_eq!(changed.devices, BTreeSet::from([("S1".to_string(), "vm-1".to_string())]));
        assert_eq!(changed.slots, BTreeSet::from([("S1".to_string(), "sh".to_string(), "A1".to_string())]));
        assert!(doc.latest_hlc().is_some());
    }
}
