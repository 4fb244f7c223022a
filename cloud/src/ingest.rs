//! What the cloud does with one sync message, whatever carried it: decode, authenticate,
//! verify, store, acknowledge, or quarantine and alert.

use std::sync::Mutex;

use opentill_core::journal::Fact;
use opentill_sync::journal::Entry;
use ed25519_dalek::VerifyingKey;
use opentill_sync::protocol::{Batch, Carried, Hello, Message, Relay, Verdict};
use tracing::{info, warn};

use crate::ledger::{Folds, Ledger, LedgerError, TotalsDelta};

/// The answer to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An encoded [`opentill_sync::protocol::Ack`].
    Ack(Vec<u8>),
    /// The message was refused and nothing changed, except that a quarantined message was
    /// kept and alerted on.
    Refused {
        /// HTTP-like status.
        status: u16,
        /// Stable machine-readable kind.
        kind: &'static str,
        /// For people.
        message: String,
    },
}

/// What new entries add to their store's totals, and the seqs of entries this build
/// cannot read (held and counted as entries, but adding no money; the caller alerts).
pub fn totals_of(entries: &[Entry]) -> (TotalsDelta, Vec<u64>) {
    let mut delta = TotalsDelta { n_entries: entries.len() as i64, ..TotalsDelta::default() };
    let mut unreadable = Vec::new();
    for entry in entries {
        match serde_json::from_slice::<Fact>(&entry.body) {
            Ok(Fact::Sale(sale)) => {
                delta.n_sales += 1;
                delta.sales_minor += sale.total;
            }
            Ok(Fact::Refund(refund)) => {
                delta.n_refunds += 1;
                delta.refunds_minor += refund.total;
            }
            Ok(_) => {}
            Err(e) => {
                warn!(node = %entry.node_id, seq = entry.seq, error = %e, "entry body not understood by this build; held without totals");
                unreadable.push(entry.seq);
            }
        }
    }
    (delta, unreadable)
}

/// What new entries move on stored-value accounts, summed per account; an account that
/// any of them spent from is kept even when its movements cancel out (the caller checks
/// it for overdraft).
pub fn accounts_of(entries: &[Entry]) -> Vec<(String, i64)> {
    folds_of(entries).accounts
}

/// How often the entries' sales used each coupon (once per sale that names it).
pub fn coupons_of(entries: &[Entry]) -> Vec<(String, i64)> {
    folds_of(entries).coupons
}

/// The spend and points the entries move, per member id (ids at zero left out).
pub fn members_of(entries: &[Entry]) -> Vec<(String, i64, i64)> {
    folds_of(entries).members
}

/// Everything the entries move besides their totals, each fact parsed once: stored
/// value per account, coupon uses, and members' spend and points.
pub fn folds_of(entries: &[Entry]) -> Folds {
    use std::collections::BTreeMap;
    let mut accounts: BTreeMap<String, (i64, bool)> = BTreeMap::new();
    let mut coupons: BTreeMap<String, i64> = BTreeMap::new();
    let mut members: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for entry in entries {
        if !matches!(entry.kind.as_str(), "sale" | "refund" | "stored_value_topped_up" | "member_registered" | "points_redeemed") {
            continue;
        }
        let Ok(fact) = serde_json::from_slice::<Fact>(&entry.body) else { continue };
        for (account, delta) in opentill_core::fold::stored_value_delta(&fact) {
            let slot = accounts.entry(account.to_string()).or_insert((0, false));
            slot.0 += delta;
            slot.1 |= delta < 0;
        }
        if let Fact::Sale(sale) = &fact {
            for offer in sale.offers.iter().filter(|o| o.kind == opentill_core::basket::OfferKind::Coupon) {
                *coupons.entry(offer.id.clone()).or_default() += 1;
            }
        }
        for (member, delta) in opentill_core::fold::points_delta(&fact) {
            members.entry(member.to_string()).or_default().1 += delta;
        }
        if let Some((member, delta)) = opentill_core::fold::spend_delta(&fact) {
            members.entry(member.to_string()).or_default().0 += delta;
        }
    }
    Folds {
        accounts: accounts.into_iter().filter(|(_, (d, debit))| *d != 0 || *debit).map(|(a, (d, _))| (a, d)).collect(),
        coupons: coupons.into_iter().collect(),
        members: members.into_iter().filter(|(_, m)| *m != (0, 0)).map(|(id, (spend, points))| (id, spend, points)).collect(),
    }
}

