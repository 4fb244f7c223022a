//! `--db` values: what each command says when one is wrong, never showing a password;
//! `serve` stopping cleanly on either backend.

use std::process::Command;

use crate::{Backend, Cloud, CloudDb, cloud_bin, free_port, on_both_backends};

on_both_backends!(serve_stops_cleanly_on_sigterm);

fn serve_stops_cleanly_on_sigterm(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let mut cloud = Cloud::start(&db.db, free_port());
    assert_eq!(cloud.get("/v1/totals"), serde_json::json!([]));
    assert!(Command::new("kill").args(["-TERM", &cloud.child.id().to_string()]).status().unwrap().success());
    let status = cloud.child.wait().unwrap();
    assert!(status.success(), "serve on {backend:?} ended with {status} after SIGTERM");
}

fn fails(args: &[&str]) -> String {
    let out = Command::new(cloud_bin()).args(args).env("OPENTILL_LOG", "warn").env_remove("OPENTILL_CLOUD_DB").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?} must fail: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn bad_db_values_get_a_clear_error() {
    let closed = free_port();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["serve".into(), "--db".into(), "mysql://root@localhost/cloud".into()], "error: --db `mysql://root@localhost/cloud` must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE"),
        (vec!["serve".into(), "--db".into(), "cloud.db".into()], "error: --db `cloud.db` must be sqlite:PATH or postgres://USER@HOST:PORT/DATABASE"),
        (vec!["enrol-code".into(), "--db".into(), "sqlite:".into(), "--store".into(), "S1".into()], "error: --db `sqlite:` must be sqlite:PATH"),
        (
            vec!["enrol-code".into(), "--db".into(), "postgres://cloud:hunter2@127.0.0.1:nope/cloud".into(), "--store".into(), "S1".into()],
            "error: --db `postgres://cloud:***@127.0.0.1:nope/cloud` is not a valid PostgreSQL URL (invalid connection string",
        ),
        (vec!["serve".into(), "--db".into(), "postgres://cloud:hunter2@/cloud".into()], "error: --db `postgres://cloud:***@/cloud` is not a valid PostgreSQL URL (no host)"),
        (
            vec!["revoke-pass".into(), "--db".into(), format!("postgresql://cloud:hunter2@127.0.0.1:{closed}/cloud"), "--store".into(), "S1".into(), "--pass".into(), "p".into()],
            "error: opening postgresql://cloud:***@127.0.0.1:",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let stderr = fails(&args);
        assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr:?}");
        assert!(!stderr.contains("hunter2"), "{args:?} shows the password: {stderr}");
    }
    let refused = fails(&["serve", "--db", &format!("postgres://cloud@127.0.0.1:{closed}/cloud")]);
    assert!(refused.contains("PostgreSQL error: error connecting to server"), "{refused}");
}
