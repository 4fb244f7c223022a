//! `opentill-bench-mqtt`: many smart shelves publishing weight readings to the edge agent.
//!
//! N simulated shelves (1,000 by default), each a real MQTT connection, publish readings
//! at R messages a second each (5: 5,000 a second in all) for S seconds (60).
//! - Baseline, same run: the same load through the same broker (`--broker embedded`:
//!   `opentill-edge broker`, the rumqttd process `serve` starts; `--broker mosquitto`: a
//!   Mosquitto process) to a bare subscriber that only parses each payload; time from
//!   publish to received; the broker's peak RSS.
//! - OpenTill: `opentill-edge serve` (a separate process, with its embedded broker or as a
//!   client of the Mosquitto process) handles every reading (contract check, registry, slot
//!   count written to SQLite with fsync, acknowledged after the write); time from publish
//!   to handled, from the agent's own histogram (the difference of two snapshots: the timed
//!   phase only, once every shelf is connected and announced); the peak RSS (VmHWM) of the
//!   agent and, apart, of its broker process.
//!
//! ```text
//! cargo build --release -p opentill-edge -p opentill-bench
//! target/release/opentill-bench-mqtt [--devices 1000] [--rate 5] [--secs 60] [--broker embedded|mosquitto] [--out target/bench/mqtt.json]
//! ```

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use opentill_sync::StoreSettings;
use opentill_till::Till;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

const CATALOG: &str = include_str!("../../../fixtures/test-catalog.csv");
const STORE: &str = "BENCH";

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_or(0, |a| a.port())
}

fn wait_port(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing answers on port {port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// The broker under test on `port`, as a process: `opentill-edge broker` (`embedded`,
/// the very process `serve --mqtt embedded:…` starts) or Mosquitto, configured as
/// `opentill-edge mqtt-config` does for in-flight and queue limits.
fn start_broker(kind: &str, port: u16, dir: &std::path::Path, edge: &std::path::Path) -> anyhow::Result<std::process::Child> {
    let child = match kind {
        "embedded" => Command::new(edge)
            .args(["broker", "--listen", &format!("127.0.0.1:{port}")])
            .env("OPENTILL_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("opentill-edge broker")?,
        "mosquitto" => {
            let conf = dir.join("mosquitto.conf");
            std::fs::write(&conf, format!("listener {port} 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 1000\nmax_queued_messages 1000000\n"))?;
            let bin = if std::path::Path::new("/usr/sbin/mosquitto").exists() { "/usr/sbin/mosquitto" } else { "mosquitto" };
            Command::new(bin).arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().context("mosquitto (scripts/setup.sh installs it)")?
        }
        other => bail!("--broker {other}: embedded or mosquitto"),
    };
    wait_port(port)?;
    Ok(child)
}

/// The agent's broker process: the child `serve` started (`embedded`) or the Mosquitto
/// this program started.
fn child_of(parent: u32, word: &str) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
        let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
        let ppid: u32 = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
        let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
        (ppid == parent && String::from_utf8_lossy(&cmdline).split('\0').any(|a| a == word)).then_some(pid)
    })
}

