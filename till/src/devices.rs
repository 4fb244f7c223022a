//! What the edge agent does with a device message (already checked against the device
//! contract): the registry and health, vending, telemetry and restock alarms, smart-shelf
//! readings, gates. Each call writes what it learned durably and returns the messages to
//! publish; the MQTT shell publishes them and only then acknowledges the device's message,
//! so a crash in between makes the broker redeliver and the same answer is given again.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use opentill_hardware::contract::{self, Body, GateDirection, Inbound, Outbound};
use opentill_sync::Alert;
use opentill_sync::docs::devices::{DeviceProfile, SlotConfig};
use serde::Serialize;
use tracing::{info, warn};

use crate::{Result, Till, TillError, new_id};

/// A vending slot at or below this count raises a restock alert.
pub const RESTOCK_PAR: i64 = 2;
/// Chilled cabinets must stay within this range (°C).
pub const TEMP_RANGE_C: (f64, f64) = (0.0, 10.0);

/// A message for the broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    /// Full topic.
    pub topic: String,
    /// JSON payload.
    pub payload: Vec<u8>,
    /// Retained or not.
    pub retain: bool,
}

/// Where the e-paper label task stands: the newest change it published, and which
/// promotions were running then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelCursor {
    since_ms: i64,
    running: Vec<String>,
}

impl Default for LabelCursor {
    fn default() -> LabelCursor {
        LabelCursor { since_ms: i64::MIN, running: Vec::new() }
    }
}

/// A code a networked scanner read (`scanner/{device}/scan`), passed on to the tills
/// listening at `/api/scans/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NetworkScan {
    /// The scanner.
    pub scanner: String,
    /// The message id (a repeated message is the same scan).
    pub id: String,
    /// What it read.
    pub code: String,
}

/// Counters of the device bridge, shown at `/api/devices/metrics`, and the feed of
/// network scans.
#[derive(Debug)]
pub struct DeviceStats {
    /// Network scans, to every listener; a slow listener misses the oldest.
    scans: tokio::sync::broadcast::Sender<NetworkScan>,
    /// Messages received.
    pub received: AtomicU64,
    /// Messages acted on.
    pub handled: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    /// Whether the bridge is connected to the broker and subscribed.
    connected: std::sync::atomic::AtomicBool,
    /// Publish-to-handled times: count per millisecond, the last bucket for 2 s and more.
    latency: Mutex<Vec<u64>>,
}

const LATENCY_BUCKETS: usize = 2_001;

/// A snapshot of [`DeviceStats`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DeviceStatsDto {
    /// Whether the device bridge is connected to the MQTT broker and subscribed to the
    /// store's topics (false while the broker is down or being restarted).
    pub connected: bool,
    /// Messages received.
    pub received: u64,
    /// Messages acted on.
    pub handled: u64,
    /// Messages refused, by reason (`topic`, `oversized`, `json`, `field`, `unknown_device`, `refused`).
    pub rejected: BTreeMap<String, u64>,
    /// Median time from a device's `ts` to handled, in ms (clocks must agree).
    pub latency_p50_ms: Option<u64>,
    /// 99th percentile of the same.
    pub latency_p99_ms: Option<u64>,
    /// Worst of the same (2000 means 2 s or more).
    pub latency_max_ms: Option<u64>,
    /// The whole distribution: `[ms, messages]` for every millisecond that has any, so
    /// that a client can take the difference of two snapshots (a benchmark's steady
    /// state, the last hour).
    pub latency_histogram: Vec<[u64; 2]>,
}

impl Default for DeviceStats {
    fn default() -> Self {
        DeviceStats { scans: tokio::sync::broadcast::channel(64).0, received: AtomicU64::default(), handled: AtomicU64::default(), rejected: Mutex::default(), connected: std::sync::atomic::AtomicBool::default(), latency: Mutex::default() }
    }
}

impl DeviceStats {
    /// Counts a refused message.
    pub fn reject(&self, reason: &'static str) {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner()).entry(reason).or_default() += 1;
    }

    /// Passes a network scan on to the tills listening.
    pub fn scanned(&self, scan: NetworkScan) {
        // No listener is not an error: nobody is at a till.
        let _ = self.scans.send(scan);
    }

