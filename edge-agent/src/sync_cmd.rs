//! `opentill-edge sync`: enrol this node with a cloud, push its journal, show where
//! replication stands. The protocol itself lives in `opentill_sync::protocol` and the
//! push loop in `opentill_sync::push`; this file is the HTTP transport and the output.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use opentill_core::i18n::Lang;
use opentill_sync::{BalanceSnapshot, Replica, SnapshotOutcome};
use opentill_sync::protocol::{Message, enrol_message, normalize_code};
use opentill_sync::docs::{CATALOG, SHARED};
use opentill_sync::push::{DocSyncReport, PushError, PushProgress, push, sync_docs};

use crate::cli::DataArg;

/// `sync`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Enrol this node with a cloud using a one-time code (from `opentill-cloud enrol-code`).
    Enroll {
        #[command(flatten)]
        data: DataArg,
        /// The cloud's base URL, e.g. http://cloud.example:8787.
        #[arg(long)]
        cloud: String,
        /// The one-time code.
        #[arg(long)]
        code: String,
    },
    /// Send the journal entries the cloud does not hold yet; resumes where the last push stopped.
    Push {
        #[command(flatten)]
        data: DataArg,
        /// Entries per batch (1 to 10000).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        batch: u64,
    },
    /// Change a price in the shared catalog from this store: this store's own price by
    /// default, the central price of every store with `--central`. Applied here at once
    /// (till and shelf labels) and merged with the cloud on the next sync; concurrent
    /// edits elsewhere are settled by hybrid logical clock (the later edit wins).
    Price {
        #[command(flatten)]
        data: DataArg,
        /// The SKU.
        #[arg(long)]
        sku: String,
        /// The price as on a shelf (`12.50`).
        #[arg(long, required_unless_present = "clear")]
        price: Option<String>,
        /// Change the central price instead of this store's own.
        #[arg(long, conflicts_with = "clear")]
        central: bool,
        /// Remove this store's own price, so the central price applies again.
        #[arg(long, conflicts_with = "price")]
        clear: bool,
    },
    /// How much of this node's journal the cloud holds.
    Status {
        #[command(flatten)]
        data: DataArg,
        /// Only what this node recorded; do not ask the cloud.
        #[arg(long)]
        offline: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: StatusFormat,
    },
}

/// `sync status --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// A refused or failed HTTP exchange.
#[derive(Debug)]
pub struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_connect(Some(Duration::from_secs(5))).timeout_global(Some(timeout)).build().into()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// POSTs `body` and returns the reply body, or the cloud's `{kind, message}` as an error.
fn post(agent: &ureq::Agent, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, HttpError> {
    let mut response = agent.post(url).header("content-type", content_type).send(body).map_err(|e| HttpError(format!("{url}: {e}")))?;
    let status = response.status().as_u16();
    let bytes = response.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| HttpError(format!("{url}: reading the reply: {e}")))?;
    if status == 200 {
        return Ok(bytes);
    }
    let detail = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .map(|v| format!("[{}] {}", v["kind"].as_str().unwrap_or("?"), v["message"].as_str().unwrap_or("")))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
    Err(HttpError(format!("cloud refused ({status}): {detail}")))
}

fn cloud_url(replica: &Replica) -> anyhow::Result<String> {
    replica.sync_state()?.cloud_url.context("this node is not enrolled with a cloud: run `opentill-edge sync enroll --cloud URL --code CODE` first")
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 { format!("{:.1} MiB", n as f64 / (1 << 20) as f64) } else { format!("{:.1} KiB", n as f64 / 1024.0) }
}

/// Runs a `sync` command.
pub fn run(command: SyncCommand, lang: Lang) -> anyhow::Result<()> {
    match command {
        SyncCommand::Enroll { data, cloud, code } => enroll(&data.data, cloud.trim_end_matches('/'), &code, lang),
        SyncCommand::Push { data, batch } => push_cmd(&data.data, batch, lang),
        SyncCommand::Status { data, offline, format } => status(&data.data, offline, format, lang),
        SyncCommand::Price { data, sku, price, central, clear } => price_cmd(&data.data, &sku, price.as_deref(), central, clear, lang),
    }
}

