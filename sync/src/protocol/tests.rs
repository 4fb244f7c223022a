use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use expect_test::{Expect, expect};
use proptest::prelude::*;

use super::*;
use crate::journal::{Entry, GENESIS_HASH, seal};

const NODE: &str = "till-1";
const STORE: &str = "S1";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// A journal of `n` sales of 1.00, 2.00, ... yuan.
fn journal(n: u64) -> Vec<Entry> {
    let mut prev = GENESIS_HASH;
    (1..=n)
        .map(|seq| {
            let entry = seal(&key(), NODE, seq, 1_000 * seq as i64, "sale", prev, format!("{{\"total\":{}}}", seq * 100).into_bytes());
            prev = entry.hash;
            entry
        })
        .collect()
}

fn batch_of(journal: &[Entry], seqs: RangeInclusive<u64>) -> Batch {
    let prev = if *seqs.start() == 1 { GENESIS_HASH } else { journal[*seqs.start() as usize - 2].hash };
    Batch::seal(&key(), STORE, NODE, prev, journal[*seqs.start() as usize - 1..*seqs.end() as usize].to_vec())
}

fn ledger() -> NodeLedger {
    NodeLedger::new(STORE, NODE, key().verifying_key())
}

fn show(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Accept { skip, head } => format!("accept skip={skip} head={}", head.0),
        Verdict::Duplicate => "duplicate".into(),
        Verdict::Gap { expected } => format!("gap expected={expected}"),
        Verdict::Quarantine(t) => format!("quarantine: {t}"),
    }
}

/// Feeds batches (given as seq ranges `a-b`) to a fresh ledger through the wire and
/// renders each verdict and the ack.
fn check_receive(script: &str, expect: Expect) {
    let journal = journal(20);
    let mut ledger = ledger();
    let mut out = String::new();
    for step in script.split_whitespace() {
        let (a, b) = step.split_once('-').unwrap();
        let bytes = Message::Batch(batch_of(&journal, a.parse().unwrap()..=b.parse().unwrap())).encode();
        let Message::Batch(batch) = Message::decode(&bytes).unwrap() else { panic!() };
        let verdict = ledger.check(&batch);
        ledger.apply(&verdict);
        out += &format!("{step}: {} -> ack {}\n", show(&verdict), ledger.ack().acked_seq);
    }
    expect.assert_eq(&out);
}