    /// Listens to network scans from now on.
    pub fn listen_scans(&self) -> tokio::sync::broadcast::Receiver<NetworkScan> {
        self.scans.subscribe()
    }

    /// Records whether the bridge is connected and subscribed.
    pub fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
    }

    /// Counts a received message.
    pub fn receive(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a handled message that the device sent at `sent_ms`, handled at `now_ms`.
    pub fn handle(&self, sent_ms: i64, now_ms: i64) {
        self.handled.fetch_add(1, Ordering::Relaxed);
        let ms = (now_ms - sent_ms).clamp(0, LATENCY_BUCKETS as i64 - 1) as usize;
        let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        if latency.is_empty() {
            latency.resize(LATENCY_BUCKETS, 0);
        }
        latency[ms] += 1;
    }

    fn percentile(latency: &[u64], q: f64) -> Option<u64> {
        let total: u64 = latency.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        latency.iter().position(|n| {
            seen += n;
            seen >= rank
        }).map(|i| i as u64)
    }

    /// The counters now.
    pub fn snapshot(&self) -> DeviceStatsDto {
        let latency = self.latency.lock().unwrap_or_else(|p| p.into_inner()).clone();
        DeviceStatsDto {
            connected: self.connected.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            handled: self.handled.load(Ordering::Relaxed),
            rejected: self.rejected.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            latency_p50_ms: Self::percentile(&latency, 0.5),
            latency_p99_ms: Self::percentile(&latency, 0.99),
            latency_max_ms: Self::percentile(&latency, 1.0),
            latency_histogram: latency.iter().enumerate().filter(|(_, n)| **n > 0).map(|(ms, n)| [ms as u64, *n]).collect(),
        }
    }
}

fn json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// The alert as published on `agent/alert`.
pub fn alert_message(store: &str, alert: &Alert) -> Publish {
    #[derive(Serialize)]
    struct Msg<'a> {
        id: &'a str,
        ts: i64,
        kind: &'a str,
        device: &'a str,
        detail: &'a str,
        detail_zh: &'a str,
        cleared: bool,
    }
    let msg = Msg { id: &alert.alert_id, ts: alert.ts_ms, kind: &alert.kind, device: &alert.device, detail: &alert.detail, detail_zh: &alert.detail_zh, cleared: alert.cleared_ms.is_some() };
    Publish { topic: contract::alert_topic(store), payload: json(&msg), retain: false }
}

impl Till {
    /// Acts on a burst of checked device messages in one transaction, fsynced once (group
    /// commit), and returns each message's outcome in order. Each message's writes sit
    /// behind a savepoint: a message that fails takes back only its own writes, the others
    /// still commit. When this returns `Err` (the commit itself failed) nothing of the
    /// burst was written and no message may be acknowledged.
    pub fn on_device_messages(&mut self, msgs: &[Inbound]) -> Result<Vec<Result<Vec<Publish>>>> {
        self.replica.begin_batch()?;
        let mut results = Vec::with_capacity(msgs.len());
        for msg in msgs {
            if let Err(e) = self.replica.mark() {
                self.replica.rollback_batch();
                return Err(e.into());
            }
            let result = self.on_device_message(msg);
            let step = if result.is_ok() { self.replica.keep_since_mark() } else { self.replica.undo_to_mark() };
            if let Err(e) = step {
                // SQLite already rolled the transaction back (a full disk, an I/O error).
                self.replica.rollback_batch();
                return Err(e.into());
            }
            results.push(result);
        }
        self.replica.commit_batch()?;
        Ok(results)
    }
}