fn enroll(data: &Path, cloud: &str, code: &str, lang: Lang) -> anyhow::Result<()> {
    let mut replica = Replica::open(data)?;
    let settings = replica.settings().clone();
    let public_key = replica.public_key().to_bytes();
    let code = normalize_code(code);
    let signature = replica.sign(&enrol_message(&code, &settings.store_id, &settings.node_id, &public_key));
    let request = serde_json::json!({
        "code": code, "store_id": settings.store_id, "node_id": settings.node_id,
        "public_key": hex_encode(&public_key), "signature": hex_encode(&signature),
    });
    let reply = post(&agent(Duration::from_secs(30)), &format!("{cloud}/v1/enrol"), "application/json", request.to_string().as_bytes())?;
    let reply: serde_json::Value = serde_json::from_slice(&reply).context("the cloud's enrolment reply is not JSON")?;
    replica.record_enrolment(cloud, now_ms())?;
    // Enrolled through the store's edge agent: it carries this node's journal from now on.
    if let (Some(via), Some(key)) = (reply["via"]["node_id"].as_str(), reply["via"]["public_key"].as_str()) {
        let key: [u8; 32] = hex::decode(key).ok().and_then(|k| k.try_into().ok()).context("the edge agent's key in the enrolment reply is malformed")?;
        replica.set_carrier(via, &key)?;
        println!("{} {via}", lang.pick("经由门店边缘代理同步：", "syncs through the store's edge agent:"));
    }
    println!(
        "{} {}/{} → {} ({} {} / {} {})",
        lang.pick("已注册：", "enrolled:"),
        settings.store_id,
        settings.node_id,
        cloud,
        lang.pick("租户", "tenant"),
        reply["tenant"].as_str().unwrap_or("?"),
        lang.pick("品牌", "brand"),
        reply["brand"].as_str().unwrap_or("?"),
    );
    Ok(())
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn push_cmd(data: &Path, batch: u64, lang: Lang) -> anyhow::Result<()> {
    let mut replica = Replica::open(data)?;
    let url = format!("{}/v1/sync", cloud_url(&replica)?);
    let agent = agent(Duration::from_secs(120));
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut last_line = Instant::now() - Duration::from_secs(1);
    let mut print_progress = |p: &PushProgress| {
        let total = p.head_seq - p.start_seq;
        let done = p.acked_seq - p.start_seq;
        // A catch-up of thousands of entries prints as it goes; a small push prints once.
        if total == 0 || (tty && last_line.elapsed() < Duration::from_millis(100) && done < total) {
            return;
        }
        last_line = Instant::now();
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        let line = format!("{} {done}/{total} ({pct}%), {} {}", lang.pick("推送", "pushed"), human_bytes(p.bytes_sent), lang.pick("已发送", "sent"));
        if tty {
            eprint!("\r{line}");
            if done == total {
                eprintln!();
            }
        } else {
            eprintln!("{line}");
        }
    };
    let result = push(&mut replica, batch, now_ms, |bytes| post(&agent, &url, "application/octet-stream", &bytes), &mut print_progress);
    match result {
        Ok(p) => {
            let secs = started.elapsed().as_secs_f64();
            let holder = if replica.carrier()?.is_some() { lang.pick("边缘代理已有", "edge agent holds") } else { lang.pick("云端已有", "cloud holds") };
            println!(
                "{} {} {}, {} {} ({} {}, {:.2} s)",
                holder,
                p.acked_seq,
                lang.pick("条记录", "entries"),
                p.acked_seq - p.start_seq,
                lang.pick("条为本次推送", "new this push"),
                human_bytes(p.bytes_sent),
                lang.pick("已发送", "sent"),
                secs
            );
            match docs_sync(&mut replica, &agent) {
                Ok(reports) => reports.iter().for_each(|r| println!("{}", doc_line(r, lang))),
                Err(e) => bail!("{}: {e}", lang.pick("共享文档同步失败（日志已推送）", "shared documents sync failed (the journal was pushed)")),
            }
            relay_step(&mut replica, &agent, batch, lang, true)?;
            match balances_step(&mut replica, &agent) {
                Err(e) => eprintln!("{}: {e:#}", lang.pick("未取得储值余额快照（下次同步再试）", "no stored-value snapshot (the next sync tries again)")),
                Ok(SnapshotOutcome::Applied) => {
                    let s = replica.balance_snapshot()?.context("a snapshot was just kept")?;
                    println!(
                        "{} {} {}, {} {}, {} ¥{}.{:02}",
                        lang.pick("储值余额快照：", "stored-value snapshot:"),
                        s.accounts,
                        lang.pick("个账户在其他门店有往来", "accounts moved in other stores"),
                        s.members,
                        lang.pick("位会员在其他门店有消费或积分", "members with spend or points in other stores"),
                        lang.pick("离线额度", "offline allowance"),
                        s.allowance_minor / 100,
                        s.allowance_minor % 100
                    );
                }
                Ok(SnapshotOutcome::Behind { node, needed, held }) => println!(
                    "{} {node} {needed} ({} {held}); {}",
                    lang.pick("储值余额快照暂不采用：云端已有", "stored-value snapshot not kept yet: the cloud holds"),
                    lang.pick("本机只有", "here only"),
                    lang.pick("下次同步再试", "the next sync tries again")
                ),
                Ok(SnapshotOutcome::Older) => {}
            }
            match transfers_step(&mut replica, &agent) {
                Ok(new) => {
                    let open = replica.transfers()?.iter().filter(|t| matches!(t.state, opentill_core::transfer::State::Requested | opentill_core::transfer::State::InTransit)).count();
                    println!("{} {new}, {} {open}", lang.pick("调拨：其他门店新动态", "transfers: new steps from other stores"), lang.pick("未完成", "open"));
                }
                Err(e) => eprintln!("{}: {e:#}", lang.pick("未取得调拨单（下次同步再试）", "no transfers (the next sync tries again)")),
            }
            match o2o_step(&mut replica, &agent) {
                Ok(new) => {
                    let open = replica.o2o_orders()?.iter().filter(|o| !o.state.is_final()).count();
                    println!("{} {new}, {} {open}", lang.pick("线上订单：新增或取消", "online orders: new or cancelled"), lang.pick("待处理", "open"));
                }
                Err(e) => eprintln!("{}: {e:#}", lang.pick("未取得线上订单（下次同步再试）", "no online orders (the next sync tries again)")),
            }
            match pull_revocations(data) {
                Ok(Some(new)) if new > 0 => println!("{} {new}", lang.pick("总部新停用的会员码：", "member passes newly revoked by head office:")),
                Ok(_) => {}
                Err(e) => eprintln!("{}: {e:#}", lang.pick("未取得停用的会员码（下次同步再试）", "no revoked member passes (the next sync tries again)")),
            }
            Ok(())
        }
        Err(PushError::Transport(e)) => {
            let state = replica.sync_state()?;
            bail!(
                "{}: {e} ({} {}/{}; {})",
                lang.pick("推送中断", "push interrupted"),
                lang.pick("云端已确认", "cloud acknowledged"),
                state.acked_seq,
                state.head_seq,
                lang.pick("再次运行 `sync push` 即可从此处继续", "run `sync push` again to resume from there")
            )
        }
        Err(e) => Err(e.into()),
    }
}

fn status(data: &Path, offline: bool, format: StatusFormat, lang: Lang) -> anyhow::Result<()> {
    let mut replica = Replica::open(data)?;
    let docs = SHARED.iter().map(|d| replica.doc_status(d, CLOUD_PEER)).collect::<Result<Vec<_>, _>>()?;
    let carrier = replica.carrier()?;
    let peers = replica.peers()?;
    let journals = replica.journal_heads()?;
    let state = replica.sync_state()?;
    let settings = replica.settings();
    // Ask the cloud what it holds, unless told not to or not enrolled.
    let cloud: Option<Result<u64, String>> = match (&state.cloud_url, offline) {
        (Some(url), false) => {
            let hello = Message::Hello(replica.sync_hello(now_ms())?).encode();
            Some(match post(&agent(Duration::from_secs(10)), &format!("{url}/v1/sync"), "application/octet-stream", &hello) {
                Ok(reply) => match Message::decode(&reply) {
                    Ok(Message::Ack(ack)) => Ok(ack.acked_seq),
                    Ok(_) => Err("unexpected reply".to_string()),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e.to_string()),
            })
        }
        _ => None,
    };
    let now = now_ms();
    let snapshot = replica.balance_snapshot()?;
    if format == StatusFormat::Json {
        let json = serde_json::json!({
            "store_id": settings.store_id, "node_id": settings.node_id,
            "cloud_url": state.cloud_url, "enrolled_ms": state.enrolled_ms,
            "head_seq": state.head_seq, "acked_seq": state.acked_seq, "pending": state.pending(), "pushed_ms": state.pushed_ms,
            "cloud_acked_seq": cloud.as_ref().and_then(|c| c.as_ref().ok()),
            "cloud_error": cloud.as_ref().and_then(|c| c.as_ref().err()),
            "documents": docs.iter().map(|d| serde_json::json!({ "name": d.name, "epoch": d.epoch, "heads": d.heads, "synced_ms": d.synced_ms, "increments": d.n_increments, "bytes": d.n_bytes })).collect::<Vec<_>>(),
            "carrier": carrier.as_ref().map(|(node, _)| node),
            "journals": journals.iter().map(|(node, (seq, hash))| json_journal(node, *seq, hash, &peers)).collect::<Vec<_>>(),
            "balances": snapshot.as_ref().map(|s| serde_json::json!({ "as_of_ms": s.as_of_ms, "allowance_minor": s.allowance_minor, "own_held_seq": s.own_held_seq, "accounts": s.accounts, "members": s.members })),
        });
        println!("{json}");
        return Ok(());
    }
    println!("{} {}/{}", lang.pick("节点", "node"), settings.store_id, settings.node_id);
    let Some(url) = &state.cloud_url else {
        println!("{}", lang.pick("未注册到云端（opentill-edge sync enroll --cloud URL --code CODE）", "not enrolled with a cloud (opentill-edge sync enroll --cloud URL --code CODE)"));
        println!("{} {}", lang.pick("本地日志：", "local journal:"), state.head_seq);
        return Ok(());
    };
    let via_edge = carrier.is_some();
    let (upstream, upstream_zh) = if via_edge { ("the edge agent", "边缘代理") } else { ("the cloud", "云端") };
    println!("{} {url}", lang.pick(if via_edge { "边缘代理" } else { "云端" }, if via_edge { "edge agent" } else { "cloud" }));
    println!("{} {}", lang.pick("本地日志：", "local journal:"), state.head_seq);
    let ago = state.pushed_ms.map(|t| format!(" ({} s {})", (now - t).max(0) / 1000, lang.pick("前", "ago"))).unwrap_or_default();
    println!("{} {}{ago}", lang.pick(&format!("{upstream_zh}已确认："), &format!("acknowledged by {upstream}:")), state.acked_seq);
    println!("{} {}", lang.pick("待推送：", "pending:"), state.pending());
    match cloud {
        Some(Ok(held)) => {
            let verdict = if held >= state.head_seq { lang.pick("已同步", "in sync") } else { lang.pick("落后", "behind") };
            let label = if carrier.is_some() { lang.pick("边缘代理现有：", "edge agent holds now:") } else { lang.pick("云端现有：", "cloud holds now:") };
            println!("{label} {held} ({verdict})");
        }
        Some(Err(e)) => println!("{} {e}", lang.pick(&format!("{upstream_zh}不可达："), &format!("{upstream} unreachable:"))),
        None => {}
    }
    for doc in &docs {
        let synced = doc.synced_ms.map(|t| format!("{} s {}", (now - t).max(0) / 1000, lang.pick("前", "ago"))).unwrap_or_else(|| lang.pick("从未", "never").to_string());
        println!(
            "{} {}{} {} {}, {} {} ({} {})",
            doc_label(&doc.name, lang),
            if doc.epoch > 1 { format!("{} {} · ", lang.pick("纪元", "epoch"), doc.epoch) } else { String::new() },
            lang.pick("版本", "heads"),
            short_heads(&doc.heads),
            lang.pick("上次同步", "last synced"),
            synced,
            human_bytes(doc.n_bytes as u64),
            doc.n_increments,
            lang.pick("个增量", "increments"),
        );
    }
    match &snapshot {
        Some(s) => println!(
            "{} {} s {}, {} {}, {} {}, {} ¥{}.{:02}",
            lang.pick("储值余额快照：", "stored-value snapshot:"),
            (now - s.as_of_ms).max(0) / 1000,
            lang.pick("前", "ago"),
            s.accounts,
            lang.pick("个账户在其他门店有往来", "accounts moved in other stores"),
            s.members,
            lang.pick("位会员在其他门店有消费或积分", "members with spend or points in other stores"),
            lang.pick("本机离线额度（每账户）", "this till's offline allowance per account"),
            s.allowance_minor / 100,
            s.allowance_minor % 100
        ),
        None => println!("{}", lang.pick("储值余额快照：尚无（离线额度按默认 ¥500）", "stored-value snapshot: none yet (offline allowance at the default ¥500)")),
    }
    if let Some((node, _)) = &carrier {
        println!("{} {node}", lang.pick("经由边缘代理：", "through edge agent:"));
    }
    if journals.len() > 1 {
        println!("{}", lang.pick("本机持有的门店日志：", "store journals held here:"));
        for (node, (seq, hash)) in &journals {
            let peer = peers.iter().find(|p| &p.node_id == node);
            let upstream = match peer {
                Some(p) if carrier.is_none() => format!(", {} {}", lang.pick("云端已确认", "cloud acknowledged"), p.upstream_seq),
                _ => String::new(),
            };
            let heard = peer.and_then(|p| p.heard_ms).map(|t| format!(", {} {} s {}", lang.pick("上次联系", "last heard"), (now - t).max(0) / 1000, lang.pick("前", "ago"))).unwrap_or_default();
            println!("  {node}: {seq} ({}){upstream}{heard}", &hex::encode(hash)[..8]);
        }
    }
    Ok(())
}

fn json_journal(node: &str, seq: u64, hash: &[u8; 32], peers: &[opentill_sync::PeerJournal]) -> serde_json::Value {
    let peer = peers.iter().find(|p| p.node_id == node);
    serde_json::json!({ "node_id": node, "held_seq": seq, "head_hash": hex::encode(hash), "upstream_seq": peer.map(|p| p.upstream_seq), "heard_ms": peer.and_then(|p| p.heard_ms) })
}

/// The store's other journals: a till fetches them from its edge agent; an edge agent
/// carries its tills' journals to the cloud. `print` says what happened.
fn relay_step(replica: &mut Replica, agent: &ureq::Agent, batch: u64, lang: Lang, print: bool) -> anyhow::Result<()> {
    let url = format!("{}/v1/sync", cloud_url(replica)?);
    if replica.carrier()?.is_some() {
        let report = opentill_sync::relay::fetch(replica, now_ms, |bytes| post(agent, &url, "application/octet-stream", &bytes))
            .map_err(|e| anyhow::anyhow!("{}: {e}", lang.pick("获取门店其他节点的日志失败", "fetching the store's other journals failed")))?;
        if print {
            println!("{} {} {} ({} {})", lang.pick("门店日志：", "store journals:"), report.entries, lang.pick("条来自其他节点的新记录", "new entries from other nodes"), human_bytes(report.bytes_received), lang.pick("已接收", "received"));
        }
        return Ok(());
    }
    let carried = opentill_sync::relay::forward(replica, batch, now_ms, |bytes| post(agent, &url, "application/octet-stream", &bytes), |_, _| {})
        .map_err(|e| anyhow::anyhow!("{}: {e}", lang.pick("转发收银机日志到云端失败", "carrying the tills' journals to the cloud failed")))?;
    if print {
        for (node, p) in carried {
            println!("{} {node}: {} {} {}, {} {}", lang.pick("已转发", "carried"), lang.pick("云端已有", "cloud holds"), p.acked_seq, lang.pick("条记录", "entries"), p.acked_seq - p.start_seq, lang.pick("条为本次转发", "new this time"));
        }
    }
    Ok(())
}

/// The peer name the cloud's sync state is kept under.
const CLOUD_PEER: &str = "cloud";

/// Merges the shared documents (the catalog, the offers) with the upstream, both ways,
/// and projects what changed.
fn docs_sync(replica: &mut Replica, agent: &ureq::Agent) -> anyhow::Result<Vec<DocSyncReport>> {
    let url = format!("{}/v1/docs", cloud_url(replica)?);
    Ok(sync_docs(replica, CLOUD_PEER, now_ms, |bytes| post(agent, &url, "application/octet-stream", &bytes))?)
}

/// A shared document's name for people.
fn doc_label(name: &str, lang: Lang) -> &'static str {
    match name {
        CATALOG => lang.pick("商品目录：", "catalog:"),
        opentill_sync::docs::staff::STAFF => lang.pick("员工账号：", "staff:"),
        opentill_sync::docs::members::MEMBERS => lang.pick("会员：", "members:"),
        opentill_sync::docs::settings::SETTINGS => lang.pick("门店设置：", "store settings:"),
        opentill_sync::docs::devices::DEVICES => lang.pick("设备与货架：", "devices:"),
        _ => lang.pick("促销与会员设置：", "offers:"),
    }
}

