//! A tampered database fails `journal verify`, naming the first bad entry.

use crate::{data, db, edge, ok, store};

fn store_with_sales() -> tempfile::TempDir {
    let dir = store();
    let data = data(&dir);
    for _ in 0..4 {
        ok(&["sale", "--data", &data, "--scan", "6901234567892", "--qty", "2", "--scan", "6920152400012", "--tender", "cash:20"]);
    }
    assert!(ok(&["journal", "verify", "--data", &data]).contains("journal OK: 4 entries"));
    dir
}

/// Runs SQL against the store as an attacker with file access would, triggers removed.
fn tamper(dir: &tempfile::TempDir, sql: &str) {
    let conn = rusqlite::Connection::open(db(dir.path())).unwrap();
    conn.execute_batch("DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;").unwrap();
    conn.execute_batch(sql).unwrap();
}

fn verify_fails(dir: &tempfile::TempDir) -> String {
    let out = edge(&["journal", "verify", "--data", &data(dir)]);
    assert_eq!(out.status.code(), Some(1), "verify must fail with exit 1");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn the_journal_refuses_edits_through_sqlite() {
    let dir = store_with_sales();
    let conn = rusqlite::Connection::open(db(dir.path())).unwrap();
    let err = conn.execute("UPDATE journal SET ts_ms = 0 WHERE seq = 1", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(conn.execute("DELETE FROM journal WHERE seq = 1", []).is_err());
}

#[test]
fn tampering_is_detected() {
    let cases: &[(&str, &str)] = &[
        // An edited amount.
        ("UPDATE journal SET body = CAST(replace(CAST(body AS TEXT), '\"total\":1490', '\"total\":149') AS BLOB) WHERE seq = 2", "first bad entry 2: hash mismatch"),
        // A deleted entry in the middle.
        ("DELETE FROM journal WHERE seq = 3", "first bad entry 4: sequence broken: expected 3, found 4"),
        // Two entries swapped.
        ("UPDATE journal SET seq = 100 WHERE seq = 2; UPDATE journal SET seq = 2 WHERE seq = 3; UPDATE journal SET seq = 3 WHERE seq = 100;", "first bad entry 2: chain broken"),
        // The last entry deleted, with its sale left in the index.
        ("DELETE FROM journal WHERE seq = 4", "is indexed but not in the journal"),
        // The timestamp moved.
        ("UPDATE journal SET ts_ms = ts_ms - 86400000 WHERE seq = 1", "first bad entry 1: hash mismatch"),
        // Stock edited behind the journal's back.
        ("UPDATE stock SET qty = qty + 10 WHERE sku = 'DRK-1'", "stock on hand disagrees"),
    ];
    for (sql, expected) in cases {
        let dir = store_with_sales();
        tamper(&dir, sql);
        let stderr = verify_fails(&dir);
        assert!(stderr.contains(expected), "{sql}\nexpected {expected:?} in {stderr:?}");
    }
}

#[test]
fn a_rehashed_entry_without_the_node_key_fails_its_signature() {
    let dir = store_with_sales();
    let conn = rusqlite::Connection::open(db(dir.path())).unwrap();
    conn.execute_batch("DROP TRIGGER journal_no_update;").unwrap();
    // The attacker edits entry 4 (the last) and recomputes its hash correctly, but cannot sign.
    let (node, ts, kind, body, prev): (String, i64, String, Vec<u8>, Vec<u8>) =
        conn.query_row("SELECT node_id, ts_ms, kind, body, prev_hash FROM journal WHERE seq = 4", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))).unwrap();
    let body = String::from_utf8(body).unwrap().replace("\"total\":1490", "\"total\":1000").into_bytes();
    let hash = opentill_sync::journal::entry_hash(&node, 4, ts, &kind, &prev.try_into().unwrap(), &body);
    conn.execute("UPDATE journal SET body = ?1, hash = ?2 WHERE seq = 4", rusqlite::params![body, hash.as_slice()]).unwrap();
    let stderr = verify_fails(&dir);
    assert!(stderr.contains("first bad entry 4: bad signature"), "{stderr}");
}