/// A member whose points across the tenant's stores are below zero (spent offline in
/// several stores before they could see each other): the message to flag them with, if
/// so. The person is every id registered with the member's phone in the tenant's members
/// document (registrations merged into one, see `opentill_sync::docs::members`).
fn points_overdrawn(ledger: &dyn Ledger, store_id: &str, member_id: &str) -> Result<Option<String>, LedgerError> {
    use opentill_sync::docs::members::MembersDoc;
    let mut ids = vec![member_id.to_string()];
    // Most spending leaves the id itself above zero: only then is the document read.
    if ledger.tenant_points(store_id, &ids)? >= 0 {
        return Ok(None);
    }
    if let Some(path) = ledger.store_path(store_id)?
        && let Ok((_, doc)) = crate::docs::load_doc::<MembersDoc>(ledger, &path.tenant)
        && let Some((profile, _)) = doc.get(member_id)
    {
        ids = doc.all().into_iter().filter(|(_, p)| p.phone == profile.phone).map(|(id, _)| id).collect();
    }
    let points = ledger.tenant_points(store_id, &ids)?;
    Ok((points < 0).then(|| {
        let who = ids.join(", ");
        format!("member {who} has {points} points across stores after offline spending; review it (会员 {who} 离线跨店消费积分后余额为 {points}，请复核)")
    }))
}

/// A coupon used more often than it allows across the tenant's stores (redeemed offline
/// in several places before they could see each other): the message to flag it with, if
/// so. The coupon is the store's own if it has one of that id (then only its uses count),
/// else head office's (then every store without its own counts); one the offers
/// document does not hold (a store's coupon not synced yet) is not judged.
fn coupon_overuse(ledger: &dyn Ledger, store_id: &str, coupon_id: &str) -> Result<Option<String>, LedgerError> {
    use opentill_sync::docs::offers::{EVERY_STORE, OffersDoc, Section};
    let Some(path) = ledger.store_path(store_id)? else { return Ok(None) };
    let Ok((_, doc)) = crate::docs::load_doc::<OffersDoc>(ledger, &path.tenant) else { return Ok(None) };
    let body_of = |scope: &str| match doc.get(Section::Coupon, scope, coupon_id) {
        Some((Some(body), _)) => Some(body),
        _ => None,
    };
    let own = body_of(store_id);
    let (scope, body) = match (own, body_of(EVERY_STORE)) {
        (Some(body), _) => (store_id.to_string(), body),
        (None, Some(body)) => (EVERY_STORE.to_string(), body),
        (None, None) => return Ok(None),
    };
    let Ok(coupon) = serde_json::from_str::<opentill_core::promo::Coupon>(&body) else { return Ok(None) };
    let limit = match coupon.uses {
        opentill_core::promo::CouponUses::Single => 1,
        opentill_core::promo::CouponUses::Limited(n) => i64::from(n),
        opentill_core::promo::CouponUses::Unlimited => return Ok(None),
    };
    let uses: i64 = ledger
        .coupon_uses(store_id, coupon_id)?
        .into_iter()
        .filter(|(store, _)| if scope == EVERY_STORE { body_of(store).is_none() } else { *store == scope })
        .map(|(_, n)| n)
        .sum();
    if uses <= limit {
        return Ok(None);
    }
    let whose = if scope == EVERY_STORE { "across stores".to_string() } else { format!("in store {scope}") };
    let whose_zh = if scope == EVERY_STORE { "跨店".to_string() } else { format!("在门店 {scope} ") };
    Ok(Some(format!(
        "coupon {coupon_id} was used {uses} times {whose}, {limit} allowed, after offline redemptions; review it (优惠券 {coupon_id} 离线{whose_zh}核销 {uses} 次，超过上限 {limit} 次，请复核)"
    )))
}