fn doc_line(report: &DocSyncReport, lang: Lang) -> String {
    let (updated_zh, updated_en) = match report.doc.as_str() {
        CATALOG => ("个商品已更新", "products updated"),
        opentill_sync::docs::staff::STAFF => ("个员工账号已更新", "accounts updated"),
        opentill_sync::docs::members::MEMBERS => ("位会员资料已更新", "member profiles updated"),
        opentill_sync::docs::settings::SETTINGS => ("项门店设置已更新", "store settings updated"),
        opentill_sync::docs::devices::DEVICES => ("项设备或货架位已更新", "devices or shelf slots updated"),
        _ => ("项促销、优惠券或设置已更新", "offers or settings updated"),
    };
    let epoch = match report.switched_to {
        Some(e) => format!(
            "{} {e}{}, ",
            lang.pick("总部已压缩历史，已切换到第", "head office compacted it: moved to epoch"),
            lang.pick(&format!(" 版，重放本机 {} 项修改", report.replayed), &format!(", replayed {} edits of this node", report.replayed))
        ),
        None => String::new(),
    };
    format!(
        "{} {epoch}{} {}, {} {}, {} {} ({} {}, {} {})",
        doc_label(&report.doc, lang),
        report.projected,
        lang.pick(updated_zh, updated_en),
        lang.pick("版本", "heads"),
        short_heads(&report.heads),
        report.rounds,
        lang.pick("轮", "rounds"),
        human_bytes(report.bytes_sent),
        lang.pick("已发送", "sent"),
        human_bytes(report.bytes_received),
        lang.pick("已接收", "received"),
    )
}

