//! The edge agent's device state, kept beside the journal in the same database: the
//! device registry, alerts, vends and their holds, vending slots and telemetry, smart-shelf
//! slots and revoked member passes. Facts that follow from devices (a vend sale, a gate
//! passage) are journal entries; these tables hold what is not a fact.

//!
//! The registry's names and the shelves' planogram are the **devices** document
//! ([`crate::docs::devices`]): a change of it rewrites this store's `device_registry` rows
//! and `shelf_slots` configuration in the transaction that saves it.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::docs::{DocUpdate, save_clock, save_doc};
use super::{Replica, Result, write};
use crate::docs::devices::{DeviceProfile, DevicesChanged, DevicesDoc, SlotConfig};
use crate::hlc::HlcClock;

/// A device as the registry knows it: what the devices document says of it and what the
/// device last said itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRow {
    /// The device id from its topics.
    pub device: String,
    /// What it is (`shelf`, `vending`, ...): what it announced, else the registry's.
    pub kind: String,
    /// Its name in the registry (empty: none given).
    pub name: String,
    /// Its Chinese name in the registry.
    pub name_zh: String,
    /// Where it stands.
    pub location: String,
    /// Taken out of service.
    pub retired: bool,
    /// Whether it is online now.
    pub online: bool,
    /// Since when it has been online or offline (unix ms); `None`: never heard from here.
    pub since_ms: Option<i64>,
    /// The last message from it (unix ms); `None`: never heard from here.
    pub last_seen_ms: Option<i64>,
}

/// Something the back office should look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// Stable id: raising the same alert twice records it once.
    pub alert_id: String,
    /// When it was raised (unix ms).
    pub ts_ms: i64,
    /// `device_offline`, `low_shelf`, `shrink`, `restock`, `temperature`, `door_open`,
    /// `late_dispense`, `low_stock`.
    pub kind: String,
    /// The device (or SKU) it is about.
    pub device: String,
    /// What happened, in words and figures (English).
    pub detail: String,
    /// The same in Chinese; empty for alerts raised before it was kept.
    pub detail_zh: String,
    /// When someone cleared it.
    pub cleared_ms: Option<i64>,
    /// Who cleared it by hand; empty when the device cleared it (back in order).
    pub cleared_by: String,
}

/// Where a vend stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VendState {
    /// Refused; nothing was held.
    Denied,
    /// Commanded; the amount is held until the machine reports or the hold expires.
    Held,
    /// Dispensed and charged (the sale is in the journal under the vend id).
    Charged,
    /// Failed or expired: the hold is released, nothing was charged.
    Released,
}

impl VendState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            VendState::Denied => "denied",
            VendState::Held => "held",
            VendState::Charged => "charged",
            VendState::Released => "released",
        }
    }
    fn parse(text: &str) -> VendState {
        match text {
            "denied" => VendState::Denied,
            "held" => VendState::Held,
            "charged" => VendState::Charged,
            _ => VendState::Released,
        }
    }
}

/// One vend, from session to settlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vend {
    /// The vend id (also the sale id when charged).
    pub vend_id: String,
    /// The machine.
    pub machine: String,
    /// The id of the session message that asked for it.
    pub session_id: String,
    /// The slot.
    pub slot: String,
    /// The SKU in the slot, when known.
    pub sku: Option<String>,
    /// The price (minor units).
    pub price_minor: i64,
    /// `member_qr` or `payment_code`.
    pub credential_kind: String,
    /// The stored-value account (members) or the payment code's reference.
    pub account: Option<String>,
    /// Where it stands.
    pub state: VendState,
    /// Why it was denied or released.
    pub reason: Option<String>,
    /// When it was asked for (unix ms).
    pub created_ms: i64,
    /// When the hold ends if the machine says nothing (unix ms).
    pub expires_ms: i64,
    /// When it was settled (unix ms).
    pub settled_ms: Option<i64>,
}

/// One smart-shelf slot: what it holds and what it last weighed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShelfSlot {
    /// The shelf.
    pub shelf: String,
    /// The slot on it.
    pub slot: String,
    /// The SKU it holds.
    pub sku: String,
    /// The weight of one item (g).
    pub unit_grams: i64,
    /// How far a reading may be from a whole number of items (g).
    pub tolerance_grams: i64,
    /// Below this many items the slot needs refilling.
    pub par: i64,
    /// The last reading (g).
    pub grams: Option<i64>,
    /// Items on the slot at the last reading.
    pub count: Option<i64>,
    /// When it was read (unix ms).
    pub ts_ms: Option<i64>,
}

fn vend_row(r: &Row<'_>) -> rusqlite::Result<Vend> {
    Ok(Vend {
        vend_id: r.get(0)?,
        machine: r.get(1)?,
        session_id: r.get(2)?,
        slot: r.get(3)?,
        sku: r.get(4)?,
        price_minor: r.get(5)?,
        credential_kind: r.get(6)?,
        account: r.get(7)?,
        state: VendState::parse(&r.get::<_, String>(8)?),
        reason: r.get(9)?,
        created_ms: r.get(10)?,
        expires_ms: r.get(11)?,
        settled_ms: r.get(12)?,
    })
}

