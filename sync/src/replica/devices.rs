//! The edge agent's device state, kept beside the journal in the same database: the
//! device registry, alerts, vends and their holds, vending slots and telemetry, smart-shelf
//! slots and revoked member passes. Facts that follow from devices (a vend sale, a gate
//! passage) are journal entries; these tables hold what is not a fact.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Replica, Result};

/// A device as the registry knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRow {
    /// The device id from its topics.
    pub device: String,
    /// What it is (`shelf`, `vending`, ...).
    pub kind: String,
    /// Whether it is online now.
    pub online: bool,
    /// Since when it has been online or offline (unix ms).
    pub since_ms: i64,
    /// The last message from it (unix ms).
    pub last_seen_ms: i64,
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
        let mut stmt = self.conn.prepare_cached("SELECT device, kind, online, since_ms, last_seen_ms FROM devices ORDER BY device")?;
        let rows = stmt.query_map([], |r| Ok(DeviceRow { device: r.get(0)?, kind: r.get(1)?, online: r.get(2)?, since_ms: r.get(3)?, last_seen_ms: r.get(4)? }))?;
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

    /// Configures a smart-shelf slot (keeps its last reading).
    pub fn set_shelf_slot(&mut self, slot: &ShelfSlot, ts_ms: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO shelf_slots (shelf, slot, sku, unit_grams, tolerance_grams, par, configured_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (shelf, slot) DO UPDATE SET sku = excluded.sku, unit_grams = excluded.unit_grams,
                    tolerance_grams = excluded.tolerance_grams, par = excluded.par, configured_ms = excluded.configured_ms",
            )?
            .execute(params![slot.shelf, slot.slot, slot.sku, slot.unit_grams, slot.tolerance_grams, slot.par, ts_ms])?;
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