/// Heads shortened for people: the first 8 hex digits of each.
fn short_heads(heads: &[String]) -> String {
    heads.iter().map(|h| h.get(..8).unwrap_or(h)).collect::<Vec<_>>().join(",")
}

fn price_cmd(data: &Path, sku: &str, price: Option<&str>, central: bool, clear: bool, lang: Lang) -> anyhow::Result<()> {
    let mut replica = Replica::open(data)?;
    let minor = match price {
        Some(text) if !clear => Some(opentill_core::money::parse_minor(text, replica.settings().currency).with_context(|| format!("--price {text}"))?),
        _ => None,
    };
    let (hlc, update) = replica.set_catalog_price(sku, minor, central, now_ms())?;
    let selling = replica.product_by_sku(sku)?.map(|p| p.price_minor);
    let money = |m: i64| format!("{}.{:02}", m / 100, m % 100);
    match selling {
        Some(now) => println!("{sku}: {} {} (hlc {hlc})", lang.pick("本店现售", "now sells here at"), money(now)),
        None => println!("{sku}: {} (hlc {hlc})", lang.pick("已记录；共享目录中还没有该商品的资料，本店暂不可售", "recorded; the shared catalog has no details for it yet, so this store cannot sell it")),
    }
    if update.projected > 0 {
        tracing::info!(sku, projected = update.projected, "price applied to this store's catalog");
    }
    Ok(())
}