const VEND_COLUMNS: &str = "vend_id, machine, session_id, slot, sku, price_minor, credential_kind, account, state, reason, created_ms, expires_ms, settled_ms";

fn shelf_row(r: &Row<'_>) -> rusqlite::Result<ShelfSlot> {
    Ok(ShelfSlot {
        shelf: r.get(0)?,
        slot: r.get(1)?,
        sku: r.get(2)?,
        unit_grams: r.get(3)?,
        tolerance_grams: r.get(4)?,
        par: r.get(5)?,
        grams: r.get(6)?,
        count: r.get(7)?,
        ts_ms: r.get(8)?,
    })
}

const SHELF_COLUMNS: &str = "shelf, slot, sku, unit_grams, tolerance_grams, par, grams, count, ts_ms";

/// Marks a vend settled inside a transaction (used with [`Replica::append_with`] so that
/// the sale and the settlement are written together).
pub fn settle_vend(tx: &Connection, vend_id: &str, state: VendState, reason: Option<&str>, ts_ms: i64) -> Result<()> {
    tx.prepare_cached("UPDATE vends SET state = ?2, reason = COALESCE(?3, reason), settled_ms = ?4 WHERE vend_id = ?1")?
        .execute(params![vend_id, state.as_str(), reason, ts_ms])?;
    Ok(())
}

/// Takes one item out of a vending slot's count inside a transaction.
pub fn take_from_slot(tx: &Connection, machine: &str, slot: &str) -> Result<()> {
    tx.prepare_cached("UPDATE vend_slots SET count = MAX(count - 1, 0) WHERE machine = ?1 AND slot = ?2")?.execute(params![machine, slot])?;
    Ok(())
}

impl Replica {
    /// Records a device's announced state. Returns its previous online flag, or `None`
    /// for a device seen for the first time.
    pub fn record_device_state(&mut self, device: &str, kind: &str, online: bool, ts_ms: i64) -> Result<Option<bool>> {
        let tx = crate::replica::write(&mut self.conn)?;
        let before: Option<bool> = tx.prepare_cached("SELECT online FROM devices WHERE device = ?1")?.query_row([device], |r| r.get(0)).optional()?;
        tx.prepare_cached(
            "INSERT INTO devices (device, kind, online, since_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (device) DO UPDATE SET kind = excluded.kind,
                since_ms = CASE WHEN online = excluded.online THEN since_ms ELSE excluded.since_ms END,
                online = excluded.online, last_seen_ms = excluded.last_seen_ms",
        )?
        .execute(params![device, kind, online, ts_ms])?;
        tx.commit()?;
        Ok(before)
    }

    /// Notes that a known device spoke. Written at most once a second per device, so a
    /// chatty device does not cost a disk write per message.
    pub fn touch_device(&mut self, device: &str, ts_ms: i64) -> Result<()> {
        self.conn.prepare_cached("UPDATE devices SET last_seen_ms = ?2 WHERE device = ?1 AND last_seen_ms < ?2 - 1000")?.execute(params![device, ts_ms])?;
        Ok(())
    }