impl Till {
    /// Acts on one checked device message and returns what to publish. A message from a
    /// device that never announced itself on `dev/{device}/state` is refused with
    /// [`TillError::UnknownDevice`].
    pub fn on_device_message(&mut self, msg: &Inbound) -> Result<Vec<Publish>> {
        let store = self.replica.settings().store_id.clone();
        let now = self.clock.now_ms();
        let mut out = Vec::new();
        let device = msg.device.as_str();
        if let Body::State { online, kind } = &msg.body {
            let before = self.replica.record_device_state(device, kind.as_str(), *online, now)?;
            // A device heard from for the first time joins the store's shared registry.
            if before.is_none()
                && let Err(e) = self.replica.share_devices(now)
            {
                warn!(device, error = %e, "could not put a new device into the devices document yet");
            }
            let alert_id = format!("device_offline:{device}");
            // A retired device is no longer expected online.
            let retired = self.replica.devices_doc()?.device(&store, device).is_some_and(|(p, _)| p.retired);
            match (before, online) {
                (Some(true) | None, false) if !retired => {
                    let detail = format!("{} {device} went offline", kind.as_str());
                    let detail_zh = format!("{} {device} 已离线", kind_zh(*kind));
                    self.alert(&store, &mut out, &alert_id, "device_offline", device, detail, detail_zh, now)?;
                }
                (Some(false), true) => self.clear(&store, &mut out, &alert_id, now)?,
                _ => {}
            }
            info!(device, online, "device state");
            return Ok(out);
        }
        if !self.replica.device_known(device)? {
            return Err(TillError::UnknownDevice(device.to_string()));
        }
        self.replica.touch_device(device, now)?;
        match &msg.body {
            Body::State { .. } => unreachable!("handled above"),
            Body::VendSession { slot, credential } => {
                let cmd = self.vend_session(device, &msg.id, slot, credential)?;
                let body = Outbound::VendCommand {
                    id: new_id(),
                    ts: now,
                    session: msg.id.clone(),
                    vend: cmd.vend,
                    action: if cmd.denied.is_some() { "deny" } else { "vend" },
                    slot: cmd.slot,
                    price_minor: cmd.price_minor,
                    reason: cmd.denied.map(|d| d.code().to_string()),
                    expires_ts: cmd.expires_ms,
                };
                out.push(Publish { topic: contract::vend_command_topic(&store, device), payload: json(&body), retain: false });
            }
            Body::VendResult { vend, outcome, reason } => {
                let settled = self.vend_result(device, vend, *outcome, reason.as_deref())?;
                if let Some(alert) = &settled.alert {
                    out.push(alert_message(&store, alert));
                }
                let ack = Outbound::VendAck { id: new_id(), ts: now, vend: settled.vend.clone(), charged: settled.charged };
                out.push(Publish { topic: contract::vend_ack_topic(&store, device), payload: json(&ack), retain: false });
                if settled.charged {
                    self.restock_check(&store, &mut out, device, now)?;
                }
            }
            Body::VendInventory { slots } => {
                let rows: Vec<(String, String, i64)> = slots.iter().map(|s| (s.slot.clone(), s.sku.clone(), s.count)).collect();
                self.replica.set_vend_slots(device, &rows)?;
                self.restock_check(&store, &mut out, device, now)?;
            }
            Body::VendTelemetry { temp_c, door_open } => {
                self.replica.set_telemetry(device, *temp_c, *door_open, msg.ts)?;
                let temp_id = format!("temperature:{device}");
                if *temp_c < TEMP_RANGE_C.0 || *temp_c > TEMP_RANGE_C.1 {
                    let detail = format!("{device} cabinet at {temp_c:.1} °C, outside {:.0}–{:.0} °C", TEMP_RANGE_C.0, TEMP_RANGE_C.1);
                    let detail_zh = format!("{device} 柜内温度 {temp_c:.1} °C，超出 {:.0}–{:.0} °C", TEMP_RANGE_C.0, TEMP_RANGE_C.1);
                    self.alert(&store, &mut out, &temp_id, "temperature", device, detail, detail_zh, now)?;
                } else {
                    self.clear(&store, &mut out, &temp_id, now)?;
                }
                let door_id = format!("door_open:{device}");
                if *door_open {
                    self.alert(&store, &mut out, &door_id, "door_open", device, format!("{device} door is open"), format!("{device} 柜门未关"), now)?;
                } else {
                    self.clear(&store, &mut out, &door_id, now)?;
                }
            }
            Body::ShelfWeight { slot, grams } => self.shelf_reading(&store, &mut out, device, slot, *grams, now)?,
            Body::GateScan { code, direction } => {
                let (open, reason) = match self.replica.gate_passage(device, &msg.id)? {
                    // A repeated scan message: the same answer, journaled once.
                    Some(answer) => answer,
                    None => {
                        let pass = self.check_pass(code)?;
                        let (open, reason) = match (direction, &pass) {
                            (GateDirection::Out, _) => (true, "exit".to_string()),
                            (GateDirection::In, Ok(_)) => (true, "member".to_string()),
                            (GateDirection::In, Err(denial)) => (false, denial.code().to_string()),
                        };
                        let fact = opentill_core::journal::Fact::GatePassed {
                            gate: device.to_string(),
                            scan_id: msg.id.clone(),
                            direction: match direction {
                                GateDirection::In => "in",
                                GateDirection::Out => "out",
                            }
                            .to_string(),
                            opened: open,
                            reason: reason.clone(),
                            account: pass.ok().map(|p| p.account),
                        };
                        self.replica.append(now, &fact)?;
                        (open, reason)
                    }
                };
                info!(gate = device, open, %reason, "gate scan");
                let body = Outbound::GateCommand { id: new_id(), ts: now, open, reason };
                out.push(Publish { topic: contract::gate_command_topic(&store, device), payload: json(&body), retain: false });
            }
            Body::Scan { code } => info!(scanner = device, code, "network scan"),
        }
        Ok(out)
    }