/// `serve`'s store-and-forward to the cloud: every `every`, if this node is enrolled and
/// has entries the cloud lacks, push them. Runs on its own thread with its own connection
/// to the replica (SQLite in WAL mode lets it read while the till writes). While the
/// cloud is unreachable it waits longer between tries (up to `most`), and says so once.
pub fn push_forever(data: std::path::PathBuf, every: Duration, most: Duration) {
    let mut wait = every;
    let mut failing = false;
    loop {
        std::thread::sleep(wait);
        match pull_revocations(&data) {
            Ok(Some(new)) if new > 0 => tracing::info!(new, "member passes revoked by head office"),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "cannot fetch revoked passes"),
        }
        match docs_once(&data) {
            Ok(reports) => {
                for r in reports.iter().filter(|r| r.projected > 0) {
                    tracing::info!(document = r.doc, rows = r.projected, "shared document changes from upstream applied");
                }
            }
            Err(e) => tracing::debug!(error = %e, "cannot sync the shared documents"),
        }
        match relay_once(&data) {
            Ok(()) => {}
            Err(e) => tracing::debug!(error = %format!("{e:#}"), "cannot sync the store's other journals"),
        }
        // After the journals: a till keeps the snapshot only once it holds the others.
        match balances_once(&data) {
            Ok(()) => {}
            Err(e) => tracing::debug!(error = %format!("{e:#}"), "cannot fetch the stored-value snapshot"),
        }
        match transfers_once(&data) {
            Ok(new) if new > 0 => tracing::info!(new, "transfer steps from other stores"),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %format!("{e:#}"), "cannot fetch transfers"),
        }
        match o2o_once(&data) {
            Ok(new) if new > 0 => tracing::info!(new, "online orders new or cancelled"),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %format!("{e:#}"), "cannot fetch online orders"),
        }
        match push_once(&data) {
            Ok(Some(pushed)) => {
                if failing {
                    tracing::info!("cloud reachable again");
                }
                if pushed > 0 {
                    tracing::info!(pushed, "journal pushed to the cloud");
                }
                failing = false;
                wait = every;
            }
            Ok(None) => wait = every,
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot push to the cloud; the backlog stays on disk and is retried");
                }
                failing = true;
                wait = (wait * 2).clamp(every, most);
            }
        }
    }
}