#[test]
fn batches_in_order_repeated_overlapping_and_early() {
    check_receive(
        "1-5 1-5 3-8 10-12 9-12 1-12 13-13",
        expect![[r#"
            1-5: accept skip=0 head=5 -> ack 5
            1-5: duplicate -> ack 5
            3-8: accept skip=3 head=8 -> ack 8
            10-12: gap expected=9 -> ack 8
            9-12: accept skip=0 head=12 -> ack 12
            1-12: duplicate -> ack 12
            13-13: accept skip=0 head=13 -> ack 13
        "#]],
    );
}

/// Applies `mutate` to an encoded batch and renders what decoding says.
fn check_wire(mutate: impl Fn(&mut Vec<u8>), expect: Expect) {
    let journal = journal(3);
    let mut bytes = Message::Batch(batch_of(&journal, 1..=3)).encode();
    mutate(&mut bytes);
    let got = match Message::decode(&bytes) {
        Ok(_) => "ok".to_string(),
        Err(e) => e.to_string(),
    };
    expect.assert_eq(&got);
}

#[test]
fn bad_frames_are_rejected_with_a_clear_error() {
    check_wire(|_| {}, expect!["ok"]);
    check_wire(|b| b.truncate(b.len() - 1), expect!["sync message truncated: 568 bytes, need 569"]);
    check_wire(|b| b.truncate(100), expect!["sync message truncated: 100 bytes, need 569"]);
    check_wire(|b| b.truncate(20), expect!["sync message truncated: 20 bytes, need 42"]);
    check_wire(|b| b.clear(), expect!["sync message truncated: 0 bytes, need 42"]);
    check_wire(|b| b.push(0), expect!["sync message length mismatch: header says 527 payload bytes, received 528"]);
    check_wire(|b| b[0] = b'X', expect!["not an OpenTill sync message (bad magic)"]);
    check_wire(|b| b[4] = 2, expect!["sync protocol version 2 is not supported (this build speaks 1)"]);
    check_wire(|b| b[5] = 9, expect!["sync message checksum mismatch: the message was corrupted in transit"]);
    check_wire(|b| b[60] ^= 1, expect!["sync message checksum mismatch: the message was corrupted in transit"]);
    check_wire(
        |b| {
            // A well-framed message whose payload lies about its entry count.
            let n = b.len() - 32;
            b[10 + 4 + 2 + 4 + 6 + 32 + 3] = 200;
            let sum: [u8; 32] = Sha256::digest(&b[..n]).into();
            b[n..].copy_from_slice(&sum);
        },
        expect!["malformed sync message: entry count larger than the message"],
    );
    check_wire(
        |b| {
            // A well-framed message with an empty payload.
            b[6..10].copy_from_slice(&[0; 4]);
            b.truncate(10);
            let sum: [u8; 32] = Sha256::digest(&b[..]).into();
            b.extend_from_slice(&sum);
        },
        expect!["malformed sync message: store id"],
    );
}

#[test]
fn hello_and_ack_round_trip() {
    let hello = Hello::seal(&key(), STORE, NODE, 42, 7);
    assert!(hello.verify(&key().verifying_key()));
    assert!(!hello.verify(&SigningKey::from_bytes(&[8; 32]).verifying_key()));
    assert_eq!(Message::decode(&Message::Hello(hello.clone()).encode()), Ok(Message::Hello(hello)));
    let ack = Ack { store_id: STORE.into(), node_id: NODE.into(), acked_seq: 9, head_hash: [3; 32] };
    assert_eq!(Message::decode(&Message::Ack(ack.clone()).encode()), Ok(Message::Ack(ack)));
}

/// Tampers with a batch of entries 1-5 after a ledger already holds 1-2, re-seals the
/// batch with `batch_key` (the node's key unless a forger's), and renders the verdict.
fn check_tamper(tamper: impl Fn(&mut Vec<Entry>), batch_key: SigningKey, expect: Expect) {
    let journal = journal(5);
    let mut ledger = ledger();
    let verdict = ledger.check(&batch_of(&journal, 1..=2));
    ledger.apply(&verdict);
    let mut entries = journal[2..].to_vec();
    tamper(&mut entries);
    let batch = Batch::seal(&batch_key, STORE, NODE, journal[1].hash, entries);
    let verdict = ledger.check(&batch);
    let before = ledger.clone();
    ledger.apply(&verdict);
    if !matches!(verdict, Verdict::Accept { .. }) {
        assert_eq!(before, ledger, "a rejected batch must not move the ledger");
    }
    expect.assert_eq(&show(&verdict));
}

#[test]
fn tampered_journals_are_quarantined() {
    check_tamper(|_| {}, key(), expect!["accept skip=0 head=5"]);
    // An amount edited in place.
    check_tamper(|e| e[1].body = b"{\"total\":1}".to_vec(), key(), expect!["quarantine: entry 4: hash mismatch: the entry was altered"]);
    // An amount edited and the hash recomputed, but the node's signature cannot be.
    check_tamper(
        |e| {
            e[1].body = b"{\"total\":1}".to_vec();
            e[1].hash = crate::journal::entry_hash(NODE, 4, e[1].ts_ms, "sale", &e[0].hash, &e[1].body);
        },
        key(),
        expect!["quarantine: entry 4: bad signature"],
    );
    // An entry dropped from the middle.
    check_tamper(|e| drop(e.remove(1)), key(), expect!["quarantine: entry 4: sequence broken: expected 4, found 5"]);
    // An entry dropped and the rest renumbered.
    check_tamper(
        |e| {
            e.remove(1);
            e[1].seq = 4;
        },
        key(),
        expect!["quarantine: entry 4: hash mismatch: the entry was altered"],
    );
    // Another key signs batches in this node's name.
    check_tamper(|_| {}, SigningKey::from_bytes(&[66; 32]), expect!["quarantine: batch is not signed by node till-1: forged or altered"]);
    // A forger re-signs every entry and the batch with its own key.
    check_tamper(
        |e| {
            let forger = SigningKey::from_bytes(&[66; 32]);
            let mut prev = journal(2)[1].hash;
            for entry in e.iter_mut() {
                *entry = seal(&forger, NODE, entry.seq, entry.ts_ms, &entry.kind, prev, entry.body.clone());
                prev = entry.hash;
            }
        },
        SigningKey::from_bytes(&[66; 32]),
        expect!["quarantine: batch is not signed by node till-1: forged or altered"],
    );
}

#[test]
fn a_forked_history_is_quarantined() {
    // The cloud holds entries 1-2; the node was restored from an old copy and wrote a
    // different entry 2 and then 3, 4.
    let journal = journal(2);
    let mut ledger = ledger();
    let verdict = ledger.check(&batch_of(&journal, 1..=2));
    ledger.apply(&verdict);
    let mut other = journal[..1].to_vec();
    let mut prev = journal[0].hash;
    for seq in 2..=4 {
        let entry = seal(&key(), NODE, seq, 5, "sale", prev, b"{\"total\":7}".to_vec());
        prev = entry.hash;
        other.push(entry);
    }
    expect!["quarantine: entry 3 does not extend the journal held (held head c796cfb97729b91a311222980e40ec6db2e53efab2062516b9ef8a593da6d639): the node's history forked"]
        .assert_eq(&show(&ledger.check(&batch_of(&other, 3..=4))));
    expect!["quarantine: entry 3 does not extend the journal held (held head c796cfb97729b91a311222980e40ec6db2e53efab2062516b9ef8a593da6d639): the node's history forked"]
        .assert_eq(&show(&ledger.check(&batch_of(&other, 1..=4))));
}

#[test]
fn a_batch_for_another_node_is_quarantined() {
    let journal = journal(2);
    let mut batch = batch_of(&journal, 1..=2);
    batch.node_id = "till-2".into();
    expect!["quarantine: batch claims S1/till-2 but was sent as S1/till-1"].assert_eq(&show(&ledger().check(&batch)));
}

#[test]
fn the_outbox_windows_and_rewinds() {
    let mut outbox = Outbox::new(10, 0, 4, 2);
    assert_eq!(outbox.next_batch(), Some(1..=4));
    assert_eq!(outbox.next_batch(), Some(5..=8));
    assert_eq!(outbox.next_batch(), None, "window full");
    outbox.on_ack(4);
    assert_eq!(outbox.next_batch(), Some(9..=10));
    outbox.on_timeout();
    assert_eq!(outbox.next_batch(), Some(5..=8));
    outbox.on_ack(10);
    assert!(outbox.is_synced());
    assert_eq!(outbox.next_batch(), None);
    outbox.set_local_head(11);
    assert_eq!(outbox.next_batch(), Some(11..=11));
}

/// What the network does to the next message.
#[derive(Debug, Clone)]
enum Net {
    /// The sender sends what its outbox allows.
    Send,
    /// Deliver the message at this position (modulo the queue) to the receiver.
    Deliver(usize),
    /// Deliver it and keep a copy (a duplicate).
    Duplicate(usize),
    /// Lose it.
    Drop(usize),
    /// Flip a byte in it before delivery.
    Corrupt(usize, usize),
    /// Cut it short before delivery.
    Truncate(usize, usize),
    /// Deliver the ack at this position to the sender.
    AckBack(usize),
    /// Lose an ack.
    DropAck(usize),
    /// The sender gives up waiting and rewinds.
    Timeout,
    /// The sender's node writes more entries.
    Write(u8),
}

fn net() -> impl Strategy<Value = Net> {
    prop_oneof![
        4 => Just(Net::Send),
        4 => any::<usize>().prop_map(Net::Deliver),
        1 => any::<usize>().prop_map(Net::Duplicate),
        1 => any::<usize>().prop_map(Net::Drop),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Net::Corrupt(a, b)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Net::Truncate(a, b)),
        3 => any::<usize>().prop_map(Net::AckBack),
        1 => any::<usize>().prop_map(Net::DropAck),
        1 => Just(Net::Timeout),
        1 => (1u8..5).prop_map(Net::Write),
    ]
}

/// A receiver that stores what it accepts as a set keyed by (node, seq).
struct Receiver {
    ledger: NodeLedger,
    held: BTreeMap<u64, Entry>,
}

impl Receiver {
    fn receive(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        let before = (self.ledger.clone(), self.held.len());
        let Ok(Message::Batch(batch)) = Message::decode(bytes) else {
            assert_eq!(before, (self.ledger.clone(), self.held.len()), "a bad message changed state");
            return None;
        };
        let verdict = self.ledger.check(&batch);
        assert!(!matches!(verdict, Verdict::Quarantine(_)), "honest batch quarantined: {verdict:?}");
        if let Verdict::Accept { skip, .. } = verdict {
            for entry in batch.entries().into_iter().skip(skip) {
                assert!(self.held.insert(entry.seq, entry).is_none(), "an entry was stored twice");
            }
        }
        self.ledger.apply(&verdict);
        Some(Message::Ack(self.ledger.ack()).encode())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever the network drops, repeats, reorders or corrupts, once it behaves the
    /// receiver holds exactly the sender's journal, each entry once.
    #[test]
    fn lossy_networks_converge(start in 0u64..30, steps in proptest::collection::vec(net(), 0..200), batch_max in 1u64..8, window in 1usize..4) {
        let mut journal = journal(start);
        let mut outbox = Outbox::new(start, 0, batch_max, window);
        let mut receiver = Receiver { ledger: ledger(), held: BTreeMap::new() };
        let mut to_receiver: Vec<Vec<u8>> = Vec::new();
        let mut to_sender: Vec<Vec<u8>> = Vec::new();
        let extend = |journal: &mut Vec<Entry>, n: u8| {
            for _ in 0..n {
                let seq = journal.len() as u64 + 1;
                let prev = journal.last().map(|e| e.hash).unwrap_or(GENESIS_HASH);
                journal.push(seal(&key(), NODE, seq, seq as i64, "sale", prev, format!("{{\"total\":{seq}}}").into_bytes()));
            }
        };
        let send = |outbox: &mut Outbox, journal: &[Entry], to_receiver: &mut Vec<Vec<u8>>| {
            while let Some(range) = outbox.next_batch() {
                to_receiver.push(Message::Batch(batch_of(journal, range)).encode());
            }
        };
        let take = |queue: &mut Vec<Vec<u8>>, i: usize| if queue.is_empty() { None } else { let n = queue.len(); Some(queue.remove(i % n)) };
        for step in steps {
            match step {
                Net::Send => send(&mut outbox, &journal, &mut to_receiver),
                Net::Deliver(i) => if let Some(m) = take(&mut to_receiver, i) { to_sender.extend(receiver.receive(&m)) },
                Net::Duplicate(i) => if let Some(m) = take(&mut to_receiver, i) { to_sender.extend(receiver.receive(&m)); to_receiver.push(m) },
                Net::Drop(i) => { take(&mut to_receiver, i); }
                Net::Corrupt(i, at) => if let Some(mut m) = take(&mut to_receiver, i) {
                    let n = m.len();
                    m[at % n] ^= 0x5a;
                    prop_assert!(receiver.receive(&m).is_none(), "a corrupted message was accepted");
                },
                Net::Truncate(i, at) => if let Some(mut m) = take(&mut to_receiver, i) {
                    let n = m.len();
                    m.truncate(at % n);
                    prop_assert!(receiver.receive(&m).is_none(), "a truncated message was accepted");
                },
                Net::AckBack(i) => if let Some(m) = take(&mut to_sender, i) {
                    let Ok(Message::Ack(ack)) = Message::decode(&m) else { panic!("bad ack") };
                    outbox.on_ack(ack.acked_seq);
                },
                Net::DropAck(i) => { take(&mut to_sender, i); }
                Net::Timeout => outbox.on_timeout(),
                Net::Write(n) => { extend(&mut journal, n); outbox.set_local_head(journal.len() as u64) }
            }
        }
        // The network heals: deliver everything in order, retrying after timeouts.
        let mut rounds = 0;
        while !outbox.is_synced() {
            rounds += 1;
            prop_assert!(rounds < 1_000, "no convergence");
            send(&mut outbox, &journal, &mut to_receiver);
            for m in std::mem::take(&mut to_receiver) {
                to_sender.extend(receiver.receive(&m));
            }
            for m in std::mem::take(&mut to_sender) {
                let Ok(Message::Ack(ack)) = Message::decode(&m) else { panic!("bad ack") };
                outbox.on_ack(ack.acked_seq);
            }
            outbox.on_timeout();
        }
        prop_assert_eq!(receiver.held.values().cloned().collect::<Vec<_>>(), journal.clone());
        prop_assert_eq!(receiver.ledger.acked_seq, journal.len() as u64);
    }

    /// Whatever a node signs, checking it never panics and never moves the ledger.
    #[test]
    fn arbitrary_signed_batches_never_panic(held in 0u64..6, seqs in proptest::collection::vec(prop_oneof![0u64..12, Just(u64::MAX)], 0..6), prev in any::<[u8; 32]>()) {
        let journal = journal(5);
        let mut ledger = ledger();
        if held > 0 {
            let verdict = ledger.check(&batch_of(&journal, 1..=held.min(5)));
            ledger.apply(&verdict);
        }
        let entries = seqs.iter().map(|&seq| {
            let mut entry = journal[(seq % 5) as usize].clone();
            entry.seq = seq;
            entry
        }).collect();
        let batch = Batch::seal(&key(), STORE, NODE, prev, entries);
        let before = ledger.clone();
        let verdict = ledger.check(&batch);
        prop_assert_eq!(&before, &ledger);
        if let Verdict::Accept { head, .. } = verdict {
            prop_assert!(head.0 > before.acked_seq);
        }
    }

    /// Any single-byte corruption or truncation of any message is rejected by decoding.
    #[test]
    fn any_damage_is_detected(n in 1u64..6, at in any::<usize>(), flip in 1u8..=255, cut in any::<bool>()) {
        let journal = journal(n);
        let mut bytes = Message::Batch(batch_of(&journal, 1..=n)).encode();
        let len = bytes.len();
        if cut { bytes.truncate(at % len) } else { bytes[at % len] ^= flip }
        prop_assert!(Message::decode(&bytes).is_err());
    }
}

/// A large batch is verified across threads; the first bad signature is still the one named.
#[test]
fn a_bad_signature_deep_in_a_large_batch_is_found() {
    let mut journal = journal(600);
    let forger = SigningKey::from_bytes(&[66; 32]);
    for seq in [450usize, 451, 599] {
        // Same content, so the same hash; only the signature is another key's.
        let e = journal[seq - 1].clone();
        journal[seq - 1] = seal(&forger, NODE, e.seq, e.ts_ms, &e.kind, e.prev_hash, e.body);
    }
    let verdict = ledger().check(&batch_of(&journal, 1..=600));
    expect!["quarantine: entry 450: bad signature"].assert_eq(&show(&verdict));
    assert!(matches!(ledger().check(&batch_of(&journal, 1..=449)), Verdict::Accept { head: (449, _), .. }));
}

fn carrier_key() -> SigningKey {
    SigningKey::from_bytes(&[11; 32])
}

/// A batch of entries `seqs` of till-1's journal, carried (and signed) by `edge`.
fn carried(journal: &[Entry], seqs: RangeInclusive<u64>, key: &SigningKey) -> Batch {
    let honest = batch_of(journal, seqs);
    Batch::seal_carried(key, "edge", STORE, NODE, honest.prev_hash, honest.entries())
}

#[test]
fn relay_frames_round_trip_and_reject_damage() {
    let j = journal(4);
    let hello = Hello::seal_carried(&carrier_key(), "edge", STORE, NODE, 42, 4);
    let messages = [
        Message::Relay(Relay { carrier: "edge".into(), inner: Carried::Hello(hello.clone()) }),
        Message::Relay(Relay { carrier: "edge".into(), inner: Carried::Batch(carried(&j, 1..=4, &carrier_key())) }),
        Message::Fetch(Fetch::seal(&key(), STORE, "till-2", 7, 100, vec![(NODE.into(), 2), ("edge".into(), 0)])),
        Message::Fetched(Fetched::seal(&carrier_key(), STORE, "edge", vec![(NODE.into(), key().verifying_key().to_bytes())], vec![batch_of(&j, 3..=4)], true)),
    ];
    for message in messages {
        let bytes = message.encode();
        assert_eq!(Message::decode(&bytes), Ok(message.clone()));
        assert!(matches!(Message::decode(&bytes[..bytes.len() - 1]), Err(WireError::Truncated { .. } | WireError::LengthMismatch { .. })));
        let mut corrupted = bytes.clone();
        corrupted[HEADER + 3] ^= 1;
        assert_eq!(Message::decode(&corrupted), Err(WireError::Checksum));
    }
    // A carried hello is the carrier's word, not the node's, and not another carrier's.
    assert!(hello.verify_carried("edge", &carrier_key().verifying_key()));
    assert!(!hello.verify(&carrier_key().verifying_key()));
    assert!(!hello.verify_carried("edge-2", &carrier_key().verifying_key()));
    let fetch = Fetch::seal(&key(), STORE, "till-2", 7, 100, vec![]);
    assert!(fetch.verify(&key().verifying_key()) && !fetch.verify(&carrier_key().verifying_key()));
}

#[test]
fn a_carrier_can_withhold_entries_but_not_forge_or_alter_them() {
    let j = journal(5);
    let carrier = carrier_key().verifying_key();
    let mut held = ledger();
    let verdict = held.check_carried(&carried(&j, 1..=2, &carrier_key()), "edge", &carrier);
    assert_eq!(show(&verdict), "accept skip=0 head=2");
    held.apply(&verdict);
    // Not signed by the carrier it names.
    let verdict = held.check_carried(&carried(&j, 3..=5, &SigningKey::from_bytes(&[12; 32])), "edge", &carrier);
    assert_eq!(show(&verdict), "quarantine: batch is not signed by node edge: forged or altered");
    // The carrier alters an amount and re-signs the batch: the entry's own hash betrays it.
    let mut altered = j.clone();
    altered[3].body = b"{\"total\":1}".to_vec();
    let verdict = held.check_carried(&carried(&altered, 3..=5, &carrier_key()), "edge", &carrier);
    assert_eq!(show(&verdict), "quarantine: entry 4: hash mismatch: the entry was altered");
    // The carrier makes up an entry with its own key: the node's signature is missing.
    let forged: Vec<Entry> = (3..=5).scan(j[1].hash, |prev, seq| {
        let entry = seal(&carrier_key(), NODE, seq, 0, "sale", *prev, b"{\"total\":1}".to_vec());
        *prev = entry.hash;
        Some(entry)
    }).collect();
    let batch = Batch::seal_carried(&carrier_key(), "edge", STORE, NODE, j[1].hash, forged);
    assert_eq!(show(&held.check_carried(&batch, "edge", &carrier)), "quarantine: entry 3: bad signature");
    // Entries inside a signed fetch answer are checked the same way.
    assert_eq!(show(&held.check_entries(&carried(&altered, 3..=5, &carrier_key()))), "quarantine: entry 4: hash mismatch: the entry was altered");
    assert_eq!(show(&held.check_entries(&carried(&j, 3..=5, &carrier_key()))), "accept skip=0 head=5");
}