fn refused(status: u16, kind: &'static str, message: impl Into<String>) -> Reply {
    Reply::Refused { status, kind, message: message.into() }
}

/// How [`handle`] reaches the storage: for the whole message, or only for each storage
/// call (a ledger shared by a server's requests), so that decoding, verifying and folding
/// one batch never waits for another batch being written. Both are correct because every
/// write that depends on what was read is conditional on it ([`Ledger::append`]).
trait Storage {
    fn with<T>(&mut self, work: impl FnOnce(&mut dyn Ledger) -> T) -> T;
}

impl Storage for &mut dyn Ledger {
    fn with<T>(&mut self, work: impl FnOnce(&mut dyn Ledger) -> T) -> T {
        work(&mut **self)
    }
}

impl Storage for &Mutex<Box<dyn Ledger>> {
    fn with<T>(&mut self, work: impl FnOnce(&mut dyn Ledger) -> T) -> T {
        let mut guard = self.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        work(guard.as_mut())
    }
}

/// Handles one message.
pub fn handle(mut ledger: &mut dyn Ledger, bytes: &[u8], now_ms: i64) -> Result<Reply, LedgerError> {
    handle_with(&mut ledger, bytes, now_ms)
}

/// Handles one message with a ledger that other requests share: the lock is taken for
/// each storage call only, never while a batch is decoded, verified or folded.
pub fn handle_shared(ledger: &Mutex<Box<dyn Ledger>>, bytes: &[u8], now_ms: i64) -> Result<Reply, LedgerError> {
    handle_with(&mut &*ledger, bytes, now_ms)
}

fn handle_with(storage: &mut impl Storage, bytes: &[u8], now_ms: i64) -> Result<Reply, LedgerError> {
    match Message::decode(bytes) {
        Err(e) => Ok(refused(400, "bad_message", e.to_string())),
        Ok(Message::Ack(_) | Message::DocReply(_)) => Ok(refused(400, "unexpected_message", "the cloud does not take acknowledgements")),
        Ok(Message::DocSync(_)) => Ok(refused(400, "unexpected_message", "document sync rounds go to /v1/docs")),
        Ok(Message::Fetch(_) | Message::Fetched(_)) => Ok(refused(400, "unexpected_message", "fetches go to a store's edge agent, not the cloud")),
        Ok(Message::Hello(hello)) => handle_hello(storage, &hello, now_ms),
        Ok(Message::Batch(batch)) => handle_batch(storage, &batch, None, bytes, now_ms),
        Ok(Message::Relay(relay)) => handle_relay(storage, &relay, bytes, now_ms),
    }
}

/// A store's edge agent carrying a till's hello or batch: the carrier must be an enrolled
/// node of the same store and have signed it; every entry must still be the till's own.
/// A carried hello is answered but not recorded as the till having been heard from (the
/// closings' rule asks for the till's own word).
fn handle_relay(storage: &mut impl Storage, relay: &Relay, bytes: &[u8], now_ms: i64) -> Result<Reply, LedgerError> {
    let (store_id, node_id) = match &relay.inner {
        Carried::Hello(h) => (&h.store_id, &h.node_id),
        Carried::Batch(b) => (&b.store_id, &b.node_id),
    };
    let Some(carrier) = storage.with(|l| l.node(store_id, &relay.carrier))? else {
        return Ok(refused(401, "unknown_node", format!("carrier {store_id}/{} is not enrolled", relay.carrier)));
    };
    match &relay.inner {
        Carried::Hello(hello) => {
            if !hello.verify_carried(&relay.carrier, &carrier.ledger.key) {
                return Ok(refused(403, "bad_signature", format!("carried hello is not signed by node {store_id}/{}", relay.carrier)));
            }
            let Some(node) = storage.with(|l| l.node(store_id, node_id))? else {
                return Ok(refused(401, "unknown_node", format!("node {store_id}/{node_id} is not enrolled")));
            };
            Ok(Reply::Ack(Message::Ack(node.ledger.ack()).encode()))
        }
        Carried::Batch(batch) => handle_batch(storage, batch, Some((&relay.carrier, &carrier.ledger.key)), bytes, now_ms),
    }
}

