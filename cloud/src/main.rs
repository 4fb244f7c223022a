//! `opentill-cloud`: the cloud ledger's server and admin commands.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use opentill_cloud::close::{CloseError, close, verify_closings};
use opentill_cloud::closing::{Period, PeriodKind, offset_text, parse_offset};
use opentill_cloud::export::{self, Format};
use opentill_cloud::key::{KeySource, key_path_for, load_or_create, verifying_key};
use opentill_cloud::ledger::{Ledger, StorePath};
use opentill_cloud::{code_hash, new_code, now_ms, open_ledger};
use opentill_core::i18n::Lang;
use opentill_core::money::{Currency, Money};

/// OpenTill cloud ledger.
#[derive(Debug, Parser)]
#[command(name = "opentill-cloud", version, about = "OpenTill cloud ledger: enrols nodes, ingests and verifies their journals, closes periods (云端账本)")]
struct Cli {
    /// Language of messages: zh or en (default from OPENTILL_LANG or LANG).
    #[arg(long, global = true, env = "OPENTILL_LANG")]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// The database and the closing key beside it.
#[derive(Debug, Args)]
struct DbArgs {
    /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
    #[arg(long, env = "OPENTILL_CLOUD_DB")]
    db: String,
    /// The cloud's closing key file (created on first use, mode 0600). Default: beside a
    /// SQLite database (`cloud.db` → `cloud.key`); needed with PostgreSQL.
    #[arg(long, env = "OPENTILL_CLOUD_KEY")]
    key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on; port 0 picks a free one (the chosen address is printed).
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: String,
        /// Bearer token the read routes (totals, nodes, quarantine, alerts) require.
        #[arg(long, env = "OPENTILL_CLOUD_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// Compact a shared document (catalog, offers, staff, members) once its history
        /// holds more than this many changes and twice as many as its values; 0: only by
        /// `compact-doc`.
        #[arg(long, env = "OPENTILL_CLOUD_COMPACT_AFTER", default_value_t = opentill_cloud::docs::DEFAULT_COMPACT_AFTER)]
        compact_after_changes: usize,
    },
    /// Create a one-time enrolment code for a store (creating the tenant, brand and store
    /// as needed) and print it.
    EnrolCode {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// The store id the node was initialised with.
        #[arg(long)]
        store: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Brand.
        #[arg(long, default_value = "default")]
        brand: String,
        /// Hours before the code expires.
        #[arg(long, default_value_t = 72)]
        ttl_hours: i64,
    },
    /// Revoke a member pass issued in a store; the store's agents learn it on their next
    /// sync and refuse the pass at gates and vending machines from then on.
    RevokePass {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// The store that issued the pass.
        #[arg(long)]
        store: String,
        /// The pass id (`opentill-edge pass issue` prints it).
        #[arg(long)]
        pass: String,
    },
    /// Set a store's offline allowance: what each of its tills may spend from one
    /// stored-value account without the cloud's confirmation (default ¥500; 0: nothing).
    StoreAllowance {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// The store.
        #[arg(long)]
        store: String,
        /// The allowance in yuan, `500` or `99.50`.
        #[arg(long)]
        yuan: String,
    },
    /// Set the UTC offset a store's business days are kept at (default +08:00); refused once
    /// the store has a closing.
    StoreOffset {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// The store.
        #[arg(long)]
        store: String,
        /// `+08:00`, `-05:00`, `Z`.
        #[arg(long, allow_hyphen_values = true)]
        utc_offset: String,
    },
    /// Close a store's day, month or year: figures, perpetual grand total, chained and
    /// signed by the cloud's key (日结 / 月结 / 年结).
    #[command(group = clap::ArgGroup::new("period").required(true).multiple(false))]
    Close {
        #[command(flatten)]
        db: DbArgs,
        /// The store.
        #[arg(long)]
        store: String,
        /// A business day, `YYYY-MM-DD`.
        #[arg(long, group = "period")]
        day: Option<String>,
        /// A month, `YYYY-MM` (all its days closed first).
        #[arg(long, group = "period")]
        month: Option<String>,
        /// A year, `YYYY` (all its months closed first).
        #[arg(long, group = "period")]
        year: Option<String>,
        /// Close the day although some nodes have not been heard from past its end; the
        /// closing records them.
        #[arg(long)]
        force: bool,
        /// Print the sealed closing as JSON instead of a summary.
        #[arg(long, value_parser = ["text", "json"], default_value = "text")]
        format: String,
    },
    /// Re-check every closing: hashes, signatures, chains, and figures recomputed from the
    /// journal. Exit 1 and name each problem if any.
    VerifyClosings {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Export closings or a report across stores as CSV or JSON.
    #[command(subcommand)]
    Export(ExportCommand),
    /// A till's analytics report (by hour, day, week, category, cashier, tender, top, slow,
    /// basket, members, conversion) across a tenant's stores, or one of them, folded from
    /// their journals (数据分析).
    Analytics {
        /// The database.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Only this store.
        #[arg(long)]
        store: Option<String>,
        /// hour, day, week, category, cashier, tender, top, slow, basket, members or conversion.
        #[arg(long)]
        by: String,
        /// First local date, `YYYY-MM-DD`.
        #[arg(long)]
        from: Option<String>,
        /// Last local date, inclusive.
        #[arg(long)]
        to: Option<String>,
        /// How many top or slow sellers.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Write CSV instead of the table.
        #[arg(long)]
        csv: bool,
    },
    /// The tenant's shared catalog: products, central prices and stores' own prices,
    /// merged into every store's till on its next sync (共享商品目录).
    Catalog {
        #[command(subcommand)]
        action: CatalogCommand,
    },
    /// Online orders (O2O, 线上订单), as an online shop places them through
    /// `POST /v1/o2o/orders`: place, show, cancel.
    O2o {
        #[command(subcommand)]
        action: O2oCommand,
    },
    /// Compact a tenant's shared document (共享文档压缩): start its next epoch from its
    /// current values, dropping their history; stores move to it on their next sync.
    CompactDoc {
        /// The database.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// `catalog`, `offers`, `staff`, `members`, `settings` or `devices`.
        #[arg(long)]
        doc: String,
    },
    /// Head office's promotions, coupons and settings (促销与会员设置), for every store or
    /// one store, merged into every store's tills on their next sync: show, put, remove.
    Offers {
        #[command(subcommand)]
        action: OffersCommand,
    },
}

#[derive(Debug, Subcommand)]
enum OffersCommand {
    /// Every promotion, coupon and setting with its scope (`*`: every store).
    Show {
        /// The database.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
    },
    /// Put a promotion, coupon, or setting from a JSON file (the JSON a till's `promo put`
    /// takes; for settings, the member program or commission rules), checked first.
    Put {
        /// The database.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// `promotions`, `coupons`, `member_program` or `commission_rules`.
        #[arg(long)]
        what: String,
        /// Only this store (default: every store).
        #[arg(long)]
        store: Option<String>,
        /// The JSON file.
        file: PathBuf,
    },
    /// Remove a promotion, coupon or setting (for every store, or `--store`'s own).
    Remove {
        /// The database.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// `promotions`, `coupons`, `member_program` or `commission_rules`.
        #[arg(long)]
        what: String,
        /// The promotion's or coupon's id (not for settings).
        #[arg(long)]
        id: Option<String>,
        /// Only this store's own.
        #[arg(long)]
        store: Option<String>,
    },
}

/// The section and the setting's id that `--what` names.
fn offers_what(what: &str) -> anyhow::Result<(opentill_sync::docs::offers::Section, Option<&str>)> {
    use opentill_sync::docs::offers::{COMMISSION_RULES, MEMBER_PROGRAM, Section};
    Ok(match what {
        "member_program" => (Section::Setting, Some(MEMBER_PROGRAM)),
        "commission_rules" => (Section::Setting, Some(COMMISSION_RULES)),
        other => (opentill_cloud::offers::section(other).map_err(|e| anyhow::anyhow!("--what: {e}"))?, None),
    })
}

fn offers(action: OffersCommand) -> anyhow::Result<()> {
    match action {
        OffersCommand::Show { db, tenant } => {
            let view = opentill_cloud::offers::view(open(&db)?.as_ref(), &tenant)?;
            for (label, list) in [("promotion", &view.promotions), ("coupon", &view.coupons), ("setting", &view.settings)] {
                for o in list {
                    let whose = if o.scope == opentill_sync::docs::offers::EVERY_STORE { "every store".to_string() } else { format!("store {}", o.scope) };
                    println!("{label}\t{}\t{whose}\t{}\t{}", o.id, o.hlc, o.body);
                }
            }
            println!("heads: {}", view.heads.join(" "));
            Ok(())
        }
        OffersCommand::Put { db, tenant, what, store, file } => {
            let (section, setting) = offers_what(&what)?;
            if section == opentill_sync::docs::offers::Section::Setting && setting.is_none() {
                bail!("--what settings: say member_program or commission_rules");
            }
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut ledger = open(&db)?;
            let (id, hlc) = opentill_cloud::offers::put(ledger.as_mut(), &tenant, section, setting, store.as_deref(), &text, now_ms())?;
            println!("{} {id} stored for {} (hlc {hlc})", section.name(), store.map_or("every store".to_string(), |s| format!("store {s}")));
            Ok(())
        }
        OffersCommand::Remove { db, tenant, what, id, store } => {
            let (section, setting) = offers_what(&what)?;
            let id = match (setting, id) {
                (Some(setting), _) => setting.to_string(),
                (None, Some(id)) => id,
                (None, None) => bail!("--id is required for {what}"),
            };
            let mut ledger = open(&db)?;
            let hlc = opentill_cloud::offers::remove(ledger.as_mut(), &tenant, section, &id, store.as_deref(), now_ms())?;
            println!("{} {id} removed for {} (hlc {hlc})", section.name(), store.map_or("every store".to_string(), |s| format!("store {s}")));
            Ok(())
        }
    }
}

#[derive(Debug, Subcommand)]
enum O2oCommand {
    /// Place an order from a JSON file (the body of `POST /v1/o2o/orders`, see
    /// `docs/o2o.md`); placing the same order again changes nothing.
    Place {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// The JSON file.
        file: std::path::PathBuf,
    },
    /// An order and where it stands, as JSON.
    Show {
        /// The database.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// The store.
        #[arg(long)]
        store: String,
        /// The order.
        #[arg(long)]
        order: String,
    },
    /// Cancel an order online (refused once the store handed it over).
    Cancel {
        /// The database.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// The store.
        #[arg(long)]
        store: String,
        /// The order.
        #[arg(long)]
        order: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// Closings, by store, kind and chain order.
    Closings {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Only this store.
        #[arg(long)]
        store: Option<String>,
        /// Only this kind: day, month or year.
        #[arg(long)]
        kind: Option<String>,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// The file to write (`-` for stdout).
        #[arg(long)]
        out: PathBuf,
    },
    /// Sales per store, brand and tenant over local dates.
    Report {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// First date, `YYYY-MM-DD`.
        #[arg(long)]
        from: String,
        /// Last date, inclusive.
        #[arg(long)]
        to: String,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// The file to write (`-` for stdout).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Write products from a JSON file: an array of products as `GET /v1/catalog` lists
    /// them (`sku`, `barcodes`, `name`, `name_zh`, `category`, `unit`, `price_minor`,
    /// `tax_bp`, ...). Every product is checked first; one bad product writes nothing.
    Import {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// The JSON file.
        file: std::path::PathBuf,
    },
    /// Set a SKU's central price, or with `--store` that store's own price (`--clear`
    /// removes the store's own price, so the central one applies again).
    Price {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// The SKU.
        #[arg(long)]
        sku: String,
        /// The price as on a shelf (`12.50`).
        #[arg(long, required_unless_present = "clear")]
        price: Option<String>,
        /// A store's own price rather than the central price.
        #[arg(long)]
        store: Option<String>,
        /// Remove the store's own price.
        #[arg(long, requires = "store", conflicts_with = "price")]
        clear: bool,
    },
    /// List the catalog with the prices a store sells at (the central prices without `--store`).
    Show {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// The store.
        #[arg(long)]
        store: Option<String>,
    },
}

fn open(db: &str) -> anyhow::Result<Box<dyn Ledger>> {
    Ok(open_ledger(db)?)
}

/// The key file: `--key`, or beside the database.
fn key_path(args: &DbArgs, lang: Lang) -> anyhow::Result<PathBuf> {
    if let Some(path) = &args.key {
        return Ok(path.clone());
    }
    match args.db.strip_prefix("sqlite:") {
        Some(path) => Ok(key_path_for(std::path::Path::new(path))),
        None => bail!("{}", lang.pick("PostgreSQL 数据库需用 --key FILE（或 OPENTILL_CLOUD_KEY）指定结账密钥文件", "give the closing key file with --key FILE (or OPENTILL_CLOUD_KEY) for a PostgreSQL database")),
    }
}

fn money(minor: i64) -> String {
    Money::new(minor, Currency::CNY).plain()
}

/// Prints `label done/total` on stderr: in place on a terminal, else every tenth and the last.
fn progress_printer(label: String) -> impl FnMut(usize, usize) {
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    move |done, total| {
        if tty {
            eprint!("\r{label} {done}/{total}");
            if done == total {
                eprintln!();
            }
        } else if done == total || done % (total / 10).max(1) == 0 {
            eprintln!("{label} {done}/{total}");
        }
    }
}

/// Opens `--out` (`-` is stdout).
fn output(path: &std::path::Path) -> anyhow::Result<Box<dyn Write>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(std::io::stdout().lock()));
    }
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(Box::new(std::io::BufWriter::new(file)))
}