    /// Configures a smart-shelf slot: the SKU it holds, one item's weight and the tolerance
    /// of a reading, and the par level under which it needs refilling. The planogram is
    /// shared (the devices document), so every node of the store gets it when it syncs,
    /// and the edge agent that drives the shelf republishes the slot's label.
    pub fn set_shelf_slot(&mut self, shelf: &str, slot: &str, sku: &str, unit_grams: i64, tolerance_grams: i64, par: i64) -> Result<()> {
        crate::validate_id(shelf, "shelf")?;
        crate::validate_id(slot, "slot")?;
        if self.replica.product_by_sku(sku)?.is_none() {
            return Err(TillError::UnknownSku(sku.to_string()));
        }
        if unit_grams <= 0 || tolerance_grams < 0 || tolerance_grams.saturating_mul(2) >= unit_grams || par < 0 {
            return Err(TillError::BadInput(format!("unit weight {unit_grams} g, tolerance {tolerance_grams} g, par {par}: the weight must be positive, the tolerance under half of it, the par 0 or more")));
        }
        let config = SlotConfig { sku: sku.into(), unit_grams, tolerance_grams, par };
        let now = self.clock.now_ms();
        self.replica.set_shelf_slots(&[(shelf, slot, Some(config))], now)?;
        Ok(())
    }

    /// Clears a smart-shelf slot from the store's planogram (its label is no longer
    /// kept up to date, its readings no longer counted). Clearing a slot that is not
    /// configured is an error.
    pub fn clear_shelf_slot(&mut self, shelf: &str, slot: &str) -> Result<()> {
        if self.replica.shelf_slot(shelf, slot)?.is_none() {
            return Err(TillError::BadInput(format!("shelf {shelf} has no configured slot {slot}")));
        }
        let now = self.clock.now_ms();
        self.replica.set_shelf_slots(&[(shelf, slot, None)], now)?;
        Ok(())
    }

    /// Names a device of this store in the shared registry (both languages, where it
    /// stands), or retires it; a device not heard from yet can be registered ahead of its
    /// installation. `kind` defaults to what the device announced, else `other`.
    pub fn register_device(&mut self, device: &str, kind: Option<&str>, name: &str, name_zh: &str, location: &str, retired: bool) -> Result<()> {
        crate::validate_id(device, "device")?;
        let known = self.replica.devices()?.into_iter().find(|d| d.device == device);
        let kind = kind.map(str::to_string).or_else(|| known.map(|d| d.kind)).unwrap_or_else(|| "other".into());
        let profile = DeviceProfile { kind, name: name.trim().into(), name_zh: name_zh.trim().into(), location: location.trim().into(), retired };
        let now = self.clock.now_ms();
        self.replica.register_device(device, &profile, now)?;
        Ok(())
    }

