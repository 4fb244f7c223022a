//! Vending: a customer is charged exactly once and only for a dispensed vend, whatever the
//! machine repeats, loses or reports late; member passes verify offline.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use opentill_core::tender::TenderKind;
use opentill_hardware::contract::{Credential, CredentialKind, Outcome};
use opentill_sync::VendState;
use opentill_till::vending::{Denial, HOLD_MS, RELEASE_GRACE_MS};
use opentill_till::{Clock, Till};

#[derive(Clone)]
struct ManualClock(Arc<AtomicI64>);

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl ManualClock {
    fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

const PAY: &str = "134567890123456789";

fn machine() -> (tempfile::TempDir, Till, ManualClock) {
    let (dir, till) = crate::store(crate::jiao());
    let clock = ManualClock(Arc::new(AtomicI64::new(1_795_311_000_000)));
    let mut till = till.with_clock(Box::new(clock.clone()));
    till.replica_mut().set_vend_slots("vm-1", &[("A1".into(), "DRK-1".into(), 5), ("A2".into(), "SNK-1".into(), 0)]).unwrap();
    till.top_up("M001", 1000, TenderKind::Cash, "s01", None).unwrap();
    (dir, till, clock)
}

fn pay() -> Credential {
    Credential { kind: CredentialKind::PaymentCode, value: PAY.into() }
}

fn member(till: &Till) -> Credential {
    let (_, token) = till.issue_pass("M001", 86_400_000).unwrap();
    Credential { kind: CredentialKind::MemberQr, value: token }
}

fn charges(till: &Till) -> usize {
    till.sales_report(None, None).unwrap().n_sales as usize
}

#[test]
fn a_dispensed_vend_is_charged_once_however_often_it_is_reported() {
    let (_dir, mut till, _clock) = machine();
    let cmd = till.vend_session("vm-1", "s-1", "A1", &pay()).unwrap();
    assert_eq!((cmd.denied, cmd.price_minor, cmd.new), (None, 350, true));
    // The machine repeats its session: same vend back, nothing new held.
    let again = till.vend_session("vm-1", "s-1", "A1", &pay()).unwrap();
    assert_eq!((again.vend.as_str(), again.new), (cmd.vend.as_str(), false));
    let done = till.vend_result("vm-1", &cmd.vend, Outcome::Dispensed, None).unwrap();
    assert!(done.charged && done.new);
    for _ in 0..3 {
        let repeat = till.vend_result("vm-1", &cmd.vend, Outcome::Dispensed, None).unwrap();
        assert!(repeat.charged && !repeat.new);
    }
    // A contradictory late `failed` does not refund or re-charge.
    assert!(till.vend_result("vm-1", &cmd.vend, Outcome::Failed, None).unwrap().charged);
    assert_eq!(charges(&till), 1);
    let (_, sale) = till.sale(&cmd.vend).unwrap();
    assert_eq!((sale.total, sale.tenders[0].kind), (350, TenderKind::MobilePay));
    assert_eq!(till.replica().vend_slot("vm-1", "A1").unwrap(), Some(("DRK-1".into(), 4)));
    assert_eq!(till.replica().stock("DRK-1").unwrap(), -1, "vend sales take stock like any sale");
}

#[test]
fn failed_and_silent_vends_charge_nothing() {
    let (_dir, mut till, clock) = machine();
    let failed = till.vend_session("vm-1", "s-1", "A1", &member(&till)).unwrap();
    assert_eq!(till.replica().held_on_account("M001").unwrap(), 350);
    let settled = till.vend_result("vm-1", &failed.vend, Outcome::Failed, Some("motor_jam")).unwrap();
    assert!(!settled.charged);
    assert_eq!(till.replica().held_on_account("M001").unwrap(), 0, "the hold is released");

    let silent = till.vend_session("vm-1", "s-2", "A1", &member(&till)).unwrap();
    assert_eq!(silent.expires_ms, Some(1_795_311_000_000 + HOLD_MS));
    clock.advance(HOLD_MS + 1);
    assert!(till.expire_vends().unwrap().is_empty(), "a grace period after the hold ends lets a late result arrive");
    clock.advance(RELEASE_GRACE_MS);
    assert_eq!(till.expire_vends().unwrap(), vec![silent.vend.clone()]);
    assert_eq!(till.replica().vend(&silent.vend).unwrap().unwrap().state, VendState::Released);
    assert_eq!(charges(&till), 0);
    assert_eq!(till.replica().stored_value("M001").unwrap(), 1000);
}

#[test]
fn a_dispense_reported_after_the_release_is_charged_and_alerted() {
    let (_dir, mut till, clock) = machine();
    let cmd = till.vend_session("vm-1", "s-1", "A1", &member(&till)).unwrap();
    clock.advance(HOLD_MS + RELEASE_GRACE_MS + 1);
    till.expire_vends().unwrap();
    let late = till.vend_result("vm-1", &cmd.vend, Outcome::Dispensed, None).unwrap();
    assert!(late.charged);
    assert_eq!(late.alert.as_ref().map(|a| a.kind.as_str()), Some("late_dispense"));
    assert_eq!(till.replica().stored_value("M001").unwrap(), 650);
    assert!(till.vend_result("vm-1", &cmd.vend, Outcome::Dispensed, None).unwrap().charged);
    assert_eq!(charges(&till), 1);
}

#[test]
fn sessions_are_denied_with_a_reason() {
    let (_dir, mut till, clock) = machine();
    let valid = member(&till);
    let mut forged = valid.value.clone();
    forged.replace_range(5..9, "M999");
    let expired = till.issue_pass("M001", 60_000).unwrap().1;
    let (revoked_pass, revoked) = till.issue_pass("M001", 86_400_000).unwrap();
    till.replica_mut().revoke_pass(&revoked_pass.pass_id, 0).unwrap();
    let (_, poor) = till.issue_pass("M002", 86_400_000).unwrap();
    clock.advance(120_000);
    let cases: &[(&str, CredentialKind, &str, Option<Denial>)] = &[
        ("A1", CredentialKind::MemberQr, &valid.value, None),
        ("A2", CredentialKind::PaymentCode, PAY, Some(Denial::SoldOut)),
        ("Z9", CredentialKind::PaymentCode, PAY, Some(Denial::UnknownSlot)),
        ("A1", CredentialKind::MemberQr, &forged, Some(Denial::BadPass)),
        ("A1", CredentialKind::MemberQr, "OTP1.M001.x.1", Some(Denial::BadPass)),
        ("A1", CredentialKind::MemberQr, &expired, Some(Denial::PassExpired)),
        ("A1", CredentialKind::MemberQr, &revoked, Some(Denial::PassRevoked)),
        ("A1", CredentialKind::MemberQr, &poor, Some(Denial::InsufficientBalance)),
        ("A1", CredentialKind::PaymentCode, "123", Some(Denial::BadPaymentCode)),
    ];
    for (i, (slot, kind, value, want)) in cases.iter().enumerate() {
        let credential = Credential { kind: *kind, value: value.to_string() };
        let cmd = till.vend_session("vm-1", &format!("case-{i}"), slot, &credential).unwrap();
        assert_eq!(cmd.denied, *want, "case {i}: {slot} {value}");
        assert_eq!(cmd.expires_ms.is_some(), want.is_none(), "case {i}");
    }
    // Holds count against the balance: 1000 covers two more 350 vends, not three.
    let a = till.vend_session("vm-1", "h-1", "A1", &member(&till)).unwrap();
    let b = till.vend_session("vm-1", "h-2", "A1", &member(&till)).unwrap();
    assert_eq!((a.denied, b.denied), (None, Some(Denial::InsufficientBalance)), "case 0 already holds 350");
    // A result for a vend the machine was never sent is refused, not charged.
    assert!(till.vend_result("vm-2", &a.vend, Outcome::Dispensed, None).is_err());
    assert!(till.vend_result("vm-1", "nope", Outcome::Dispensed, None).is_err());
    assert_eq!(charges(&till), 0);
}

#[test]
fn gate_passages_are_journaled_once_and_counted_per_hour() {
    use opentill_hardware::contract::{Body, DeviceKind, GateDirection, Inbound};
    let (_dir, mut till, clock) = machine();
    let pass = member(&till).value;
    let msg = |id: &str, body: Body| Inbound { device: "gate-1".into(), id: id.into(), ts: 0, body };
    let scan = |id: &str, code: &str, direction| msg(id, Body::GateScan { code: code.into(), direction });
    till.on_device_message(&msg("st", Body::State { online: true, kind: DeviceKind::Gate })).unwrap();
    // 1_795_311_000_000 is 09:30 in Shanghai (UTC+8, the store's default offset).
    let day: &[(&str, &str, GateDirection, i64)] = &[
        ("a", pass.as_str(), GateDirection::In, 0),
        ("a", pass.as_str(), GateDirection::In, 0), // the same message again
        ("b", "junk", GateDirection::In, 60_000),
        ("c", pass.as_str(), GateDirection::In, 3_600_000),
        ("d", "", GateDirection::Out, 60_000),
    ];
    let mut answers = Vec::new();
    for (id, code, direction, advance) in day {
        clock.advance(*advance);
        let out = till.on_device_message(&scan(id, if code.is_empty() { "x" } else { code }, *direction)).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&out[0].payload).unwrap();
        answers.push((body["open"].as_bool().unwrap(), body["reason"].as_str().unwrap().to_string()));
    }
    let want = [(true, "member"), (true, "member"), (false, "bad_pass"), (true, "member"), (true, "exit")];
    assert_eq!(answers, want.map(|(o, r)| (o, r.to_string())));
    assert_eq!(till.footfall("2026-11-22").unwrap(), vec![(9, 1, 0, 1), (10, 1, 1, 0)]);
    assert!(till.footfall("2026-11-21").unwrap().is_empty());
    assert!(matches!(till.footfall("2026-13-01"), Err(opentill_till::TillError::BadInput(_))));
}