    /// Whether the registry knows a device.
    pub fn device_known(&self, device: &str) -> Result<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM devices WHERE device = ?1")?.query_row([device], |_| Ok(())).optional()?.is_some())
    }

    /// Every known device, by id.
    pub fn devices(&self) -> Result<Vec<DeviceRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT k.device, coalesce(d.kind, r.kind), coalesce(r.name, ''), coalesce(r.name_zh, ''), coalesce(r.location, ''), coalesce(r.retired, 0),
                    coalesce(d.online, 0), d.since_ms, d.last_seen_ms
             FROM (SELECT device FROM devices UNION SELECT device FROM device_registry) k
             LEFT JOIN devices d ON d.device = k.device LEFT JOIN device_registry r ON r.device = k.device
             ORDER BY k.device",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DeviceRow {
                device: r.get(0)?,
                kind: r.get(1)?,
                name: r.get(2)?,
                name_zh: r.get(3)?,
                location: r.get(4)?,
                retired: r.get(5)?,
                online: r.get(6)?,
                since_ms: r.get(7)?,
                last_seen_ms: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records an alert; returns false when one with the same id is already open. An
    /// alert id names a condition (`restock:vm-1:A1`): raised again after it was cleared,
    /// it opens again.
    pub fn raise_alert(&mut self, alert: &Alert) -> Result<bool> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO alerts (alert_id, ts_ms, kind, device, detail, detail_zh) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (alert_id) DO UPDATE SET ts_ms = excluded.ts_ms, detail = excluded.detail, detail_zh = excluded.detail_zh, cleared_ms = NULL, cleared_by = ''
                 WHERE alerts.cleared_ms IS NOT NULL",
            )?
            .execute(params![alert.alert_id, alert.ts_ms, alert.kind, alert.device, alert.detail, alert.detail_zh])?;
        Ok(inserted == 1)
    }

    /// The most recent alerts, newest first.
    pub fn alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        let mut stmt = self.conn.prepare_cached("SELECT alert_id, ts_ms, kind, device, detail, detail_zh, cleared_ms, cleared_by FROM alerts ORDER BY ts_ms DESC, alert_id LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], alert_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The open (not cleared) alerts, newest first, however old.
    pub fn open_alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        let mut stmt = self.conn.prepare_cached("SELECT alert_id, ts_ms, kind, device, detail, detail_zh, cleared_ms, cleared_by FROM alerts WHERE cleared_ms IS NULL ORDER BY ts_ms DESC, alert_id LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], alert_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Clears an alert, `by` someone (empty: the device itself); returns false when there
    /// is no such open alert.
    pub fn clear_alert(&mut self, alert_id: &str, ts_ms: i64, by: &str) -> Result<bool> {
        let n = self.conn.prepare_cached("UPDATE alerts SET cleared_ms = ?2, cleared_by = ?3 WHERE alert_id = ?1 AND cleared_ms IS NULL")?.execute(params![alert_id, ts_ms, by])?;
        Ok(n == 1)
    }

    /// The vend a machine's session message started, if it was seen before.
    pub fn vend_for_session(&self, machine: &str, session_id: &str) -> Result<Option<Vend>> {
        let sql = format!("SELECT {VEND_COLUMNS} FROM vends WHERE machine = ?1 AND session_id = ?2");
        Ok(self.conn.prepare_cached(&sql)?.query_row([machine, session_id], vend_row).optional()?)
    }

    /// One vend by id.
    pub fn vend(&self, vend_id: &str) -> Result<Option<Vend>> {
        let sql = format!("SELECT {VEND_COLUMNS} FROM vends WHERE vend_id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([vend_id], vend_row).optional()?)
    }

    /// Every vend, oldest first.
    pub fn vends(&self) -> Result<Vec<Vend>> {
        let sql = format!("SELECT {VEND_COLUMNS} FROM vends ORDER BY created_ms, vend_id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], vend_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a new vend (held or denied), durably.
    pub fn insert_vend(&mut self, vend: &Vend) -> Result<()> {
        self.conn
            .prepare_cached(&format!("INSERT INTO vends ({VEND_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"))?
            .execute(params![
                vend.vend_id,
                vend.machine,
                vend.session_id,
                vend.slot,
                vend.sku,
                vend.price_minor,
                vend.credential_kind,
                vend.account,
                vend.state.as_str(),
                vend.reason,
                vend.created_ms,
                vend.expires_ms,
                vend.settled_ms
            ])?;
        Ok(())
    }

    /// The amount held on a stored-value account by vends not yet settled.
    pub fn held_on_account(&self, account: &str) -> Result<i64> {
        Ok(self.conn.prepare_cached("SELECT COALESCE(SUM(price_minor), 0) FROM vends WHERE account = ?1 AND state = 'held'")?.query_row([account], |r| r.get(0))?)
    }

    /// Held vends whose hold ended before `now_ms`.
    pub fn expired_holds(&self, now_ms: i64) -> Result<Vec<Vend>> {
        let sql = format!("SELECT {VEND_COLUMNS} FROM vends WHERE state = 'held' AND expires_ms < ?1 ORDER BY expires_ms");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([now_ms], vend_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Releases a hold without a sale (failed or expired).
    pub fn release_vend(&mut self, vend_id: &str, reason: &str, ts_ms: i64) -> Result<()> {
        let tx = crate::replica::write(&mut self.conn)?;
        settle_vend(&tx, vend_id, VendState::Released, Some(reason), ts_ms)?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces a vending machine's slot map with what it reported.
    pub fn set_vend_slots(&mut self, machine: &str, slots: &[(String, String, i64)]) -> Result<()> {
        let tx = crate::replica::write(&mut self.conn)?;
        tx.prepare_cached("DELETE FROM vend_slots WHERE machine = ?1")?.execute([machine])?;
        for (slot, sku, count) in slots {
            tx.prepare_cached("INSERT INTO vend_slots (machine, slot, sku, count) VALUES (?1, ?2, ?3, ?4)")?.execute(params![machine, slot, sku, count])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// What a vending slot holds: SKU and count.
    pub fn vend_slot(&self, machine: &str, slot: &str) -> Result<Option<(String, i64)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT sku, count FROM vend_slots WHERE machine = ?1 AND slot = ?2")?
            .query_row([machine, slot], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Every vending slot: (machine, slot, sku, count).
    pub fn vend_slots(&self) -> Result<Vec<(String, String, String, i64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT machine, slot, sku, count FROM vend_slots ORDER BY machine, slot")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a machine's latest telemetry.
    pub fn set_telemetry(&mut self, machine: &str, temp_c: f64, door_open: bool, ts_ms: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO vend_telemetry (machine, temp_c, door_open, ts_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (machine) DO UPDATE SET temp_c = excluded.temp_c, door_open = excluded.door_open, ts_ms = excluded.ts_ms
                 WHERE excluded.ts_ms >= vend_telemetry.ts_ms",
            )?
            .execute(params![machine, temp_c, door_open, ts_ms])?;
        Ok(())
    }

    /// Shelf slots whose product or configuration changed after `since_ms`, with the
    /// time of that change: (shelf, slot, sku, changed_ms). Labels are republished from it.
    pub fn shelf_labels_changed(&self, since_ms: i64) -> Result<Vec<(String, String, String, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.shelf, s.slot, s.sku, MAX(p.updated_ms, s.configured_ms) FROM shelf_slots s JOIN products p ON p.sku = s.sku
             WHERE p.updated_ms > ?1 OR s.configured_ms > ?1 ORDER BY s.shelf, s.slot",
        )?;
        let rows = stmt.query_map([since_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One smart-shelf slot.
    pub fn shelf_slot(&self, shelf: &str, slot: &str) -> Result<Option<ShelfSlot>> {
        let sql = format!("SELECT {SHELF_COLUMNS} FROM shelf_slots WHERE shelf = ?1 AND slot = ?2");
        Ok(self.conn.prepare_cached(&sql)?.query_row([shelf, slot], shelf_row).optional()?)
    }

    /// Every smart-shelf slot, or those holding `sku`.
    pub fn shelf_slots(&self, sku: Option<&str>) -> Result<Vec<ShelfSlot>> {
        let sql = format!("SELECT {SHELF_COLUMNS} FROM shelf_slots WHERE ?1 IS NULL OR sku = ?1 ORDER BY shelf, slot");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([sku], shelf_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a shelf slot's reading.
    pub fn record_shelf_reading(&mut self, shelf: &str, slot: &str, grams: i64, count: i64, ts_ms: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE shelf_slots SET grams = ?3, count = ?4, ts_ms = ?5 WHERE shelf = ?1 AND slot = ?2")?
            .execute(params![shelf, slot, grams, count, ts_ms])?;
        Ok(())
    }

    /// A journaled gate passage by scan: (opened, reason).
    pub fn gate_passage(&self, gate: &str, scan_id: &str) -> Result<Option<(bool, String)>> {
        let seq: Option<i64> = self.conn.prepare_cached("SELECT seq FROM gate_passages WHERE gate = ?1 AND scan_id = ?2")?.query_row([gate, scan_id], |r| r.get(0)).optional()?;
        let Some(seq) = seq else { return Ok(None) };
        let body: Vec<u8> = self.conn.prepare_cached("SELECT body FROM journal WHERE seq = ?1")?.query_row([seq], |r| r.get(0))?;
        match serde_json::from_slice::<opentill_core::journal::Fact>(&body) {
            Ok(opentill_core::journal::Fact::GatePassed { opened, reason, .. }) => Ok(Some((opened, reason))),
            _ => Err(super::ReplicaError::Corrupt(format!("entry {seq} is not a gate passage"))),
        }
    }

    /// Entries and exits through open gates per hour between two instants, local hours
    /// at `utc_offset_min`: (hour 0–23, in, out, refused).
    pub fn footfall(&self, from_ms: i64, to_ms: i64, utc_offset_min: i32) -> Result<Vec<(u32, i64, i64, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ((ts_ms + ?3 * 60000) / 3600000) % 24 AS hour,
                    SUM(opened AND direction = 'in'), SUM(opened AND direction = 'out'), SUM(NOT opened)
             FROM gate_passages WHERE ts_ms >= ?1 AND ts_ms < ?2 GROUP BY hour ORDER BY hour",
        )?;
        let rows = stmt.query_map(params![from_ms, to_ms, utc_offset_min], |r| Ok((r.get::<_, i64>(0)? as u32, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records items leaving a shelf slot.
    pub fn record_pick(&mut self, shelf: &str, slot: &str, sku: &str, qty: i64, ts_ms: i64) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO shelf_picks (shelf, slot, sku, qty, ts_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET qty = qty + excluded.qty")?
            .execute(params![shelf, slot, sku, qty, ts_ms])?;
        Ok(())
    }

    /// Picks since `since_ms`, oldest first: (shelf, slot, sku, qty, ts_ms, alerted).
    pub fn picks_since(&self, since_ms: i64) -> Result<Vec<PickRow>> {
        let mut stmt = self.conn.prepare_cached("SELECT shelf, slot, sku, qty, ts_ms, alerted FROM shelf_picks WHERE ts_ms >= ?1 ORDER BY ts_ms")?;
        let rows = stmt.query_map([since_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks a pick as reported shrink.
    pub fn mark_pick_alerted(&mut self, shelf: &str, slot: &str, ts_ms: i64) -> Result<()> {
        self.conn.prepare_cached("UPDATE shelf_picks SET alerted = 1 WHERE shelf = ?1 AND slot = ?2 AND ts_ms = ?3")?.execute(params![shelf, slot, ts_ms])?;
        Ok(())
    }

    /// Items of `sku` sold between two instants: (time, items), pieces only.
    pub fn sold_between(&self, sku: &str, from_ms: i64, to_ms: i64) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT s.ts_ms, j.body FROM sales s JOIN journal j ON j.seq = s.seq WHERE s.ts_ms >= ?1 AND s.ts_ms < ?2 ORDER BY s.ts_ms")?;
        let rows = stmt.query_map(params![from_ms, to_ms], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (ts, body) = row?;
            if let Ok(opentill_core::journal::Fact::Sale(sale)) = serde_json::from_slice(&body) {
                let qty: i64 = sale.lines.iter().filter(|l| l.sku == sku && l.unit == opentill_core::catalog::Unit::Each).map(|l| l.qty).sum();
                if qty > 0 {
                    out.push((ts, qty));
                }
            }
        }
        Ok(out)
    }

    /// Revokes a member pass; returns false when it was already revoked.
    pub fn revoke_pass(&mut self, pass_id: &str, ts_ms: i64) -> Result<bool> {
        let n = self.conn.prepare_cached("INSERT INTO revoked_passes (pass_id, revoked_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?.execute(params![pass_id, ts_ms])?;
        Ok(n == 1)
    }

    /// Member passes revoked at or after `since_ms`, oldest first (what the edge agent
    /// hands its tills, as the cloud does).
    pub fn revoked_since(&self, since_ms: i64) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT pass_id, revoked_ms FROM revoked_passes WHERE revoked_ms >= ?1 ORDER BY revoked_ms, pass_id")?;
        let rows = stmt.query_map([since_ms], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Whether a member pass was revoked.
    pub fn is_revoked(&self, pass_id: &str) -> Result<bool> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM revoked_passes WHERE pass_id = ?1")?.query_row([pass_id], |_| Ok(())).optional()?.is_some())
    }

    /// Sets the stock level at or under which a SKU raises a low-stock alert; `None`
    /// removes it.
    pub fn set_reorder_level(&mut self, sku: &str, level: Option<i64>) -> Result<()> {
        match level {
            Some(level) => self.conn.prepare_cached("INSERT INTO reorder_levels (sku, level) VALUES (?1, ?2) ON CONFLICT (sku) DO UPDATE SET level = excluded.level")?.execute(params![sku, level])?,
            None => self.conn.prepare_cached("DELETE FROM reorder_levels WHERE sku = ?1")?.execute([sku])?,
        };
        Ok(())
    }

    /// Every SKU with a reorder level: `(sku, on hand, level)`, by SKU.
    pub fn reorder_levels(&self) -> Result<Vec<(String, i64, i64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT r.sku, COALESCE(s.qty, 0), r.level FROM reorder_levels r LEFT JOIN stock s ON s.sku = r.sku ORDER BY r.sku")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets this store's own promotion (JSON of `opentill_core::promo::Promotion`, already
    /// checked), or with `None` removes it: an edit of the offers document, which every
    /// node of the tenant syncs (see `replica::offers`).
    pub fn put_promotion(&mut self, promo_id: &str, body: Option<&str>, now_ms: i64) -> Result<()> {
        self.put_store_offer(crate::docs::offers::Section::Promotion, promo_id, body, now_ms).map(|_| ())
    }

    /// Every stored promotion: `(promo_id, JSON)`, by id.
    pub fn promotions(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached("SELECT promo_id, body FROM promotions WHERE body IS NOT NULL ORDER BY promo_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets this store's own coupon (JSON of `opentill_core::promo::Coupon`, already
    /// checked), or with `None` removes it: an edit of the offers document.
    pub fn put_coupon(&mut self, coupon_id: &str, body: Option<&str>, now_ms: i64) -> Result<()> {
        self.put_store_offer(crate::docs::offers::Section::Coupon, coupon_id, body, now_ms).map(|_| ())
    }

    /// Every stored coupon: `(coupon_id, JSON)`, by id.
    pub fn coupons(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached("SELECT coupon_id, body FROM coupons WHERE body IS NOT NULL ORDER BY coupon_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How often sales used a promotion or coupon, and the pieces a flash sale sold:
    /// in all with `member` `None`, else by that member. `(0, 0)` if never.
    pub fn offer_uses(&self, offer_id: &str, member: Option<&str>) -> Result<(i64, i64)> {
        Ok(self
            .conn
            .prepare_cached("SELECT uses, flash_pieces FROM offer_uses WHERE offer_id = ?1 AND member = ?2")?
            .query_row(params![offer_id, member.unwrap_or("")], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or((0, 0)))
    }

    /// A member by id, phone or referral code (the person: a registration merged into
    /// another finds that one, with both's spend and points).
    pub fn member(&self, key: &str) -> Result<Option<MemberRow>> {
        // The survivor, when the key names a registration merged into another.
        let Some(id) = self.conn.prepare_cached(super::members::RESOLVE)?.query_row([key], |r| r.get::<_, String>(0)).optional()? else { return Ok(None) };
        Ok(self.conn.prepare_cached(&format!("{} FROM members m WHERE m.member_id = ?1", super::members::MEMBER_SELECT))?.query_row([id], member_row).optional()?)
    }

    /// Members, newest first, at most `limit`.
    pub fn members(&self, limit: usize) -> Result<Vec<MemberRow>> {
        // The page first, then the sums of those rows only.
        let mut stmt = self.conn.prepare_cached(&format!(
            "{} FROM (SELECT * FROM members WHERE merged_into IS NULL ORDER BY registered_ms DESC, member_id LIMIT ?1) m ORDER BY m.registered_ms DESC, m.member_id",
            super::members::MEMBER_SELECT
        ))?;
        let rows = stmt.query_map([limit as i64], member_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The member program (JSON of `opentill_core::member::MemberProgram`), if one was set.
    pub fn member_program(&self) -> Result<Option<String>> {
        Ok(self.conn.prepare_cached("SELECT body FROM member_program WHERE id = 1")?.query_row([], |r| r.get(0)).optional()?)
    }

    /// Sets this store's member program (already checked) in the offers document.
    pub fn set_member_program(&mut self, body: &str, now_ms: i64) -> Result<()> {
        self.put_store_offer(crate::docs::offers::Section::Setting, crate::docs::offers::MEMBER_PROGRAM, Some(body), now_ms).map(|_| ())
    }

    /// The commission rules (JSON of `opentill_core::commission::CommissionRules`), if set.
    pub fn commission_rules(&self) -> Result<Option<String>> {
        Ok(self.conn.prepare_cached("SELECT body FROM commission_rules WHERE id = 1")?.query_row([], |r| r.get(0)).optional()?)
    }

    /// Sets this store's commission rules (already checked) in the offers document.
    pub fn set_commission_rules(&mut self, body: &str, now_ms: i64) -> Result<()> {
        self.put_store_offer(crate::docs::offers::Section::Setting, crate::docs::offers::COMMISSION_RULES, Some(body), now_ms).map(|_| ())
    }

    /// When a promotion was last added, changed or removed.
    pub fn promotions_changed_ms(&self) -> Result<Option<i64>> {
        Ok(self.conn.prepare_cached("SELECT MAX(changed_ms) FROM promotions")?.query_row([], |r| r.get(0))?)
    }
}

/// A smart-shelf pick: (shelf, slot, sku, qty, ts_ms, alerted).
pub type PickRow = (String, String, String, i64, i64, bool);

/// A member as the replica holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// Id.
    pub member_id: String,
    /// Mobile number.
    pub phone: String,
    /// Name.
    pub name: String,
    /// `MM-DD`.
    pub birthday: Option<String>,
    /// Their referral code.
    pub referral_code: String,
    /// Who referred them.
    pub referred_by: Option<String>,
    /// When they registered, unix ms.
    pub registered_ms: i64,
    /// Lifetime spend, minor units.
    pub spend: i64,
    /// Points.
    pub points: i64,
}

fn member_row(r: &Row<'_>) -> rusqlite::Result<MemberRow> {
    Ok(MemberRow {
        member_id: r.get(0)?,
        phone: r.get(1)?,
        name: r.get(2)?,
        birthday: r.get(3)?,
        referral_code: r.get(4)?,
        referred_by: r.get(5)?,
        registered_ms: r.get(6)?,
        spend: r.get(7)?,
        points: r.get(8)?,
    })
}

fn alert_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert { alert_id: r.get(0)?, ts_ms: r.get(1)?, kind: r.get(2)?, device: r.get(3)?, detail: r.get(4)?, detail_zh: r.get(5)?, cleared_ms: r.get(6)?, cleared_by: r.get(7)? })
}

/// Writes this store's registry entries and shelf slots named in `changed` from the
/// document into `device_registry` and `shelf_slots`. Returns how many rows it wrote.
fn project(conn: &Connection, doc: &DevicesDoc, store: &str, changed: &DevicesChanged, now_ms: i64) -> Result<usize> {
    let mut n = 0;
    for (_, device) in changed.devices.iter().filter(|(s, _)| s == store) {
        let Some((p, _)) = doc.device(store, device) else { continue };
        conn.prepare_cached(
            "INSERT INTO device_registry (device, kind, name, name_zh, location, retired) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (device) DO UPDATE SET kind = excluded.kind, name = excluded.name, name_zh = excluded.name_zh, location = excluded.location, retired = excluded.retired",
        )?
        .execute(params![device, p.kind, p.name, p.name_zh, p.location, p.retired])?;
        if p.retired {
            // No longer expected online: its offline alert is closed wherever it was raised.
            conn.prepare_cached("UPDATE alerts SET cleared_ms = ?2, cleared_by = '' WHERE alert_id = 'device_offline:' || ?1 AND cleared_ms IS NULL")?.execute(params![device, now_ms])?;
        }
        n += 1;
    }
    for (_, shelf, slot) in changed.slots.iter().filter(|(s, _, _)| s == store) {
        match doc.slot(store, shelf, slot).and_then(|(c, _)| c) {
            // A new configuration keeps the slot's last reading; `configured_ms` makes the
            // label go out again.
            Some(c) => conn
                .prepare_cached(
                    "INSERT INTO shelf_slots (shelf, slot, sku, unit_grams, tolerance_grams, par, configured_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (shelf, slot) DO UPDATE SET sku = excluded.sku, unit_grams = excluded.unit_grams,
                        tolerance_grams = excluded.tolerance_grams, par = excluded.par, configured_ms = max(shelf_slots.configured_ms, excluded.configured_ms)",
                )?
                .execute(params![shelf, slot, c.sku, c.unit_grams, c.tolerance_grams, c.par, now_ms])?,
            None => conn.prepare_cached("DELETE FROM shelf_slots WHERE shelf = ?1 AND slot = ?2")?.execute([shelf, slot])?,
        };
        n += 1;
    }
    Ok(n)
}

impl Replica {
    /// The devices document, loaded (or reused if nobody wrote it since).
    pub fn devices_doc(&mut self) -> Result<&mut DevicesDoc> {
        self.loaded()
    }

    /// Runs `edit` on the devices document with this node's clock, then saves the
    /// changes, projects this store's entries it touched and saves the clock, in one
    /// transaction.
    pub fn edit_devices<T>(&mut self, now_ms: i64, edit: impl FnOnce(&mut DevicesDoc, &mut HlcClock) -> std::result::Result<T, crate::docs::DocError>) -> Result<(T, DocUpdate)> {
        self.edit_local(now_ms, edit)
    }

    /// Configures smart-shelf slots of this store for every node of it (`Some`), or clears
    /// them (`None`): one edit of the devices document. A slot keeps its last reading.
    pub fn set_shelf_slots(&mut self, slots: &[(&str, &str, Option<SlotConfig>)], now_ms: i64) -> Result<()> {
        let store = self.settings.store_id.clone();
        self.edit_devices(now_ms, |doc, clock| slots.iter().try_for_each(|(shelf, slot, config)| doc.put_slot(&store, shelf, slot, config.as_ref(), clock, now_ms)))?;
        Ok(())
    }

    /// Puts a device of this store into the registry (or changes its entry) for every node.
    pub fn register_device(&mut self, device: &str, profile: &DeviceProfile, now_ms: i64) -> Result<()> {
        let store = self.settings.store_id.clone();
        self.edit_devices(now_ms, |doc, clock| doc.put_device(&store, device, profile, clock, now_ms))?;
        Ok(())
    }

    /// Puts what this node knows of its devices and the document does not into it: a
    /// device heard from (with the kind it announced) and a shelf slot configured before
    /// the planogram was shared. Run when a device is first heard from and when the replica
    /// opens. Returns how many entries it added.
    pub fn share_devices(&mut self, now_ms: i64) -> Result<usize> {
        let store = self.settings.store_id.clone();
        let heard: Vec<(String, String)> = self.conn.prepare_cached("SELECT device, kind FROM devices ORDER BY device")?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let configured = self.shelf_slots(None)?;
        let doc = self.devices_doc()?;
        let new_devices: Vec<(String, DeviceProfile)> = heard
            .into_iter()
            .filter(|(device, _)| doc.device(&store, device).is_none())
            .map(|(device, kind)| {
                let kind = if crate::docs::devices::KINDS.contains(&kind.as_str()) { kind } else { "other".into() };
                (device, DeviceProfile { kind, name: String::new(), name_zh: String::new(), location: String::new(), retired: false })
            })
            .collect();
        let new_slots: Vec<(String, String, SlotConfig)> = configured
            .into_iter()
            .filter(|s| doc.slot(&store, &s.shelf, &s.slot).is_none())
            .map(|s| (s.shelf, s.slot, SlotConfig { sku: s.sku, unit_grams: s.unit_grams, tolerance_grams: s.tolerance_grams, par: s.par }))
            .collect();
        let n = new_devices.len() + new_slots.len();
        if n > 0 {
            self.edit_devices(now_ms, |doc, clock| {
                for (device, profile) in &new_devices {
                    doc.put_device(&store, device, profile, clock, now_ms)?;
                }
                new_slots.iter().try_for_each(|(shelf, slot, c)| doc.put_slot(&store, shelf, slot, Some(c), clock, now_ms))
            })?;
        }
        Ok(n)
    }

    pub(crate) fn commit_devices(&mut self, version: i64, mut doc: DevicesDoc, before: &[String], clock: &mut HlcClock, now_ms: i64) -> Result<DocUpdate> {
        let store = self.settings.store_id.clone();
        let changed = doc.changed_since(before);
        if let Some(hlc) = doc.latest_hlc() {
            clock.observe(&hlc);
        }
        let tx = write(&mut self.conn)?;
        let version = save_doc(&tx, &mut doc, version, now_ms)?;
        let projected = project(&tx, &doc, &store, &changed, now_ms)?;
        save_clock(&tx, clock)?;
        tx.commit()?;
        self.docs.devices = Some((version, doc));
        let mut names: BTreeSet<String> = changed.devices.iter().map(|(s, d)| format!("{s}:{d}")).collect();
        names.extend(changed.slots.iter().map(|(s, shelf, slot)| format!("{s}:{shelf}/{slot}")));
        Ok(DocUpdate { changed: names, projected })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::StoreSettings;
    use crate::docs::devices::DEVICES;

    fn node(dir: &Path, id: &str, key: u8) -> Replica {
        Replica::create(&dir.join(id), StoreSettings::new("S1", id), [key; 32]).unwrap()
    }

    fn sync(a: &mut Replica, b: &mut Replica) {
        let (mut sa, mut sb) = (automerge::sync::State::new(), automerge::sync::State::new());
        for _ in 0..8 {
            if let Some(m) = a.doc_sync_message(DEVICES, &mut sa).unwrap() {
                b.receive_doc_sync(DEVICES, &mut sb, &m, 50_000).unwrap();
            }
            if let Some(m) = b.doc_sync_message(DEVICES, &mut sb).unwrap() {
                a.receive_doc_sync(DEVICES, &mut sa, &m, 50_000).unwrap();
            }
        }
    }

    fn cola(par: i64) -> SlotConfig {
        SlotConfig { sku: "DRK-1".into(), unit_grams: 350, tolerance_grams: 15, par }
    }

    #[test]
    fn what_an_agent_knew_before_the_registry_was_shared_reaches_a_till_and_a_retired_device_stops_alerting() {
        let dir = tempfile::tempdir().unwrap();
        let mut agent = node(dir.path(), "edge", 1);
        // As an agent of an older release left it: a shelf configured and a gate heard from,
        // straight in the tables, and the gate's offline alert open.
        agent.conn.execute_batch("INSERT INTO shelf_slots (shelf, slot, sku, unit_grams, tolerance_grams, par, grams, count, ts_ms, configured_ms) VALUES ('sh-1', 'A1', 'DRK-1', 350, 15, 2, 1400, 4, 900, 800)").unwrap();
        agent.record_device_state("gate-1", "gate", false, 1_000).unwrap();
        let alert = Alert { alert_id: "device_offline:gate-1".into(), ts_ms: 1_000, kind: "device_offline".into(), device: "gate-1".into(), detail: "gate gate-1 went offline".into(), detail_zh: String::new(), cleared_ms: None, cleared_by: String::new() };
        agent.raise_alert(&alert).unwrap();
        drop(agent);
        let mut agent = Replica::open(&dir.path().join("edge")).unwrap();
        let slot = agent.shelf_slot("sh-1", "A1").unwrap().unwrap();
        assert_eq!((slot.count, slot.par), (Some(4), 2), "sharing keeps the reading");
        assert_eq!(agent.share_devices(2_000).unwrap(), 0, "already shared when it opened");

        let mut till = node(dir.path(), "till", 2);
        assert!(till.devices().unwrap().is_empty());
        sync(&mut agent, &mut till);
        assert_eq!(till.shelf_slots(None).unwrap().iter().map(|s| (s.shelf.as_str(), s.slot.as_str(), s.par, s.count)).collect::<Vec<_>>(), [("sh-1", "A1", 2, None)]);
        let gate = till.devices().unwrap().into_iter().find(|d| d.device == "gate-1").unwrap();
        assert_eq!((gate.kind.as_str(), gate.last_seen_ms, gate.retired), ("gate", None, false), "known to the till by the registry only");

        // The till raises the par and retires the gate; the agent keeps its reading, and
        // the gate's open alert is closed there.
        till.set_shelf_slots(&[("sh-1", "A1", Some(cola(6)))], 3_000).unwrap();
        till.register_device("gate-1", &DeviceProfile { kind: "gate".into(), name: "Old gate".into(), name_zh: "旧闸机".into(), location: String::new(), retired: true }, 3_000).unwrap();
        sync(&mut till, &mut agent);
        let slot = agent.shelf_slot("sh-1", "A1").unwrap().unwrap();
        assert_eq!((slot.par, slot.count), (6, Some(4)));
        let gate = agent.devices().unwrap().into_iter().find(|d| d.device == "gate-1").unwrap();
        assert_eq!((gate.name.as_str(), gate.retired, gate.last_seen_ms), ("Old gate", true, Some(1_000)));
        assert!(agent.open_alerts(10).unwrap().is_empty(), "the retired gate's alert is closed");

        // Cleared at the agent: gone from the till too.
        agent.set_shelf_slots(&[("sh-1", "A1", None)], 60_000).unwrap();
        sync(&mut agent, &mut till);
        assert!(till.shelf_slots(None).unwrap().is_empty() && agent.shelf_slots(None).unwrap().is_empty());
        assert_eq!(agent.doc_heads(DEVICES).unwrap(), till.doc_heads(DEVICES).unwrap());
    }
}