    /// Retained e-paper labels for the shelf slots whose price, configuration or running
    /// promotions changed since `cursor` (start with [`LabelCursor::default`]), which moves on.
    pub fn shelf_labels_since(&self, cursor: &mut LabelCursor) -> Result<Vec<Publish>> {
        let store = self.replica.settings().store_id.clone();
        let offset = self.replica.settings().utc_offset_min;
        let now = self.clock.now_ms();
        let promotions = self.promotions()?;
        let running: Vec<&opentill_core::promo::Promotion> = promotions.iter().filter(|p| p.is_running(now, offset)).collect();
        let running_ids: Vec<String> = running.iter().map(|p| p.id.clone()).collect();
        let promos_changed = self.replica.promotions_changed_ms()?.unwrap_or(i64::MIN);
        // A promotion added, changed, removed, starting or ending: every label again.
        let everything = running_ids != cursor.running || promos_changed > cursor.since_ms;
        let since = if everything { i64::MIN } else { cursor.since_ms };
        let mut newest = cursor.since_ms.max(promos_changed);
        let mut out = Vec::new();
        for (shelf, slot, sku, changed) in self.replica.shelf_labels_changed(since)? {
            newest = newest.max(changed);
            let Some(product) = self.replica.product_by_sku(&sku)? else { continue };
            let currency = self.replica.settings().currency;
            // The first running promotion that covers the product, by priority then id.
            let text = |lang| running.iter().find_map(|p| p.label_text(&sku, &product.category, None, currency, lang));
            let (promo, promo_zh) = (text(opentill_core::i18n::Lang::En), text(opentill_core::i18n::Lang::Zh));
            let ts = changed.max(if everything { now } else { i64::MIN });
            let body = Outbound::ShelfLabel { id: format!("label-{shelf}-{slot}-{ts}"), ts, sku, name: product.name, name_zh: product.name_zh, price_minor: product.price_minor, promo, promo_zh };
            out.push(Publish { topic: contract::shelf_label_topic(&store, &shelf, &slot), payload: json(&body), retain: true });
        }
        cursor.since_ms = newest;
        cursor.running = running_ids;
        Ok(out)
    }

    /// Adds or replaces a promotion (JSON of [`opentill_core::promo::Promotion`]) after
    /// checking it against the catalog, the other promotions and the coupons (ids are
    /// shared); returns its id.
    pub fn put_promotion(&mut self, json_text: &str) -> Result<String> {
        let promotion: opentill_core::promo::Promotion = serde_json::from_str(json_text).map_err(|e| TillError::BadInput(format!("promotion: {e}")))?;
        crate::validate_id(&promotion.id, "promotion id")?;
        let mut all: Vec<_> = self.promotions()?.into_iter().filter(|p| p.id != promotion.id).collect();
        all.push(promotion.clone());
        self.check_offers(all, self.coupons()?).map_err(TillError::Offer)?;
        let body = serde_json::to_string(&promotion).map_err(|e| TillError::BadInput(e.to_string()))?;
        let now = self.clock.now_ms();
        self.replica.put_promotion(&promotion.id, Some(&body), now)?;
        info!(promotion = promotion.id, "promotion stored");
        Ok(promotion.id)
    }

    /// Removes a promotion.
    pub fn remove_promotion(&mut self, promo_id: &str) -> Result<()> {
        if !self.promotions()?.iter().any(|p| p.id == promo_id) {
            return Err(TillError::UnknownPromotion(promo_id.to_string()));
        }
        self.own_offer(opentill_sync::docs::offers::Section::Promotion, promo_id)?;
        let now = self.clock.now_ms();
        self.replica.put_promotion(promo_id, None, now)?;
        Ok(())
    }

    /// Refuses to touch an offer this store runs from head office (it has none of its own).
    pub(crate) fn own_offer(&mut self, section: opentill_sync::docs::offers::Section, id: &str) -> Result<()> {
        let store = self.replica.settings().store_id.clone();
        let own = matches!(self.replica.offers()?.get(section, &store, id), Some((Some(_), _)));
        if own { Ok(()) } else { Err(TillError::HeadOfficeOffer { section: section.name(), id: id.to_string() }) }
    }

    /// Offers and settings the store has but does not run, and why (see
    /// `opentill_sync`'s `replica::offers`: what clashed once edits made apart merged).
    pub fn offers_set_aside(&self) -> Result<Vec<opentill_sync::SetAside>> {
        Ok(self.replica.offers_set_aside()?)
    }