#[test]
fn a_burst_of_device_messages_commits_together_and_a_refused_one_does_not_stop_the_others() {
    use opentill_hardware::contract::{Body, DeviceKind, GateDirection, Inbound};
    let (dir, mut till, _clock) = machine();
    let pass = member(&till).value;
    let msg = |device: &str, id: &str, body: Body| Inbound { device: device.into(), id: id.into(), ts: 0, body };
    let announce = [msg("vm-1", "st1", Body::State { online: true, kind: DeviceKind::Vending }), msg("gate-1", "st2", Body::State { online: true, kind: DeviceKind::Gate })];
    let first = till.on_device_messages(&announce).unwrap();
    assert!(first.iter().all(|r| r.is_ok()));
    // One burst: a session, a stranger's message, a gate entry, a scan for a slot that does not exist.
    let session = msg("vm-1", "s-1", Body::VendSession { slot: "A1".into(), credential: pay() });
    let burst = [
        session.clone(),
        msg("stranger", "x-1", Body::GateScan { code: pass.clone(), direction: GateDirection::In }),
        msg("gate-1", "g-1", Body::GateScan { code: pass.clone(), direction: GateDirection::In }),
        msg("vm-1", "s-2", Body::VendSession { slot: "Z9".into(), credential: pay() }),
    ];
    let results = till.on_device_messages(&burst).unwrap();
    let kinds: Vec<&str> = results.iter().map(|r| r.as_ref().map_or_else(|e| e.kind(), |_| "ok")).collect();
    assert_eq!(kinds[..3], ["ok", "unknown_device", "ok"]);
    let command: serde_json::Value = serde_json::from_slice(&results[0].as_ref().unwrap()[0].payload).unwrap();
    let vend = command["vend"].as_str().unwrap().to_string();
    // The vend is dispensed, reported twice in the next burst: one charge.
    let dispensed = msg("vm-1", "r-1", Body::VendResult { vend: vend.clone(), outcome: Outcome::Dispensed, reason: None });
    let results = till.on_device_messages(&[dispensed.clone(), dispensed]).unwrap();
    assert!(results.iter().all(|r| r.is_ok()));
    assert_eq!(charges(&till), 1);
    drop(till);
    // All of it is on disk.
    let till = Till::open(dir.path()).unwrap();
    assert_eq!(charges(&till), 1);
    assert_eq!(till.footfall("2026-11-22").unwrap().iter().map(|h| h.1).sum::<i64>(), 1, "one entry journaled");
}

