//! The MQTT side of `serve`: the embedded broker (rumqttd, run as a child process) and the device bridge, an MQTT
//! client (rumqttc) that turns device messages into till calls.
//!
//! Store-and-forward: a device's message is acknowledged (MQTT PUBACK) only after what it
//! caused is committed to the replica and the answers are handed to the client. The
//! session is persistent (clean session off), so a message received but not yet
//! acknowledged when the agent dies is delivered again when it reconnects, and the till's
//! handlers give the same answer to the same message id.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use opentill_hardware::contract::{self, ContractError, Inbound};
use opentill_till::devices::DeviceStats;
use opentill_till::Till;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tracing::{debug, error, info, warn};

/// Where the agent's broker is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MqttMode {
    /// No MQTT at all.
    Off,
    /// Run rumqttd (`opentill-edge broker`, a child process), listening on this address.
    Embedded(SocketAddr),
    /// Connect to an external broker (Mosquitto, say).
    External {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// `user:password` for the agent's own account.
        credentials: Option<(String, String)>,
        /// `mqtts://`: TLS, the broker's certificate checked against `serve --mqtt-ca`.
        tls: bool,
    },
}

/// Reads `off`, `embedded:PORT`, `embedded:HOST:PORT`, `mqtt://[user:pass@]host:port`,
/// `mqtts://[user:pass@]host:port`.
pub fn parse_mode(text: &str) -> Result<MqttMode, String> {
    let bad = || format!("`{text}` is not `off`, `embedded:PORT`, `embedded:HOST:PORT`, `mqtt://[user:password@]host:port` or `mqtts://[user:password@]host:port`");
    if text == "off" {
        return Ok(MqttMode::Off);
    }
    if let Some(rest) = text.strip_prefix("embedded:") {
        let addr = if rest.contains(':') { rest.to_string() } else { format!("0.0.0.0:{rest}") };
        return addr.parse().map(MqttMode::Embedded).map_err(|_| bad());
    }
    let (tls, rest) = match (text.strip_prefix("mqtt://"), text.strip_prefix("mqtts://")) {
        (Some(rest), _) => (false, Some(rest)),
        (_, Some(rest)) => (true, Some(rest)),
        _ => (false, None),
    };
    if let Some(rest) = rest {
        let (credentials, hostport) = match rest.rsplit_once('@') {
            Some((cred, hp)) => {
                let (u, p) = cred.split_once(':').ok_or_else(bad)?;
                (Some((u.to_string(), p.to_string())), hp)
            }
            None => (None, rest),
        };
        let default_port = if tls { 8883 } else { 1883 };
        let (host, port) = hostport.rsplit_once(':').map_or((hostport, Some(default_port)), |(h, p)| (h, p.parse().ok()));
        let port = port.ok_or_else(bad)?;
        if host.is_empty() {
            return Err(bad());
        }
        return Ok(MqttMode::External { host: host.to_string(), port, credentials, tls });
    }
    Err(bad())
}

/// The biggest packet the broker and the bridge accept. Bigger than the contract's limit
/// so that an oversized device message reaches the bridge and is refused with a reason,
/// instead of dropping the bridge's connection.
const MAX_PACKET: usize = 256 * 1024;

/// The certificate authorities `mqtts://` trusts: the PEM file given, or the system's
/// bundle. rustls is told to use *ring* for its cryptography.
pub fn load_ca(path: Option<&std::path::Path>) -> anyhow::Result<Vec<u8>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let path = path.unwrap_or(std::path::Path::new("/etc/ssl/certs/ca-certificates.crt"));
    let pem = std::fs::read(path).with_context(|| format!("cannot read the MQTT CA certificates {} (set --mqtt-ca)", path.display()))?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        bail!("{} holds no PEM certificate", path.display());
    }
    Ok(pem)
}

