//! `opentill-edge serve` as a real process on a free loopback port.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{data, http, ok, store};

#[test]
fn serves_the_api_and_stops_cleanly() {
    let dir = store();
    let data = data(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_opentill-edge"))
        .args(["serve", "--data", &data, "--listen", &format!("127.0.0.1:{port}"), "--mqtt", "off"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, health) = http(port, "GET", "/api/health", "");
    assert_eq!((status, health["store_id"].as_str()), (200, Some("SH001")));
    let sale = r#"{"sale_id":"http-1","items":[{"barcode":"6901234567892","qty":3}],"tenders":[{"kind":"mobile","amount_minor":1050,"reference":"134567890123456789"}]}"#;
    let (status, body) = http(port, "POST", "/api/sales", sale);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_minor"].as_i64(), Some(1050));
    let (status, body) = http(port, "POST", "/api/sales", r#"{"items":[{"barcode":"123"}],"tenders":[]}"#);
    assert_eq!((status, body["kind"].as_str()), (404, Some("unknown_barcode")), "{body}");
    let (status, doc) = http(port, "GET", "/api/openapi.json", "");
    assert_eq!(status, 200);
    assert_eq!(doc["info"]["title"].as_str(), Some("OpenTill local API"));

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "graceful stop exits 0, got {status}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = ok(&["journal", "verify", "--data", &data]);
    assert!(out.contains("journal OK: 1 entries"), "{out}");
}

fn http_raw(port: u16, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head[9..12].parse().unwrap(), head.to_ascii_lowercase(), body.to_string())
}

#[test]
fn serves_the_browser_ui_next_to_the_api() {
    let dir = store();
    let data = data(&dir);
    let ui = dir.path().join("dist");
    std::fs::create_dir_all(ui.join("assets")).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>OpenTill</title>").unwrap();
    std::fs::write(ui.join("assets/app-1234.js"), "console.log(1)").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "no").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_opentill-edge"))
        .args(["serve", "--data", &data, "--listen", &format!("127.0.0.1:{port}"), "--ui", ui.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, head, body) = http_raw(port, "/");
    assert_eq!((status, body.as_str()), (200, "<!doctype html><title>OpenTill</title>"));
    assert!(head.contains("content-type: text/html"), "{head}");
    let (status, _, body) = http_raw(port, "/sale");
    assert_eq!((status, body.contains("OpenTill")), (200, true), "screens without a file get index.html");
    let (status, head, body) = http_raw(port, "/assets/app-1234.js");
    assert_eq!((status, body.as_str()), (200, "console.log(1)"));
    assert!(head.contains("text/javascript") && head.contains("immutable"), "{head}");
    assert_eq!(http_raw(port, "/assets/missing.js").0, 404);
    assert_eq!(http_raw(port, "/../secret.txt").0, 404);
    assert_eq!(http_raw(port, "/assets/../../secret.txt").0, 404);
    let (status, _, body) = http_raw(port, "/api/nope");
    assert_eq!(status, 404);
    assert!(body.contains("not_found"), "{body}");
    let (status, health) = http(port, "GET", "/api/health", "");
    assert_eq!((status, health["store_id"].as_str()), (200, Some("SH001")));
    child.kill().unwrap();
    child.wait().unwrap();
}