fn stop(mut child: std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Connects `devices` shelves (announcing them when `announce`), waits a second, calls
/// `warmed_up`, then publishes from every shelf at `rate` a second each for `secs`.
/// Returns the count sent and the seconds from the start of publishing to the last shelf done.
async fn load(port: u16, devices: usize, rate: f64, secs: f64, announce: bool, warmed_up: impl FnOnce() + Send + 'static) -> (u64, f64) {
    let sent = Arc::new(AtomicU64::new(0));
    let ready = Arc::new(tokio::sync::Barrier::new(devices + 1));
    let go = Arc::new(tokio::sync::Barrier::new(devices + 1));
    let mut tasks = Vec::new();
    for i in 0..devices {
        let sent = sent.clone();
        let (ready, go) = (ready.clone(), go.clone());
        tasks.push(tokio::spawn(async move {
            let shelf = format!("S{i:04}");
            let mut options = MqttOptions::new(format!("bench-{shelf}"), "127.0.0.1", port);
            options.set_keep_alive(Duration::from_secs(60)).set_inflight(50);
            let (client, mut eventloop) = AsyncClient::new(options, 64);
            // Like a real device, a shelf whose connection the broker drops (rumqttd aborts
            // a few under a thousand simultaneous connects) connects again and carries on.
            let poller = tokio::spawn(async move {
                loop {
                    if eventloop.poll().await.is_err() {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            });
            let prefix = format!("opentill/v1/{STORE}");
            if announce {
                let state = format!(r#"{{"id":"{shelf}-on","ts":{},"online":true,"kind":"shelf"}}"#, now_ms());
                let _ = client.publish(format!("{prefix}/dev/{shelf}/state"), QoS::AtLeastOnce, false, state).await;
            }
            ready.wait().await;
            go.wait().await;
            // Spread the shelves over the first interval, then a steady rate.
            let period = Duration::from_secs_f64(1.0 / rate);
            tokio::time::sleep(period.mul_f64(i as f64 / devices as f64)).await;
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let end = Instant::now() + Duration::from_secs_f64(secs);
            let mut n = 0u64;
            while Instant::now() < end {
                tick.tick().await;
                n += 1;
                // Ten 350 g items, give or take a few grams of noise.
                let payload = format!(r#"{{"id":"{shelf}-{n}","ts":{},"slot":"1","grams":{}}}"#, now_ms(), 3_500 + (n % 7) as i64 - 3);
                if client.publish(format!("{prefix}/shelf/{shelf}/weight"), QoS::AtLeastOnce, false, payload).await.is_ok() {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            tokio::time::sleep(TAIL).await;
            let _ = client.disconnect().await;
            poller.abort();
        }));
    }
    ready.wait().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = tokio::task::spawn_blocking(warmed_up).await;
    go.wait().await;
    let start = Instant::now();
    for t in tasks {
        let _ = t.await;
    }
    (sent.load(Ordering::Relaxed), start.elapsed().saturating_sub(TAIL).as_secs_f64())
}

/// How long each shelf stays connected after its last reading (so its last messages are
/// acknowledged); not part of the publishing time.
const TAIL: Duration = Duration::from_secs(2);

/// Percentile of the messages in histogram `after` that were not yet in `before`
/// (both `[[ms, count], ...]` from `/api/devices/metrics`).
fn steady_percentile(before: &serde_json::Value, after: &serde_json::Value, q: f64) -> Option<u64> {
    let read = |v: &serde_json::Value| -> HashMap<u64, u64> {
        v["latency_histogram"].as_array().into_iter().flatten().filter_map(|b| Some((b[0].as_u64()?, b[1].as_u64()?))).collect()
    };
    let (before, after) = (read(before), read(after));
    let mut buckets: Vec<(u64, u64)> = after.iter().map(|(ms, n)| (*ms, n - before.get(ms).copied().unwrap_or(0).min(*n))).collect();
    buckets.sort_unstable();
    let total: u64 = buckets.iter().map(|b| b.1).sum();
    let rank = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    buckets.into_iter().find(|b| {
        seen += b.1;
        seen >= rank
    }).map(|b| b.0)
}

fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn http_json(port: u16, path: &str) -> anyhow::Result<serde_json::Value> {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok(serde_json::from_str(body)?)
}

fn vm_hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    let (mut devices, mut rate, mut secs, mut out) = (1_000usize, 5.0f64, 60.0f64, PathBuf::from("target/bench/mqtt.json"));
    // `embedded` (the agent's own rumqttd) or `mosquitto` (the agent as a client of a
    // Mosquitto process, the broker of a real deployment).
    let mut broker = String::from("embedded");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--devices" => devices = value.parse()?,
            "--rate" => rate = value.parse()?,
            "--secs" => secs = value.parse()?,
            "--out" => out = value.into(),
            "--broker" => broker = value,
            _ => bail!("unknown argument {arg}"),
        }
    }
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let edge = std::env::current_exe()?.with_file_name("opentill-edge");
    if !edge.exists() {
        bail!("{} is missing: cargo build --release -p opentill-edge", edge.display());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    println!("{devices} shelves × {rate} readings/s for {secs} s ({} messages/s)", devices as f64 * rate);

    // Baseline: the same broker to a bare subscriber.
    let port = free_port();
    let base_dir = tempfile::tempdir()?;
    let base_broker = start_broker(&broker, port, base_dir.path(), &edge)?;
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<u64>::with_capacity((devices as f64 * rate * secs) as usize + 1000)));
    let (base_sent, base_secs) = runtime.block_on(async {
        let mut options = MqttOptions::new("bench-subscriber", "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(60));
        let (client, mut eventloop) = AsyncClient::new(options, 1_000);
        client.subscribe(format!("opentill/v1/{STORE}/#"), QoS::AtLeastOnce).await?;
        let got = latencies.clone();
        tokio::spawn(async move {
            while let Ok(event) = eventloop.poll().await {
                if let Event::Incoming(Packet::Publish(p)) = event
                    && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&p.payload)
                    && let Some(ts) = v["ts"].as_i64()
                {
                    got.lock().unwrap().push((now_ms() - ts).max(0) as u64);
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        anyhow::Ok(load(port, devices, rate, secs, false, || {}).await)
    })?;
    let base_broker_rss_kib = vm_hwm_kib(base_broker.id());
    stop(base_broker);
    let mut base = latencies.lock().unwrap().clone();
    base.sort_unstable();
    let base_rate = base.len() as f64 / base_secs;

    // OpenTill: the agent handles every reading.
    let dir = tempfile::tempdir()?;
    let mut settings = StoreSettings::new(STORE, "edge-1");
    settings.name = "Bench".into();
    let mut till = Till::init_with(dir.path(), settings)?;
    till.import_products(CATALOG.as_bytes(), false, |_, _| {})?;
    for i in 0..devices {
        till.set_shelf_slot(&format!("S{i:04}"), "1", "DRK-1", 350, 20, 0)?;
    }
    drop(till);
    let (http, mqtt) = (free_port(), free_port());
    let mosquitto = if broker == "mosquitto" { Some(start_broker(&broker, mqtt, dir.path(), &edge)?) } else { None };
    let mode = if broker == "mosquitto" { format!("mqtt://127.0.0.1:{mqtt}") } else { format!("embedded:127.0.0.1:{mqtt}") };
    let mut agent = Command::new(&edge)
        .args(["serve", "--data", dir.path().to_str().context("path")?, "--listen", &format!("127.0.0.1:{http}"), "--mqtt", &mode])
        .env("OPENTILL_LOG", "warn,rumqttd=error")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(out.with_extension("agent.log"))?)
        .spawn()?;
    wait_port(http)?;
    wait_port(mqtt)?;
    std::thread::sleep(Duration::from_millis(500));
    // The timed minute starts once every shelf is connected and announced: what counts
    // is the steady load, not a thousand devices connecting at once.
    let warm = Arc::new(std::sync::Mutex::new(serde_json::Value::Null));
    let warm_writer = warm.clone();
    let (agent_sent, load_secs) = runtime.block_on(load(mqtt, devices, rate, secs, true, move || {
        // Every announcement handled (or 30 s gone) before the clock starts.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let metrics = http_json(http, "/api/devices/metrics").unwrap_or_default();
            if metrics["handled"].as_u64().unwrap_or(0) >= devices as u64 || Instant::now() > deadline {
                *warm_writer.lock().unwrap() = metrics;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }));
    let warm = warm.lock().unwrap().clone();
    let handled_warm = warm["handled"].as_u64().unwrap_or(0);
    let at_end = http_json(http, "/api/devices/metrics")?;
    let handled_at_end = at_end["handled"].as_u64().unwrap_or(0);
    let expected = agent_sent + devices as u64;
    let drain_start = Instant::now();
    let mut metrics = at_end.clone();
    while metrics["handled"].as_u64().unwrap_or(0) + metrics["rejected"].as_object().map_or(0, |r| r.values().filter_map(|v| v.as_u64()).sum()) < expected && drain_start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(200));
        metrics = http_json(http, "/api/devices/metrics")?;
    }
    let drain_secs = drain_start.elapsed().as_secs_f64();
    let rss_kib = vm_hwm_kib(agent.id());
    let broker_pid = match &mosquitto {
        Some(m) => Some(m.id()),
        None => child_of(agent.id(), "broker"),
    };
    let broker_rss_kib = broker_pid.map_or(0, vm_hwm_kib);
    let _ = agent.kill();
    let _ = agent.wait();
    if let Some(m) = mosquitto {
        stop(m);
    }
    let handled = metrics["handled"].as_u64().unwrap_or(0);
    let handled_timed = handled.saturating_sub(handled_warm);
    // What was handled while the shelves published, over the publishing time: equal to
    // the publish rate when the agent keeps up (the backlog row says how far it fell behind).
    let agent_rate = handled_at_end.saturating_sub(handled_warm) as f64 / load_secs;
    let (p50, p99, max) = (steady_percentile(&warm, &metrics, 0.5), steady_percentile(&warm, &metrics, 0.99), steady_percentile(&warm, &metrics, 1.0));
    let show = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());

    println!();
    println!("agent's broker: {broker}");
    println!("| | bare subscriber (baseline) | opentill-edge | ratio |");
    println!("|---|---:|---:|---:|");
    println!("| messages published | {base_sent} | {agent_sent} | |");
    println!("| messages received / handled | {} | {handled_timed} | |", base.len());
    println!("| handled per second | {base_rate:.0} | {agent_rate:.0} | {:.2} |", agent_rate / base_rate.max(1.0));
    println!("| p50 publish → handled | {} ms | {} ms | |", percentile(&base, 0.5), show(p50));
    println!("| p99 publish → handled | {} ms | {} ms | {:.1}× |", percentile(&base, 0.99), show(p99), p99.unwrap_or(0) as f64 / percentile(&base, 0.99).max(1) as f64);
    println!("| max publish → handled | {} ms | {} ms | |", base.last().copied().unwrap_or(0), show(max));
    println!("| p99 incl. connecting and announcing | | {} ms | |", metrics["latency_p99_ms"]);
    println!("| backlog when publishing stopped | | {} | |", expected.saturating_sub(handled_at_end));
    println!("| time to drain it | | {drain_secs:.1} s | |");
    println!("| agent peak RSS (VmHWM) | | {:.1} MiB | |", rss_kib as f64 / 1024.0);
    println!("| broker peak RSS (VmHWM) | {:.1} MiB | {:.1} MiB | |", base_broker_rss_kib as f64 / 1024.0, broker_rss_kib as f64 / 1024.0);
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({
            "devices": devices, "rate_per_device": rate, "secs": secs, "agent_broker": broker,
            "baseline": {"published": base_sent, "received": base.len(), "per_sec": base_rate, "p50_ms": percentile(&base, 0.5), "p99_ms": percentile(&base, 0.99), "broker_peak_rss_kib": base_broker_rss_kib},
            "agent": {"published": agent_sent, "handled": handled_timed, "per_sec": agent_rate, "p50_ms": p50, "p99_ms": p99, "max_ms": max, "p99_ms_with_warmup": metrics["latency_p99_ms"],
                      "backlog_at_end": expected.saturating_sub(handled_at_end), "drain_secs": drain_secs, "peak_rss_kib": rss_kib, "broker_peak_rss_kib": broker_rss_kib, "rejected": metrics["rejected"]},
        }))?,
    )?;
    println!("\nwrote {}", out.display());
    Ok(())
}