/// rumqttd's configuration: the same for `opentill-edge broker` and the benchmark's baseline.
fn broker_config(addr: SocketAddr) -> rumqttd::Config {
    let connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 10_000,
        max_payload_size: MAX_PACKET,
        max_inflight_count: 500,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let server = rumqttd::ServerSettings { name: "v4".into(), listen: addr, tls: None, next_connection_delay_ms: 1, connections };
    rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 2_000,
            max_outgoing_packet_count: 1_000,
            // rumqttd keeps what it routed in memory, per subscription, until the oldest
            // segment is dropped: 8 × 1 MiB bounds that (about 80,000 readings behind).
            max_segment_size: 1024 * 1024,
            max_segment_count: 8,
            ..Default::default()
        },
        v4: Some(HashMap::from([("v4".to_string(), server)])),
        ..Default::default()
    }
}

/// Waits up to `patience` for `addr` to be free: a broker of the agent's that was just
/// killed may hold the port for a moment.
fn wait_until_free(addr: SocketAddr, patience: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + patience;
    loop {
        match TcpListener::bind(addr) {
            Ok(listener) => {
                drop(listener);
                return Ok(());
            }
            Err(e) if Instant::now() > deadline => return Err(e).with_context(|| format!("MQTT port {addr} is not free")),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// `opentill-edge broker`: runs rumqttd in this process until it ends (it has no shutdown).
/// With `parent` (the agent that started it), it asks the kernel to kill it when that
/// agent ends, and ends at once if the agent is already gone.
pub fn run_broker(addr: SocketAddr, parent: Option<u32>) -> anyhow::Result<()> {
    if let Some(parent) = parent {
        die_with_parent(parent)?;
    }
    // rumqttd logs, and carries on, when its port is taken: find out first.
    wait_until_free(addr, Duration::from_secs(3))?;
    info!(%addr, "MQTT broker listening");
    rumqttd::Broker::new(broker_config(addr)).start().context("the MQTT broker stopped")?;
    Ok(())
}

/// The embedded broker of `serve --mqtt embedded:…`: `opentill-edge broker` as a child
/// process, so that rumqttd's memory (about 100 KiB a connection) and any crash of it
/// stay out of the agent. A supervisor thread starts it again when it ends, and the
/// kernel kills it when the agent ends (Linux: the broker sets its parent-death signal),
/// so no broker outlives its agent. Returns once the broker listens.
pub fn spawn_embedded(addr: SocketAddr) -> anyhow::Result<()> {
    wait_until_free(addr, Duration::from_secs(3))?;
    let exe = std::env::current_exe().context("finding opentill-edge to start the broker")?;
    let (started, first) = std::sync::mpsc::channel::<std::io::Result<u32>>();
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || supervise_broker(&exe, addr, &started))
        .context("starting the broker's supervisor thread")?;
    let pid = first.recv().context("the broker's supervisor ended")?.context("starting the MQTT broker process")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !is_listening(addr) {
        if Instant::now() > deadline {
            bail!("the embedded MQTT broker (process {pid}) did not start on {addr}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    info!(%addr, pid, "embedded MQTT broker listening");
    Ok(())
}

#[cfg(target_os = "linux")]
fn die_with_parent(parent: u32) -> anyhow::Result<()> {
    use rustix::process::{Signal, getppid, set_parent_process_death_signal};
    set_parent_process_death_signal(Some(Signal::KILL)).context("prctl(PR_SET_PDEATHSIG)")?;
    // The agent may have ended before the signal was asked for.
    if getppid().map(|p| p.as_raw_nonzero().get()) != Some(parent as i32) {
        bail!("the agent that started this broker (process {parent}) has ended");
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_parent: u32) -> anyhow::Result<()> {
    Ok(())
}

/// Whether something listens on `addr`: it can no longer be bound. (Connecting to find
/// out would make rumqttd log the probe's disconnection as an error.)
fn is_listening(addr: SocketAddr) -> bool {
    TcpListener::bind(addr).is_err()
}

/// Starts the broker process, waits for it, and starts it again when it ends: after 1 s,
/// doubling to 30 s while it keeps failing within a minute. Runs for the life of the
/// agent; the broker's parent-death signal is tied to this thread, which never ends.
fn supervise_broker(exe: &std::path::Path, addr: SocketAddr, started: &std::sync::mpsc::Sender<std::io::Result<u32>>) {
    let mut backoff = Duration::from_secs(1);
    for attempt in 0u64.. {
        let mut command = std::process::Command::new(exe);
        command.args(["broker", "--listen", &addr.to_string(), "--parent", &std::process::id().to_string()]).stdin(std::process::Stdio::null());
        let began = Instant::now();
        let status = match command.spawn() {
            Ok(mut child) => {
                let _ = started.send(Ok(child.id()));
                child.wait()
            }
            Err(e) if attempt == 0 => {
                let _ = started.send(Err(e));
                return;
            }
            Err(e) => Err(e),
        };
        match status {
            Ok(status) => error!(%status, "the embedded MQTT broker ended; starting it again"),
            Err(e) => error!(error = %e, "cannot run the embedded MQTT broker; trying again"),
        }
        backoff = if began.elapsed() > Duration::from_secs(60) { Duration::from_secs(1) } else { backoff };
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// Connects the device bridge and runs it forever (it reconnects on its own).
pub async fn run_bridge(host: String, port: u16, credentials: Option<(String, String)>, tls_ca: Option<Vec<u8>>, shrink_window: Duration, till: Arc<Mutex<Till>>, stats: Arc<DeviceStats>) {
    let store = lock(&till).replica().settings().store_id.clone();
    // Two connections: one receives and acknowledges device messages, the other publishes
    // commands, labels and alerts. On one connection, acknowledgements queue behind
    // publishes waiting for the broker's PUBACK while the broker waits for those very
    // acknowledgements before it sends anything more (with a thousand retained labels
    // at start, rumqttd then stopped serving the agent altogether).
    let connect = |suffix: &str| {
        let mut options = MqttOptions::new(format!("opentill-agent-{store}{suffix}"), host.clone(), port);
        options.set_keep_alive(Duration::from_secs(10)).set_clean_session(false).set_manual_acks(true).set_max_packet_size(MAX_PACKET, MAX_PACKET).set_inflight(100);
        if let Some((user, password)) = &credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        if let Some(ca) = &tls_ca {
            options.set_transport(rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Simple { ca: ca.clone(), alpn: None, client_auth: None }));
        }
        AsyncClient::new(options, 1_000)
    };
    let (client, mut eventloop) = connect("");
    let (publisher, mut publisher_loop) = connect("-out");
    tokio::spawn(async move {
        loop {
            match publisher_loop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => info!("agent publisher connected"),
                Ok(_) => {}
                Err(e) => {
                    warn!(error = %e, "MQTT publisher connection lost; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<rumqttc::Publish>();
    let subscription = contract::subscription(&store);
    let poller = client.clone();
    let link = stats.clone();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if tx.send(p).is_err() {
                        return;
                    }
                }
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    info!(session_present = ack.session_present, "device bridge connected");
                    if let Err(e) = poller.try_subscribe(subscription.clone(), QoS::AtLeastOnce) {
                        error!(error = %e, "cannot subscribe");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => link.set_connected(true),
                Ok(_) => {}
                Err(e) => {
                    link.set_connected(false);
                    warn!(error = %e, "MQTT connection lost; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
    // E-paper labels: every slot's label at start (retained), then each one whose price
    // or slot changed, whoever changed it (this process, a CLI import, a sync).
    let labels = till.clone();
    let label_client = publisher.clone();
    tokio::spawn(async move {
        let mut cursor = opentill_till::devices::LabelCursor::default();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            let till = labels.clone();
            let mut next = cursor.clone();
            let found = tokio::task::spawn_blocking(move || lock(&till).shelf_labels_since(&mut next).map(|out| (out, next))).await;
            match found {
                Ok(Ok((out, newest))) => {
                    for msg in out {
                        if let Err(e) = label_client.publish(msg.topic, QoS::AtLeastOnce, true, msg.payload).await {
                            error!(error = %e, "cannot publish a shelf label");
                        }
                    }
                    cursor = newest;
                }
                Ok(Err(e)) => error!(error = %e, "cannot read shelf labels"),
                Err(e) => error!(error = %e, "shelf label task failed"),
            }
        }
    });
    // Once a second: release vend holds whose machine went silent, look for shrink and
    // for stock at or under its reorder level.
    let sweeper = till.clone();
    let alert_client = publisher.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let till = sweeper.clone();
            let alerts = tokio::task::spawn_blocking(move || {
                let mut till = lock(&till);
                if let Err(e) = till.expire_vends() {
                    error!(error = %e, "cannot release expired vend holds");
                }
                let mut alerts = till.check_shrink(shrink_window.as_millis() as i64).unwrap_or_else(|e| {
                    error!(error = %e, "cannot check shelves for shrink");
                    Vec::new()
                });
                alerts.extend(till.check_low_stock().unwrap_or_else(|e| {
                    error!(error = %e, "cannot check stock against reorder levels");
                    Vec::new()
                }));
                alerts
            })
            .await
            .unwrap_or_default();
            for msg in alerts {
                if let Err(e) = alert_client.publish(msg.topic, QoS::AtLeastOnce, false, msg.payload).await {
                    error!(error = %e, "cannot publish an alert");
                }
            }
        }
    });
    // Group commit: whatever arrived while the last burst was being written is handled
    // as the next burst, in one transaction and one fsync, then answered and acknowledged.
    let mut burst: Vec<rumqttc::Publish> = Vec::with_capacity(MAX_BURST);
    while let Some(first) = rx.recv().await {
        burst.push(first);
        while burst.len() < MAX_BURST {
            match rx.try_recv() {
                Ok(p) => burst.push(p),
                Err(_) => break,
            }
        }
        handle_burst(&store, &till, &client, &publisher, &stats, std::mem::take(&mut burst)).await;
    }
}

/// A burst that takes longer than this is logged.
const SLOW_BURST: Duration = Duration::from_millis(100);

/// The most device messages written in one transaction.
const MAX_BURST: usize = 512;

async fn handle_burst(store: &str, till: &Arc<Mutex<Till>>, client: &AsyncClient, publisher: &AsyncClient, stats: &DeviceStats, burst: Vec<rumqttc::Publish>) {
    // Check every message against the contract first, outside the lock.
    let mut checked = Vec::with_capacity(burst.len());
    let mut refused = Vec::new();
    let mut own = Vec::new();
    for p in burst {
        if contract::is_agent_topic(store, &p.topic) {
            // Our own commands, acks, labels and alerts, seen through the store-wide
            // subscription.
            own.push(p);
            continue;
        }
        stats.receive();
        match contract::parse_inbound(store, &p.topic, &p.payload) {
            Ok(inbound) => {
                debug!(device = inbound.device, id = inbound.id, "device message");
                checked.push((p, inbound));
            }
            Err(e) => {
                let e: ContractError = e;
                warn!(topic = p.topic, reason = e.reason(), why = %e, "device message refused");
                stats.reject(e.reason());
                refused.push(p);
            }
        }
    }
    for p in own.iter().chain(&refused) {
        if let Err(e) = client.ack(p).await {
            error!(error = %e, "cannot acknowledge");
        }
    }
    if checked.is_empty() {
        return;
    }
    let (publishes, inbound): (Vec<rumqttc::Publish>, Vec<Inbound>) = checked.into_iter().unzip();
    let sent: Vec<i64> = inbound.iter().map(|m| m.ts).collect();
    // Network scans go on to the tills once the scanner is known to be registered.
    let scans: Vec<Option<opentill_till::devices::NetworkScan>> = inbound
        .iter()
        .map(|m| match &m.body {
            contract::Body::Scan { code } => Some(opentill_till::devices::NetworkScan { scanner: m.device.clone(), id: m.id.clone(), code: code.clone() }),
            _ => None,
        })
        .collect();
    let shared = till.clone();
    let n = inbound.len();
    let started = Instant::now();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut till = lock(&shared);
        let locked = started.elapsed();
        (till.on_device_messages(&inbound), locked)
    })
    .await
    .map(|(result, locked)| {
        if started.elapsed() > SLOW_BURST {
            warn!(n, waited_ms = locked.as_millis() as u64, total_ms = started.elapsed().as_millis() as u64, "slow burst of device messages");
        }
        result
    });
    let results = match outcome {
        Ok(Ok(results)) => results,
        Ok(Err(e)) => {
            // Nothing of the burst is on disk: acknowledge nothing, the broker delivers
            // it all again after a reconnect.
            error!(error = %e, n = publishes.len(), "device messages not stored; not acknowledged");
            for _ in &publishes {
                stats.reject("storage");
            }
            return;
        }
        Err(e) => {
            error!(error = %e, "device message handler failed; not acknowledged");
            return;
        }
    };
    let now = opentill_hardware::mqtt_sim::now_ms();
    for (((p, result), sent_ms), scan) in publishes.iter().zip(results).zip(sent).zip(scans) {
        match result {
            Ok(out) => {
                if let Some(scan) = scan {
                    stats.scanned(scan);
                }
                for msg in out {
                    if let Err(e) = publisher.publish(msg.topic.clone(), QoS::AtLeastOnce, msg.retain, msg.payload).await {
                        error!(error = %e, topic = msg.topic, "cannot publish");
                    }
                }
                stats.handle(sent_ms, now);
            }
            Err(e) => match e.kind() {
                "storage" | "not_initialized" => {
                    // Not acknowledged: the broker delivers it again after a reconnect.
                    error!(error = %e, topic = p.topic, "device message not stored; not acknowledged");
                    stats.reject("storage");
                    continue;
                }
                kind => {
                    let reason = if kind == "unknown_device" { "unknown_device" } else { "refused" };
                    warn!(topic = p.topic, reason, why = %e, "device message refused");
                    stats.reject(reason);
                }
            },
        }
        if let Err(e) = client.ack(p).await {
            error!(error = %e, "cannot acknowledge");
        }
    }
}

fn lock(till: &Arc<Mutex<Till>>) -> std::sync::MutexGuard<'_, Till> {
    till.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(parse_mode("off"), Ok(MqttMode::Off));
        assert_eq!(parse_mode("embedded:1883"), Ok(MqttMode::Embedded("0.0.0.0:1883".parse().unwrap())));
        assert_eq!(parse_mode("embedded:127.0.0.1:2883"), Ok(MqttMode::Embedded("127.0.0.1:2883".parse().unwrap())));
        assert_eq!(parse_mode("mqtt://broker.lan:1884"), Ok(MqttMode::External { host: "broker.lan".into(), port: 1884, credentials: None, tls: false }));
        assert_eq!(parse_mode("mqtt://agent:s3cret@10.0.0.2:1883"), Ok(MqttMode::External { host: "10.0.0.2".into(), port: 1883, credentials: Some(("agent".into(), "s3cret".into())), tls: false }));
        assert_eq!(parse_mode("mqtts://broker.lan"), Ok(MqttMode::External { host: "broker.lan".into(), port: 8883, credentials: None, tls: true }));
        for bad in ["", "embedded:", "embedded:x", "mqtt://", "mqtt://h:port", "tcp://h:1"] {
            assert!(parse_mode(bad).is_err(), "{bad}");
        }
    }
}