#[test]
fn stock_at_or_under_its_reorder_level_raises_one_alert_until_restocked() {
    let (_dir, mut till, _clock) = machine();
    assert!(matches!(till.set_reorder_level("NOPE", Some(3)), Err(opentill_till::TillError::UnknownSku(_))));
    assert!(matches!(till.set_reorder_level("DRK-1", Some(-1)), Err(opentill_till::TillError::BadInput(_))));
    let on_hand = till.replica().stock("DRK-1").unwrap();
    till.adjust_stock("DRK-1", 5 - on_hand, "count", "test").unwrap();
    till.set_reorder_level("DRK-1", Some(3)).unwrap();
    let published = |out: Vec<opentill_till::devices::Publish>| -> Vec<(String, bool)> {
        out.iter().map(|p| serde_json::from_slice::<serde_json::Value>(&p.payload).unwrap()).map(|v| (v["kind"].as_str().unwrap().to_string(), v["cleared"].as_bool().unwrap())).collect()
    };
    assert_eq!(published(till.check_low_stock().unwrap()), vec![]);
    till.adjust_stock("DRK-1", -2, "damage", "test").unwrap();
    assert_eq!(published(till.check_low_stock().unwrap()), vec![("low_stock".to_string(), false)]);
    assert_eq!(published(till.check_low_stock().unwrap()), vec![], "an open alert is not raised again");
    let open: Vec<_> = till.replica().alerts(10).unwrap().into_iter().filter(|a| a.kind == "low_stock" && a.cleared_ms.is_none()).collect();
    assert_eq!(open.len(), 1);
    assert!(open[0].detail.contains("DRK-1 has 3 on hand, reorder level 3"), "{}", open[0].detail);
    till.adjust_stock("DRK-1", 24, "receive", "test").unwrap();
    assert_eq!(published(till.check_low_stock().unwrap()), vec![("low_stock".to_string(), true)]);
    till.set_reorder_level("DRK-1", None).unwrap();
    till.adjust_stock("DRK-1", -27, "count", "test").unwrap();
    assert_eq!(published(till.check_low_stock().unwrap()), vec![], "no level, no alert");
}