fn format_arg(text: &str, lang: Lang) -> anyhow::Result<Format> {
    Format::parse(text).with_context(|| format!("{} {text:?}", lang.pick("--format 只能是 csv 或 json，而不是", "--format must be csv or json, not")))
}

fn run(cli: Cli, lang: Lang) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { db, listen, admin_token, compact_after_changes } => {
            opentill_cloud::docs::COMPACT_AFTER.store(compact_after_changes, std::sync::atomic::Ordering::Relaxed);
            let mut ledger = open(&db.db)?;
            let key = match key_path(&db, lang) {
                Ok(key_file) => {
                    let key = load_or_create(&key_file, ledger.as_mut(), now_ms()).with_context(|| lang.pick("读取云端结账密钥", "loading the cloud's closing key").to_string())?;
                    tracing::info!(public_key = %hex::encode(key.verifying_key().as_bytes()), file = %key_file.display(), "closings are signed with this key");
                    Some(key)
                }
                Err(_) => {
                    tracing::info!("no --key for this database: POST /v1/closings is off (opentill-cloud close --key FILE still works)");
                    None
                }
            };
            let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listening on {listen}"))?;
                let addr = listener.local_addr()?;
                println!("opentill-cloud listening on http://{addr}");
                std::io::stdout().flush()?;
                let shutdown = async {
                    let ctrl_c = tokio::signal::ctrl_c();
                    #[cfg(unix)]
                    {
                        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
                        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
                    }
                    #[cfg(not(unix))]
                    let _ = ctrl_c.await;
                };
                opentill_cloud::serve_with_key(listener, Arc::new(Mutex::new(ledger)), admin_token, key, shutdown).await.context("serving")
            })
        }
        Command::EnrolCode { db, store, tenant, brand, ttl_hours } => {
            let mut ledger = open(&db)?;
            let code = new_code();
            let now = now_ms();
            ledger.add_enrol_code(&StorePath { tenant, brand, store_id: store.clone() }, code_hash(&code), now, now + ttl_hours * 3_600_000)?;
            println!("{}-{}", &code[..5], &code[5..]);
            let shown = format!("{}-{}", &code[..5], &code[5..]);
            match lang {
                Lang::Zh => eprintln!("门店 {store} 的一次性注册码，{ttl_hours} 小时内有效：opentill-edge sync enroll --cloud URL --code {shown}"),
                Lang::En => eprintln!("one-time code for store {store}, valid {ttl_hours} h: opentill-edge sync enroll --cloud URL --code {shown}"),
            }
            Ok(())
        }
        Command::RevokePass { db, store, pass } => {
            let mut ledger = open(&db)?;
            if pass.is_empty() || pass.len() > 64 {
                bail!("{}", lang.pick("--pass 须为 1 到 64 个字符", "--pass must be 1 to 64 characters"));
            }
            let new = ledger.revoke_pass(&store, &pass, now_ms())?;
            println!("{}", match (new, lang) {
                (true, Lang::Zh) => format!("已吊销门店 {store} 的会员码 {pass}"),
                (false, Lang::Zh) => format!("门店 {store} 的会员码 {pass} 早已吊销"),
                (true, Lang::En) => format!("pass {pass} of store {store} revoked"),
                (false, Lang::En) => format!("pass {pass} of store {store} was already revoked"),
            });
            Ok(())
        }
        Command::StoreAllowance { db, store, yuan } => {
            let minor = opentill_core::money::parse_minor(&yuan, opentill_core::money::Currency::CNY).with_context(|| format!("--yuan {yuan}"))?;
            if minor < 0 {
                bail!("{} {yuan}", lang.pick("离线额度不能为负：", "the allowance cannot be negative:"));
            }
            let mut ledger = open(&db)?;
            ledger.set_offline_allowance(&store, minor)?;
            println!("{} {store}: ¥{}.{:02}", lang.pick("门店离线储值额度（每台收银机每个账户）", "offline stored-value allowance (per till and account) of store"), minor / 100, minor % 100);
            Ok(())
        }
        Command::StoreOffset { db, store, utc_offset } => {
            let Some(offset) = parse_offset(&utc_offset) else {
                bail!("{} {utc_offset:?}", lang.pick("--utc-offset 应形如 +08:00，而不是", "--utc-offset must look like +08:00, not"));
            };
            let mut ledger = open(&db)?;
            if !ledger.set_utc_offset(&store, offset)? {
                bail!("{}", match lang {
                    Lang::Zh => format!("门店 {store} 已有结账记录，营业日的时区不能再改"),
                    Lang::En => format!("store {store} has closings: the offset of its business days can no longer change"),
                });
            }
            println!("{} {store}: {}", lang.pick("门店营业日时区", "business days of store"), offset_text(offset));
            Ok(())
        }
        Command::Close { db, store, day, month, year, force, format } => {
            let (text, kind) = match (day, month, year) {
                (Some(d), _, _) => (d, PeriodKind::Day),
                (_, Some(m), _) => (m, PeriodKind::Month),
                (_, _, Some(y)) => (y, PeriodKind::Year),
                _ => bail!("--day, --month or --year"),
            };
            let Some(period) = Period::parse(&text).filter(|p| p.kind() == kind) else {
                bail!("{} {text:?}", lang.pick("期间格式应为 YYYY-MM-DD、YYYY-MM 或 YYYY，而不是", "the period must be YYYY-MM-DD, YYYY-MM or YYYY, not"));
            };
            let mut ledger = open(&db.db)?;
            let key = load_or_create(&key_path(&db, lang)?, ledger.as_mut(), now_ms()).with_context(|| lang.pick("读取云端结账密钥", "loading the cloud's closing key").to_string())?;
            let sealed = match close(ledger.as_mut(), &key, &store, period, force, now_ms()) {
                Ok(sealed) => sealed,
                Err(e @ (CloseError::Refused(_) | CloseError::UnknownStore(_) | CloseError::Raced)) => bail!("{}[{}]: {}", lang.pick("拒绝结账", "not closed"), e.kind(), e.message(lang)),
                Err(e) => return Err(e.into()),
            };
            if format == "json" {
                std::io::stdout().write_all(&export::closing_json(&sealed.stored()))?;
                println!();
                return Ok(());
            }
            let c = &sealed.closing;
            let (t, p) = (&c.total, &c.perpetual);
            println!("{} {store} {} {}", lang.pick("已结账", "closed"), c.kind.label(lang), c.period);
            println!(
                "  {} {}  {} {}  {} {}  {} {}  {} {}  {} {}",
                lang.pick("销售笔数", "sales"),
                t.n_sales,
                lang.pick("退款笔数", "refunds"),
                t.n_refunds,
                lang.pick("销售额", "sold"),
                money(t.sales_minor),
                lang.pick("退款额", "refunded"),
                money(t.refunds_minor),
                lang.pick("净额", "net"),
                money(t.net_minor),
                lang.pick("税额", "tax"),
                money(t.tax_minor)
            );
            for late in &c.late {
                println!("  {} {}: {} {}, {} {}", lang.pick("迟到分录", "late entries of"), late.date, late.figures.n_entries, lang.pick("条", "entries"), lang.pick("净额", "net"), money(late.figures.net_minor));
            }
            println!("  {} {}  ({} {}, {} {})", lang.pick("永续总计净额", "perpetual grand total, net"), money(p.net_minor), lang.pick("销售", "sold"), money(p.sales_minor), lang.pick("退款", "refunded"), money(p.refunds_minor));
            if c.forced {
                let nodes: Vec<String> = c.incomplete_nodes.iter().map(|n| n.text(c.utc_offset_min, lang)).collect();
                println!("  {}: {}", lang.pick("强制结账，未同步的节点", "forced; nodes behind"), nodes.join("; "));
            }
            println!("  {} {}", lang.pick("哈希", "hash"), hex::encode(sealed.hash));
            Ok(())
        }
        Command::VerifyClosings { db } => {
            let ledger = open(&db.db)?;
            let path = key_path(&db, lang)?;
            let Some((key, source)) = verifying_key(&path, ledger.as_ref())? else {
                println!("{}", lang.pick("没有结账记录，也没有结账密钥：无可核验", "no closings and no closing key: nothing to verify"));
                return Ok(());
            };
            if source == KeySource::Database {
                eprintln!("{} {}", lang.pick("注意：找不到密钥文件，改用数据库记录的公钥核验：", "note: no key file, verifying with the public key the database recorded:"), path.display());
            }
            let report = verify_closings(ledger.as_ref(), &key, &mut progress_printer(lang.pick("核验结账", "verifying closings").to_string()))?;
            for problem in &report.problems {
                println!("{} {problem}", lang.pick("有问题：", "BAD"));
            }
            if report.problems.is_empty() {
                println!("{} {} {}", lang.pick("结账记录完好：", "closings intact:"), report.checked, lang.pick("条，链、签名与分录重算均一致", "checked, chains, signatures and figures recomputed from the journal agree"));
                Ok(())
            } else {
                bail!("{} {} / {}", lang.pick("结账记录有问题：", "closings with problems:"), report.problems.len(), report.checked)
            }
        }
        Command::Export(ExportCommand::Closings { db, store, kind, format, out }) => {
            let format = format_arg(&format, lang)?;
            let kind = match kind.as_deref().map(PeriodKind::parse) {
                Some(None) => bail!("--kind day|month|year"),
                Some(Some(k)) => Some(k),
                None => None,
            };
            let ledger = open(&db)?;
            let closings = ledger.closings(store.as_deref(), kind)?;
            let stores = ledger.stores()?;
            let mut writer = output(&out)?;
            let mut progress = progress_printer(lang.pick("导出结账", "exporting closings").to_string());
            match format {
                Format::Json => export::closings_json(&mut writer, &closings, &mut progress)?,
                Format::Csv => export::closings_csv(&mut writer, &closings, &stores, &mut progress)?,
            }
            writer.flush()?;
            eprintln!("{} {} {} {}", lang.pick("已导出", "exported"), closings.len(), lang.pick("条结账记录到", "closings to"), out.display());
            Ok(())
        }
        Command::Export(ExportCommand::Report { db, from, to, format, out }) => {
            let format = format_arg(&format, lang)?;
            let day = |text: &str| Period::parse(text).filter(|p| p.kind() == PeriodKind::Day);
            let (Some(first), Some(last)) = (day(&from), day(&to)) else { bail!("{}", lang.pick("--from 与 --to 应为日期 YYYY-MM-DD", "--from and --to must be dates, YYYY-MM-DD")) };
            if last < first {
                bail!("{}", lang.pick("--to 早于 --from", "--to is before --from"));
            }
            let ledger = open(&db)?;
            let report = opentill_cloud::report::stores_report(ledger.as_ref(), first, last, &mut progress_printer(lang.pick("汇总门店", "reading stores").to_string()))?;
            let mut writer = output(&out)?;
            match format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut writer, &export::report_json(&report))?;
                    writeln!(writer)?;
                }
                Format::Csv => export::report_csv(&mut writer, &report)?,
            }
            writer.flush()?;
            eprintln!("{} {} {} {}", lang.pick("已导出报表", "exported the report,"), report.rows.len(), lang.pick("行，到", "rows, to"), out.display());
            Ok(())
        }
        Command::Catalog { action } => catalog(action),
        Command::O2o { action } => o2o(action),
        Command::Offers { action } => offers(action),
        Command::Analytics { db, tenant, store, by, from, to, limit, csv } => {
            use opentill_core::analytics::{By, report_csv, report_text};
            let Some(by) = By::parse(&by) else {
                let names: Vec<&str> = By::ALL.iter().map(|b| b.name()).collect();
                bail!("--by {by:?}: {} {}", lang.pick("应为其中之一：", "must be one of"), names.join(", "));
            };
            let ledger = open(&db)?;
            let report = opentill_cloud::analytics::analytics(ledger.as_ref(), by, &tenant, store.as_deref(), from.as_deref(), to.as_deref(), limit.max(1), &mut progress_printer(lang.pick("汇总门店", "reading stores").to_string()))?;
            let currency = opentill_core::money::Currency::CNY;
            print!("{}", if csv { report_csv(&report, currency, lang) } else { report_text(&report, currency, lang) });
            Ok(())
        }
        Command::CompactDoc { db, tenant, doc } => {
            let mut ledger = open(&db)?;
            let c = opentill_cloud::docs::compact(ledger.as_mut(), &tenant, &doc, now_ms())?;
            println!(
                "{}: epoch {} -> {}, {} registers, {} bytes -> {} bytes; stores move to the new epoch on their next sync",
                c.doc, c.from_epoch, c.to_epoch, c.registers, c.bytes_before, c.bytes_after
            );
            Ok(())
        }
    }
}