fn handle_hello(storage: &mut impl Storage, hello: &Hello, now_ms: i64) -> Result<Reply, LedgerError> {
    let Some(node) = storage.with(|l| l.node(&hello.store_id, &hello.node_id))? else {
        return Ok(refused(401, "unknown_node", format!("node {}/{} is not enrolled", hello.store_id, hello.node_id)));
    };
    if !hello.verify(&node.ledger.key) {
        return Ok(refused(403, "bad_signature", format!("hello is not signed by node {}/{}", hello.store_id, hello.node_id)));
    }
    storage.with(|l| l.record_hello(node.node_ref, hello.head_seq, now_ms))?;
    Ok(Reply::Ack(Message::Ack(node.ledger.ack()).encode()))
}

fn handle_batch(storage: &mut impl Storage, batch: &Batch, carrier: Option<(&str, &VerifyingKey)>, bytes: &[u8], now_ms: i64) -> Result<Reply, LedgerError> {
    let seqs = batch.seqs().map(|r| (*r.start(), *r.end()));
    let Some(node) = storage.with(|l| l.node(&batch.store_id, &batch.node_id))? else {
        let via = carrier.map(|(c, _)| format!(" (carried by {c})")).unwrap_or_default();
        let reason = format!("batch from node {}/{}{via}, which is not enrolled", batch.store_id, batch.node_id);
        warn!(store = %batch.store_id, node = %batch.node_id, "{reason}");
        storage.with(|l| l.quarantine(&batch.store_id, &batch.node_id, &reason, seqs, bytes, now_ms))?;
        return Ok(refused(401, "unknown_node", reason));
    };
    let verdict = match carrier {
        None => node.ledger.check(batch),
        Some((carrier, key)) => node.ledger.check_carried(batch, carrier, key),
    };
    match &verdict {
        Verdict::Accept { skip, head } => {
            let entries = &batch.entries()[*skip..];
            let (totals, unreadable) = totals_of(entries);
            let folds = folds_of(entries);
            let Folds { accounts, coupons, members } = &folds;
            if storage.with(|l| l.append(&node, entries, *head, totals, &folds, now_ms))? {
                info!(store = %batch.store_id, node = %batch.node_id, from = entries[0].seq, to = head.0, "ingested");
                // Spending in two stores that could not see each other may overdraw an
                // account, within the stores' offline allowances: flag it for review.
                for (account, _) in accounts {
                    let balance = storage.with(|l| l.tenant_balance(&batch.store_id, &account))?;
                    if balance < 0 {
                        let message = format!(
                            "stored-value account {account} is overdrawn by {}.{:02} across stores after offline spending; review it (储值账户 {account} 离线消费后跨店透支 {}.{:02}，请复核)",
                            -balance / 100,
                            -balance % 100,
                            -balance / 100,
                            -balance % 100
                        );
                        warn!(store = %batch.store_id, node = %batch.node_id, %account, balance, "stored-value account overdrawn");
                        storage.with(|l| l.alert("warning", &batch.store_id, &batch.node_id, &message, now_ms))?;
                    }
                }
                // Points spent offline in two stores may go below zero: flag the person.
                for (member, _, points) in members.iter().filter(|(_, _, p)| *p < 0) {
                    if let Some(message) = storage.with(|l| points_overdrawn(l, &batch.store_id, member))? {
                        warn!(store = %batch.store_id, node = %batch.node_id, %member, points, "member points overdrawn across stores");
                        storage.with(|l| l.alert("warning", &batch.store_id, &batch.node_id, &message, now_ms))?;
                    }
                }
                // A coupon redeemed offline in several places may go past its limit: flag it.
                for (coupon, _) in coupons {
                    if let Some(message) = storage.with(|l| coupon_overuse(l, &batch.store_id, coupon))? {
                        warn!(store = %batch.store_id, node = %batch.node_id, %coupon, "coupon used beyond its limit");
                        storage.with(|l| l.alert("warning", &batch.store_id, &batch.node_id, &message, now_ms))?;
                    }
                }
                if let (Some(first), n) = (unreadable.first(), unreadable.len()) {
                    let message = format!("{n} verified entries (first: seq {first}) are facts this cloud cannot read; they are held but not counted in the store's totals");
                    storage.with(|l| l.alert("warning", &batch.store_id, &batch.node_id, &message, now_ms))?;
                }
                let mut after = node.ledger.clone();
                after.apply(&verdict);
                Ok(Reply::Ack(Message::Ack(after.ack()).encode()))
            } else {
                // Another server (or request) moved this node first: say where it stands now.
                let now = storage.with(|l| l.node(&batch.store_id, &batch.node_id))?.map(|n| n.ledger).unwrap_or(node.ledger);
                Ok(Reply::Ack(Message::Ack(now.ack()).encode()))
            }
        }
        Verdict::Duplicate | Verdict::Gap { .. } => Ok(Reply::Ack(Message::Ack(node.ledger.ack()).encode())),
        Verdict::Quarantine(tamper) => {
            let reason = tamper.to_string();
            warn!(store = %batch.store_id, node = %batch.node_id, %reason, "quarantined a batch");
            storage.with(|l| l.quarantine(&batch.store_id, &batch.node_id, &reason, seqs, bytes, now_ms))?;
            Ok(refused(422, "quarantined", format!("batch quarantined: {reason}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use expect_test::{Expect, expect};
    use opentill_core::journal::{CashDirection, Fact};
    use opentill_sync::protocol::{Batch, Message};
    use opentill_sync::{Replica, StoreSettings};

    use super::*;
    use crate::ledger::StorePath;
    use crate::test_db::{Backend, TestDb, on_both_backends};

    on_both_backends!(
        honest_batches_are_stored_and_resends_are_harmless,
        tampered_journals_are_quarantined_with_an_alert,
        a_fact_from_a_newer_till_is_held_and_alerted_on,
        an_unknown_node_and_a_damaged_message_change_nothing,
        a_carried_batch_needs_an_enrolled_carrier_and_the_nodes_own_entries,
    );

    const SECRET: [u8; 32] = [5; 32];

    /// A cloud with node S1/till-1 enrolled and a replica of that node holding six cash
    /// movements of 1.00 to 6.00.
    fn setup(backend: Backend) -> (TestDb, Box<dyn Ledger>, Replica) {
        let db = TestDb::new(backend);
        let mut ledger = db.open();
        let mut replica = Replica::create(&db.dir().join("node"), StoreSettings::new("S1", "till-1"), SECRET).unwrap();
        for i in 1..=6 {
            replica.append(i, &Fact::CashMoved { shift_id: None, direction: CashDirection::In, amount: i * 100, reason: "float".into(), by: "m1".into() }).unwrap();
        }
        let path = StorePath { tenant: "t".into(), brand: "b".into(), store_id: "S1".into() };
        ledger.add_enrol_code(&path, crate::code_hash("CODE"), 0, 10).unwrap();
        assert!(matches!(ledger.enrol(crate::code_hash("CODE"), "S1", "till-1", replica.public_key().to_bytes(), 1).unwrap(), EnrolOutcome::Enrolled(_)));
        (db, ledger, replica)
    }

    use crate::ledger::EnrolOutcome;

    fn render(ledger: &dyn Ledger, reply: &Reply) -> String {
        let reply = match reply {
            Reply::Ack(bytes) => match Message::decode(bytes).unwrap() {
                Message::Ack(ack) => format!("ack {}", ack.acked_seq),
                other => format!("{other:?}"),
            },
            Reply::Refused { status, kind, message } => format!("{status} {kind}: {message}"),
        };
        let node = ledger.node("S1", "till-1").unwrap().unwrap();
        let alerts: Vec<String> = ledger.alerts().unwrap().into_iter().map(|a| format!("{} {}/{}: {}", a.severity, a.store_id, a.node_id, a.message)).collect();
        format!("{reply}\nheld {} quarantined {}\n{}", node.ledger.acked_seq, ledger.quarantined().unwrap().len(), alerts.join("\n"))
    }

    /// Sends entries 1-2, then entries 3-6 after `tamper`, sealed with `key`.
    fn check(backend: Backend, tamper: impl Fn(&mut Vec<Entry>), key: SigningKey, expect: Expect) {
        let (_db, mut ledger, replica) = setup(backend);
        let first = Message::Batch(replica.seal_batch(1..=2).unwrap()).encode();
        assert!(matches!(handle(&mut *ledger, &first, 5).unwrap(), Reply::Ack(_)));
        let mut entries = replica.entries(3..=6).unwrap();
        tamper(&mut entries);
        let prev = entries[0].prev_hash;
        let batch = Batch::seal(&key, "S1", "till-1", prev, entries);
        let reply = handle(&mut *ledger, &Message::Batch(batch).encode(), 6).unwrap();
        expect.assert_eq(&render(&*ledger, &reply));
    }

    fn honest_batches_are_stored_and_resends_are_harmless(backend: Backend) {
        let (_db, mut ledger, replica) = setup(backend);
        let all = Message::Batch(replica.seal_batch(1..=6).unwrap()).encode();
        let reply = handle(&mut *ledger, &all, 5).unwrap();
        let reply = handle(&mut *ledger, &all, 6).unwrap_or(reply);
        expect![[r#"
            ack 6
            held 6 quarantined 0

        "#]]
        .assert_eq(&(render(&*ledger, &reply) + "\n"));
        assert_eq!(ledger.totals().unwrap()[0].totals.n_entries, 6);
    }

    fn tampered_journals_are_quarantined_with_an_alert(backend: Backend) {
        let node_key = || SigningKey::from_bytes(&SECRET);
        check(backend, |_| {}, node_key(), expect![[r#"
            ack 6
            held 6 quarantined 0
        "#]]);
        // An amount edited in the till's database, then pushed by the node itself.
        check(
            backend,
            |e| e[1].body = String::from_utf8(e[1].body.clone()).unwrap().replace("\"amount\":400", "\"amount\":40000").into_bytes(),
            node_key(),
            expect![[r#"
                422 quarantined: batch quarantined: entry 4: hash mismatch: the entry was altered
                held 2 quarantined 1
                critical S1/till-1: journal quarantined: entry 4: hash mismatch: the entry was altered"#]],
        );
        // An entry dropped.
        check(backend, |e| drop(e.remove(1)), node_key(), expect![[r#"
            422 quarantined: batch quarantined: entry 4: sequence broken: expected 4, found 5
            held 2 quarantined 1
            critical S1/till-1: journal quarantined: entry 4: sequence broken: expected 4, found 5"#]]);
        // Another key pushing in this node's name.
        check(backend, |_| {}, SigningKey::from_bytes(&[6; 32]), expect![[r#"
            422 quarantined: batch quarantined: batch is not signed by node till-1: forged or altered
            held 2 quarantined 1
            critical S1/till-1: journal quarantined: batch is not signed by node till-1: forged or altered"#]]);
    }

    fn a_fact_from_a_newer_till_is_held_and_alerted_on(backend: Backend) {
        let (_db, mut ledger, replica) = setup(backend);
        let key = SigningKey::from_bytes(&SECRET);
        let mut entries = replica.entries(1..=6).unwrap();
        let last = entries.last().unwrap().hash;
        entries.push(opentill_sync::journal::seal(&key, "till-1", 7, 7, "gift_card", last, br#"{"type":"gift_card","amount":500}"#.to_vec()));
        let batch = Batch::seal(&key, "S1", "till-1", opentill_sync::journal::GENESIS_HASH, entries);
        let reply = handle(&mut *ledger, &Message::Batch(batch).encode(), 5).unwrap();
        expect![[r#"
            ack 7
            held 7 quarantined 0
            warning S1/till-1: 1 verified entries (first: seq 7) are facts this cloud cannot read; they are held but not counted in the store's totals"#]].assert_eq(&render(&*ledger, &reply));
        assert_eq!(ledger.totals().unwrap()[0].totals.n_entries, 7);
    }

    fn an_unknown_node_and_a_damaged_message_change_nothing(backend: Backend) {
        let (_db, mut ledger, _replica) = setup(backend);
        let dir = tempfile::tempdir().unwrap();
        let mut stranger = Replica::create(dir.path(), StoreSettings::new("S1", "till-9"), [9; 32]).unwrap();
        stranger.append(1, &Fact::NoSale { shift_id: None, by: "x".into(), reason: "x".into() }).unwrap();
        let bytes = Message::Batch(stranger.seal_batch(1..=1).unwrap()).encode();
        let reply = handle(&mut *ledger, &bytes, 5).unwrap();
        let damaged = handle(&mut *ledger, &bytes[..bytes.len() - 3], 5).unwrap();
        expect![[r#"
            401 unknown_node: batch from node S1/till-9, which is not enrolled
            held 0 quarantined 1
            critical S1/till-9: journal quarantined: batch from node S1/till-9, which is not enrolled
            Refused { status: 400, kind: "bad_message", message: "sync message truncated: 338 bytes, need 341" }"#]].assert_eq(&format!("{}\n{damaged:?}", render(&*ledger, &reply)));
    }

    fn a_carried_batch_needs_an_enrolled_carrier_and_the_nodes_own_entries(backend: Backend) {
        use opentill_sync::protocol::{Carried, Relay};
        let (_db, mut ledger, replica) = setup(backend);
        let edge = SigningKey::from_bytes(&[11; 32]);
        let path = StorePath { tenant: "t".into(), brand: "b".into(), store_id: "S1".into() };
        ledger.add_enrol_code(&path, crate::code_hash("EDGE"), 0, 10).unwrap();
        assert!(matches!(ledger.enrol(crate::code_hash("EDGE"), "S1", "edge", edge.verifying_key().to_bytes(), 1).unwrap(), EnrolOutcome::Enrolled(_)));
        let carry = |carrier: &str, entries: Vec<Entry>| {
            let prev = entries[0].prev_hash;
            Message::Relay(Relay { carrier: carrier.into(), inner: Carried::Batch(Batch::seal_carried(&edge, carrier, "S1", "till-1", prev, entries)) }).encode()
        };
        let stranger = handle(&mut *ledger, &carry("edge-9", replica.entries(1..=2).unwrap()), 5).unwrap();
        let honest = handle(&mut *ledger, &carry("edge", replica.entries(1..=2).unwrap()), 5).unwrap();
        let mut altered = replica.entries(3..=6).unwrap();
        altered[0].body = String::from_utf8(altered[0].body.clone()).unwrap().replace("\"amount\":300", "\"amount\":30000").into_bytes();
        let reply = handle(&mut *ledger, &carry("edge", altered), 6).unwrap();
        expect![[r#"
            Refused { status: 401, kind: "unknown_node", message: "carrier S1/edge-9 is not enrolled" }
            ack 2
            held 2 quarantined 1
            critical S1/till-1: journal quarantined: entry 3: hash mismatch: the entry was altered
            422 quarantined: batch quarantined: entry 3: hash mismatch: the entry was altered
            held 2 quarantined 1
            critical S1/till-1: journal quarantined: entry 3: hash mismatch: the entry was altered"#]]
        .assert_eq(&format!("{stranger:?}\n{}\n{}", render(&*ledger, &honest), render(&*ledger, &reply)));
    }
}