    /// The stored promotions, by priority (highest first) then id.
    pub fn promotions(&self) -> Result<Vec<opentill_core::promo::Promotion>> {
        let mut out = Vec::new();
        for (id, body) in self.replica.promotions()? {
            let promotion = serde_json::from_str(&body).map_err(|e| TillError::Replica(opentill_sync::ReplicaError::Corrupt(format!("promotion {id}: {e}"))))?;
            out.push(promotion);
        }
        out.sort_by(|a: &opentill_core::promo::Promotion, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Gate entries, exits and refusals per local hour of one day (`YYYY-MM-DD`).
    pub fn footfall(&self, date: &str) -> Result<Vec<(u32, i64, i64, i64)>> {
        let offset = self.replica.settings().utc_offset_min;
        let from = opentill_core::time::parse_date_ms(date, offset).ok_or_else(|| TillError::BadInput(format!("date `{date}` must be a real date written YYYY-MM-DD")))?;
        Ok(self.replica.footfall(from, from + 86_400_000, offset)?)
    }

    /// Raises a `shrink` alert for each shelf pick that no sale of its SKU covered within
    /// `window_ms` (see `opentill_core::shrink`). Returns the alerts to publish.
    pub fn check_shrink(&mut self, window_ms: i64) -> Result<Vec<Publish>> {
        let store = self.replica.settings().store_id.clone();
        let now = self.clock.now_ms();
        let horizon = now - 6 * window_ms;
        let picks = self.replica.picks_since(horizon)?;
        let mut out = Vec::new();
        let mut skus: Vec<&str> = picks.iter().filter(|p| !p.5).map(|p| p.2.as_str()).collect();
        skus.sort_unstable();
        skus.dedup();
        let mut alerts = Vec::new();
        for sku in skus {
            let mine: Vec<_> = picks.iter().filter(|p| p.2 == sku).collect();
            let as_picks: Vec<opentill_core::shrink::Pick> = mine.iter().map(|p| opentill_core::shrink::Pick { ts: p.4, qty: p.3 }).collect();
            let sales = self.replica.sold_between(sku, horizon - window_ms, now + 1)?;
            for found in opentill_core::shrink::find_shrink(&as_picks, &sales, window_ms, now) {
                let p = mine[found.pick];
                if !p.5 {
                    alerts.push((p.0.clone(), p.1.clone(), p.2.clone(), p.4, found.missing));
                }
            }
        }
        for (shelf, slot, sku, ts, missing) in alerts {
            let detail = format!("{missing} × {sku} left shelf {shelf} slot {slot} with no sale within {} min", window_ms / 60_000);
            let detail_zh = format!("{missing} 件 {sku} 离开货架 {shelf} 第 {slot} 格，{} 分钟内无对应销售", window_ms / 60_000);
            self.alert(&store, &mut out, &format!("shrink:{shelf}:{slot}:{ts}"), "shrink", &shelf, detail, detail_zh, now)?;
            self.replica.mark_pick_alerted(&shelf, &slot, ts)?;
        }
        Ok(out)
    }

    /// Sets (or with `None` removes) the stock level at or under which `sku` raises a
    /// `low_stock` alert.
    pub fn set_reorder_level(&mut self, sku: &str, level: Option<i64>) -> Result<()> {
        if self.replica.product_by_sku(sku)?.is_none() {
            return Err(TillError::UnknownSku(sku.to_string()));
        }
        if let Some(level) = level
            && !(0..=opentill_core::basket::MAX_GRAMS).contains(&level)
        {
            return Err(TillError::BadInput(format!("reorder level {level} must be 0 to {}", opentill_core::basket::MAX_GRAMS)));
        }
        self.replica.set_reorder_level(sku, level)?;
        Ok(())
    }

    /// Raises a `low_stock` alert for every SKU whose stock on hand is at or under its
    /// reorder level, and clears it once stock is back above. Returns the alerts to publish.
    pub fn check_low_stock(&mut self) -> Result<Vec<Publish>> {
        let store = self.replica.settings().store_id.clone();
        let now = self.clock.now_ms();
        let mut out = Vec::new();
        for (sku, on_hand, level) in self.replica.reorder_levels()? {
            let id = format!("low_stock:{sku}");
            if on_hand <= level {
                self.alert(&store, &mut out, &id, "low_stock", &sku, format!("{sku} has {on_hand} on hand, reorder level {level}"), format!("{sku} 库存 {on_hand}，补货线 {level}"), now)?;
            } else {
                self.clear(&store, &mut out, &id, now)?;
            }
        }
        Ok(out)
    }

    /// Clears an open alert by hand (the back office saw to it).
    pub fn clear_alert(&mut self, alert_id: &str, by: &str) -> Result<()> {
        if !self.replica.clear_alert(alert_id, self.clock.now_ms(), by)? {
            return Err(TillError::UnknownAlert(alert_id.to_string()));
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn alert(&mut self, store: &str, out: &mut Vec<Publish>, alert_id: &str, kind: &str, device: &str, detail: String, detail_zh: String, now: i64) -> Result<()> {
        let alert = Alert { alert_id: alert_id.to_string(), ts_ms: now, kind: kind.to_string(), device: device.to_string(), detail, detail_zh, cleared_ms: None, cleared_by: String::new() };
        if self.replica.raise_alert(&alert)? {
            warn!(alert = alert_id, detail = %alert.detail, "alert raised");
            out.push(alert_message(store, &alert));
        }
        Ok(())
    }

    fn clear(&mut self, store: &str, out: &mut Vec<Publish>, alert_id: &str, now: i64) -> Result<()> {
        if self.replica.clear_alert(alert_id, now, "")? {
            let alert = self.replica.alerts(1000)?.into_iter().find(|a| a.alert_id == alert_id);
            if let Some(alert) = alert {
                info!(alert = alert_id, "alert cleared");
                out.push(alert_message(store, &alert));
            }
        }
        Ok(())
    }

    fn restock_check(&mut self, store: &str, out: &mut Vec<Publish>, machine: &str, now: i64) -> Result<()> {
        for (m, slot, sku, count) in self.replica.vend_slots()? {
            if m != machine {
                continue;
            }
            let id = format!("restock:{machine}:{slot}");
            if count <= RESTOCK_PAR {
                self.alert(store, out, &id, "restock", machine, format!("{machine} slot {slot} ({sku}) has {count} left"), format!("{machine} 第 {slot} 货道（{sku}）仅剩 {count} 件"), now)?;
            } else {
                self.clear(store, out, &id, now)?;
            }
        }
        Ok(())
    }

    fn shelf_reading(&mut self, store: &str, out: &mut Vec<Publish>, shelf: &str, slot: &str, grams: i64, now: i64) -> Result<()> {
        let Some(config) = self.replica.shelf_slot(shelf, slot)? else {
            return Err(TillError::BadInput(format!("shelf {shelf} slot {slot} is not configured")));
        };
        let count = (grams + config.unit_grams / 2).div_euclid(config.unit_grams).max(0);
        let off = (grams - count * config.unit_grams).abs();
        self.replica.record_shelf_reading(shelf, slot, grams, count, now)?;
        if let Some(before) = config.count
            && count < before
        {
            info!(shelf, slot, sku = config.sku, qty = before - count, "items picked from the shelf");
            self.replica.record_pick(shelf, slot, &config.sku, before - count, now)?;
        }
        let low_id = format!("low_shelf:{shelf}:{slot}");
        if off > config.tolerance_grams {
            warn!(shelf, slot, grams, "reading is not a whole number of items; something foreign is on the shelf");
        }
        if count < config.par {
            self.alert(store, out, &low_id, "low_shelf", shelf, format!("shelf {shelf} slot {slot} ({}) has {count} left, par {}", config.sku, config.par), format!("货架 {shelf} 第 {slot} 格（{}）仅剩 {count} 件，补货线 {}", config.sku, config.par), now)?;
        } else {
            self.clear(store, out, &low_id, now)?;
        }
        Ok(())
    }
}

/// A device kind's name in Chinese, for alert texts.
fn kind_zh(kind: contract::DeviceKind) -> &'static str {
    use contract::DeviceKind::*;
    match kind {
        Shelf => "智能货架",
        Vending => "售货机",
        Gate => "闸机",
        Scanner => "扫码枪",
        Display => "客显屏",
        Label => "电子价签",
        Other => "设备",
    }
}