/// Asks the cloud for this store's member passes revoked since the last answer and
/// records them; `None` when not enrolled.
fn pull_revocations(data: &Path) -> anyhow::Result<Option<usize>> {
    let mut replica = Replica::open(data)?;
    let Some(cloud) = replica.sync_state()?.cloud_url else { return Ok(None) };
    let settings = replica.settings().clone();
    let since = replica.revocations_since()?;
    let signature = replica.sign(&opentill_sync::protocol::revoked_request_message(&settings.store_id, &settings.node_id, since));
    let request = serde_json::json!({ "store_id": settings.store_id, "node_id": settings.node_id, "since_ms": since, "signature": hex_encode(&signature) });
    let reply = post(&agent(Duration::from_secs(30)), &format!("{cloud}/v1/revoked"), "application/json", request.to_string().as_bytes())?;
    let reply: serde_json::Value = serde_json::from_slice(&reply).context("the cloud's revoked-pass reply is not JSON")?;
    let passes: Vec<(String, i64)> = reply["passes"]
        .as_array()
        .context("the cloud's revoked-pass reply has no `passes`")?
        .iter()
        .map(|p| Some((p["pass_id"].as_str()?.to_string(), p["revoked_ms"].as_i64()?)))
        .collect::<Option<_>>()
        .context("a revoked pass in the cloud's reply is malformed")?;
    Ok(Some(replica.apply_revocations(&passes)?))
}