fn o2o(action: O2oCommand) -> anyhow::Result<()> {
    use opentill_cloud::o2o;
    let show = |view: &opentill_core::o2o::OrderView| -> anyhow::Result<()> {
        let mut v = serde_json::to_value(view)?;
        v["qr"] = serde_json::json!(view.order.qr_text());
        println!("{v}");
        Ok(())
    };
    match action {
        O2oCommand::Place { db, file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let request: o2o::PlaceRequest = serde_json::from_str(&text).with_context(|| format!("{} is not an order (see docs/o2o.md)", file.display()))?;
            let mut ledger = open(&db)?;
            let (new, view) = o2o::place(ledger.as_mut(), request, now_ms())?;
            eprintln!("{}", if new { "placed" } else { "placed before: unchanged" });
            show(&view)
        }
        O2oCommand::Show { db, store, order } => show(&o2o::view(open(&db)?.as_ref(), &store, &order)?),
        O2oCommand::Cancel { db, store, order, reason } => {
            let mut ledger = open(&db)?;
            show(&o2o::cancel(ledger.as_mut(), &store, &order, &reason, now_ms())?)
        }
    }
}

fn catalog(action: CatalogCommand) -> anyhow::Result<()> {
    use opentill_cloud::docs;
    use opentill_cloud::http::ProductDto;
    use opentill_core::money::{Currency, parse_minor};
    match action {
        CatalogCommand::Import { db, tenant, file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let dtos: Vec<ProductDto> = serde_json::from_str(&text).with_context(|| format!("{} is not a JSON array of products", file.display()))?;
            let products = dtos.iter().map(ProductDto::to_product).collect::<Result<Vec<_>, _>>().map_err(anyhow::Error::msg)?;
            let mut ledger = open(&db)?;
            let n = products.len();
            docs::edit(ledger.as_mut(), &tenant, now_ms(), |doc, clock| {
                doc.put_products(&products, clock, now_ms(), |done| {
                    if done % 1000 == 0 || done == n {
                        eprintln!("{done}/{n} products");
                    }
                })
            })?;
            println!("{n} products written to tenant {tenant}'s catalog");
            Ok(())
        }
        CatalogCommand::Price { db, tenant, sku, price, store, clear } => {
            let minor = match (&price, clear) {
                (_, true) => None,
                (Some(text), false) => Some(parse_minor(text, Currency::CNY).with_context(|| format!("--price {text}"))?),
                (None, false) => bail!("--price is required"),
            };
            let mut ledger = open(&db)?;
            let hlc = docs::edit(ledger.as_mut(), &tenant, now_ms(), |doc, clock| match &store {
                Some(store) => doc.set_store_price(store, &sku, minor, clock, now_ms()),
                None => doc.set_price(&sku, minor.unwrap_or_default(), clock, now_ms()),
            })?;
            match (&store, minor) {
                (Some(store), Some(_)) => println!("{sku} at store {store}: {} (hlc {hlc})", price.unwrap_or_default()),
                (Some(store), None) => println!("{sku} at store {store}: its own price removed (hlc {hlc})"),
                (None, _) => println!("{sku}: {} everywhere without a price of their own (hlc {hlc})", price.unwrap_or_default()),
            }
            Ok(())
        }
        CatalogCommand::Show { db, tenant, store } => {
            let ledger = open(&db)?;
            let (_, mut doc) = docs::load(ledger.as_ref(), &tenant)?;
            let at = store.clone().unwrap_or_default();
            println!("{:<14} {:>10} {:>10}  name", "sku", "price", "central");
            for sku in doc.skus() {
                let Some(product) = doc.effective(&at, &sku) else { continue };
                let central = doc.price(&sku).map_or(0, |p| p.0);
                let money = |m: i64| format!("{}.{:02}", m / 100, m % 100);
                println!("{:<14} {:>10} {:>10}  {} {}", sku, money(product.price_minor), money(central), product.name_zh, product.name);
            }
            println!("heads: {}", opentill_sync::docs::SharedDoc::heads(&mut doc).join(" "));
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("OPENTILL_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let lang = cli.lang.as_deref().and_then(Lang::parse).or_else(|| std::env::var("LANG").ok().and_then(|l| Lang::parse(&l))).unwrap_or(Lang::En);
    match run(cli, lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e:#}", lang.pick("错误", "error"));
            ExitCode::FAILURE
        }
    }
}
