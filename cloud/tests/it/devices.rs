//! The devices document: a store's device registry and shelf planogram set at one node
//! reach the store's other nodes and an edge agent set up afresh, and no other store.

use crate::catalog::enrolled_store as enrolled;
use crate::{Backend, Cloud, CloudDb, edge, free_port, ok, on_both_backends};

on_both_backends!(a_planogram_and_registry_set_at_a_till_reach_a_replacement_edge_agent);

/// `shelf list`'s lines as (shelf/slot, sku, par).
fn planogram(data: &str) -> Vec<(String, String, String)> {
    ok(&["shelf", "list", "--data", data])
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[3].to_string())
        })
        .collect()
}

/// `device list`'s lines as (device, kind, name, location, state).
fn registry(data: &str) -> Vec<Vec<String>> {
    ok(&["device", "list", "--data", data]).lines().map(|l| l.split('\t').map(str::to_string).collect()).collect()
}

/// How many devices `mqtt-config` writes a password for.
fn configured_devices(data: &str, out: &std::path::Path) -> String {
    let text = ok(&["mqtt-config", "--data", data, "--out", out.to_str().unwrap(), "--force"]);
    std::fs::read_to_string(out.join("acl")).unwrap().lines().filter_map(|l| l.strip_prefix("user ")).filter(|u| *u != "opentill-agent").collect::<Vec<_>>().join(",") + "|" + text.lines().next().unwrap_or("")
}

fn a_planogram_and_registry_set_at_a_till_reach_a_replacement_edge_agent(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = CloudDb::new(backend, dir.path());
    let cloud = Cloud::start(&db.db, free_port());
    let till = enrolled(dir.path(), &db.db, &cloud, "till", "S1", "till-1");
    let agent = enrolled(dir.path(), &db.db, &cloud, "agent", "S1", "edge-1");
    let s2 = enrolled(dir.path(), &db.db, &cloud, "s2", "S2", "edge-s2");

    // A manager sets up the drinks shelf and names the store's devices at the till.
    ok(&["shelf", "set", "--data", &till, "--shelf", "sh-1", "--slot", "A1", "--sku", "DRK-1", "--unit-grams", "350", "--tolerance-grams", "15", "--par", "3"]);
    ok(&["shelf", "set", "--data", &till, "--shelf", "sh-1", "--slot", "A2", "--sku", "DRK-2", "--unit-grams", "350", "--tolerance-grams", "15"]);
    ok(&["device", "register", "--data", &till, "sh-1", "--kind", "shelf", "--name", "Drinks shelf", "--name-zh", "饮料货架", "--location", "aisle 1"]);
    ok(&["device", "register", "--data", &till, "gate-1", "--kind", "gate", "--name", "Entrance gate", "--location", "entrance"]);
    // Bad input is refused with the reason, and changes nothing.
    for (args, reason) in [
        (vec!["device", "register", "--data", &till, "x-1", "--kind", "toaster"], "is not a kind of device"),
        (vec!["device", "register", "--data", &till, "bad id"], "must be 1 to 64 letters"),
        (vec!["shelf", "set", "--data", &till, "--shelf", "sh-1", "--slot", "A3", "--sku", "DRK-1", "--unit-grams", "100", "--tolerance-grams", "60"], "the tolerance under half of it"),
        (vec!["shelf", "clear", "--data", &till, "--shelf", "sh-1", "--slot", "Z9"], "has no configured slot Z9"),
    ] {
        let out = edge(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(reason), "{args:?}: {stderr}");
    }
    assert_eq!(registry(&till).len(), 2);

    // The edge agent has none of it until both sync; then it drives the shelf as configured.
    assert!(planogram(&agent).is_empty());
    for data in [&till, &agent, &s2] {
        assert!(ok(&["sync", "push", "--data", data]).contains("devices:"), "{data}");
    }
    let expected = vec![("sh-1/A1".to_string(), "DRK-1".to_string(), "par 3".to_string()), ("sh-1/A2".into(), "DRK-2".into(), "par 2".into())];
    assert_eq!(planogram(&agent), expected);
    let shelf = registry(&agent).into_iter().find(|d| d[0] == "sh-1").unwrap();
    assert_eq!(shelf, ["sh-1", "shelf", "Drinks shelf", "aisle 1", "never heard from"]);
    let zh = String::from_utf8(crate::edge_with_lang(&["device", "list", "--data", &agent], "zh").stdout).unwrap();
    assert!(zh.contains("饮料货架") && zh.contains("尚未连接"), "{zh}");

    // Apart, the till raises A1's par and the agent later clears A2; the agent also
    // retires the gate. Both edits stay, and the later one of each slot wins.
    ok(&["shelf", "set", "--data", &till, "--shelf", "sh-1", "--slot", "A1", "--sku", "DRK-1", "--unit-grams", "350", "--tolerance-grams", "15", "--par", "5"]);
    ok(&["shelf", "clear", "--data", &agent, "--shelf", "sh-1", "--slot", "A2"]);
    ok(&["device", "retire", "--data", &agent, "gate-1"]);
    for data in [&till, &agent, &till] {
        ok(&["sync", "push", "--data", data]);
    }
    for data in [&till, &agent] {
        assert_eq!(planogram(data), [("sh-1/A1".to_string(), "DRK-1".to_string(), "par 5".to_string())], "{data}");
        let gate = registry(data).into_iter().find(|d| d[0] == "gate-1").unwrap();
        assert_eq!(gate[4], "retired", "{data}");
    }

    // The agent's disk dies: a new one enrolled for the store gets the planogram and the
    // registry from the cloud on its first sync, and writes broker passwords for the
    // devices still in service.
    let replacement = enrolled(dir.path(), &db.db, &cloud, "agent-2", "S1", "edge-2");
    ok(&["sync", "push", "--data", &replacement]);
    assert_eq!(planogram(&replacement), planogram(&till));
    assert_eq!(registry(&replacement), registry(&till));
    let written = configured_devices(&replacement, &dir.path().join("mosquitto"));
    assert!(written.starts_with("sh-1|") && written.contains("(1 devices)"), "{written}");

    // Store S2 holds none of S1's devices.
    ok(&["sync", "push", "--data", &s2]);
    assert!(planogram(&s2).is_empty() && registry(&s2).is_empty());
}