/// A node-signed read of the cloud (or, for a till, its edge agent): `POST /v1/{route}`
/// with the store, node, time and the signature of `message` over them.
fn node_read(replica: &Replica, agent: &ureq::Agent, route: &str, message: fn(&str, &str, i64) -> Vec<u8>, cursor: serde_json::Value) -> anyhow::Result<Vec<u8>> {
    let cloud = cloud_url(replica)?;
    let settings = replica.settings();
    let ts_ms = now_ms();
    let signature = replica.sign(&message(&settings.store_id, &settings.node_id, ts_ms));
    let mut request = serde_json::json!({ "store_id": settings.store_id, "node_id": settings.node_id, "ts_ms": ts_ms, "signature": hex_encode(&signature) });
    if let (Some(fields), serde_json::Value::Object(extra)) = (request.as_object_mut(), cursor) {
        fields.extend(extra);
    }
    Ok(post(agent, &format!("{cloud}/v1/{route}"), "application/json", request.to_string().as_bytes())?)
}

/// Asks the cloud (or, for a till, its edge agent) for the store's stored-value snapshot
/// and keeps it if this replica holds the store as far as the cloud did.
pub fn balances_step(replica: &mut Replica, agent: &ureq::Agent) -> anyhow::Result<SnapshotOutcome> {
    let reply = node_read(replica, agent, "balances", opentill_sync::protocol::balances_request_message, serde_json::Value::Null)?;
    let snapshot: BalanceSnapshot = serde_json::from_slice(&reply).context("the stored-value snapshot is not what this build understands")?;
    let outcome = replica.apply_balances(&snapshot)?;
    if let SnapshotOutcome::Behind { node, needed, held } = &outcome {
        tracing::info!(%node, needed, held, "stored-value snapshot not kept: the store's journals are not all here yet");
    }
    Ok(outcome)
}

/// Asks the cloud (or, for a till, its edge agent) for the steps other stores took of
/// transfers to or from this store, and keeps the new ones; returns how many were new.
pub fn transfers_step(replica: &mut Replica, agent: &ureq::Agent) -> anyhow::Result<usize> {
    // Only the steps this replica does not hold yet.
    let cursor = serde_json::json!({ "after": replica.transfer_cursor()? });
    let reply = node_read(replica, agent, "transfers", opentill_sync::protocol::transfers_request_message, cursor)?;
    let snapshot: opentill_sync::TransferSnapshot = serde_json::from_slice(&reply).context("the transfer answer is not what this build understands")?;
    Ok(replica.apply_transfers(&snapshot)?)
}

/// Asks the cloud (or, for a till, its edge agent) for the store's O2O orders and keeps
/// what is new; returns how many orders were new or newly cancelled.
pub fn o2o_step(replica: &mut Replica, agent: &ureq::Agent) -> anyhow::Result<usize> {
    // Only the orders placed or cancelled since the last answer from the same upstream.
    let upstream = cloud_url(replica)?;
    let cursor = match replica.o2o_since(&upstream)? {
        Some(since_ms) => serde_json::json!({ "since_ms": since_ms }),
        None => serde_json::Value::Null,
    };
    let reply = node_read(replica, agent, "o2o", opentill_sync::protocol::o2o_request_message, cursor)?;
    let snapshot: opentill_sync::O2oSnapshot = serde_json::from_slice(&reply).context("the O2O answer is not what this build understands")?;
    let changed = replica.apply_o2o(&snapshot)?;
    replica.set_o2o_cursor(&upstream, snapshot.as_of_ms)?;
    Ok(changed)
}

/// One O2O fetch if enrolled.
fn o2o_once(data: &Path) -> anyhow::Result<usize> {
    let mut replica = Replica::open(data)?;
    if replica.sync_state()?.cloud_url.is_none() {
        return Ok(0);
    }
    o2o_step(&mut replica, &agent(Duration::from_secs(30)))
}

/// One transfer fetch if enrolled.
fn transfers_once(data: &Path) -> anyhow::Result<usize> {
    let mut replica = Replica::open(data)?;
    if replica.sync_state()?.cloud_url.is_none() {
        return Ok(0);
    }
    transfers_step(&mut replica, &agent(Duration::from_secs(30)))
}

/// One stored-value snapshot if enrolled.
fn balances_once(data: &Path) -> anyhow::Result<()> {
    let mut replica = Replica::open(data)?;
    if replica.sync_state()?.cloud_url.is_none() {
        return Ok(());
    }
    balances_step(&mut replica, &agent(Duration::from_secs(30))).map(|_| ())
}

/// One relay step (fetch for a till, carry for an edge agent) if enrolled.
fn relay_once(data: &Path) -> anyhow::Result<()> {
    let mut replica = Replica::open(data)?;
    if replica.sync_state()?.cloud_url.is_none() {
        return Ok(());
    }
    relay_step(&mut replica, &agent(Duration::from_secs(120)), 1000, Lang::En, false)
}

/// One sync of the shared documents if enrolled.
fn docs_once(data: &Path) -> anyhow::Result<Vec<DocSyncReport>> {
    let mut replica = Replica::open(data)?;
    if replica.sync_state()?.cloud_url.is_none() {
        return Ok(Vec::new());
    }
    docs_sync(&mut replica, &agent(Duration::from_secs(60)))
}

/// One push if enrolled and behind: the number of entries the cloud newly acknowledged,
/// or `None` when there is nothing to do.
fn push_once(data: &Path) -> anyhow::Result<Option<u64>> {
    let mut replica = Replica::open(data)?;
    let state = replica.sync_state()?;
    if state.pending() == 0 {
        return Ok(None);
    }
    let Some(cloud) = state.cloud_url else { return Ok(None) };
    let url = format!("{cloud}/v1/sync");
    let agent = agent(Duration::from_secs(120));
    let progress = push(&mut replica, 1000, now_ms, |bytes| post(&agent, &url, "application/octet-stream", &bytes), |_| {})?;
    Ok(Some(progress.acked_seq - progress.start_seq))
}
