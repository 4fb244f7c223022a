//! `opentill-edge`: the store's edge agent and command line.

mod cli;
mod demo;
mod mqtt;
mod mqtt_config;
mod print;
mod relay;
mod sync_cmd;
mod ui;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches};
use cli::{AnalyticsBy, Cli, Command, CouponCommand, MemberCommand, PoCommand, StocktakeCommand, TransferCommand, O2oCommand, SupplierCommand, DeviceCommand, PassCommand, PromoCommand, ShelfCommand, StoreCommand, ExportFormat, Format, ImportCommand, JournalCommand, PrintCommand, ProductCommand, ReportCommand, ShiftCommand, StockCommand, StoredValueCommand, SuspendedCommand, UserCommand};
use opentill_core::i18n::Lang;
use opentill_core::journal::CashDirection;
use opentill_core::money::{Currency, Money, parse_minor};
use opentill_core::receipt::{WIDTH_80MM, sales_report_text, shift_report_text};
use opentill_core::role::{Permission, Role};
use opentill_core::rounding::CashRounding;
use opentill_core::tax::TaxMode;
use opentill_core::tender::{Tender, TenderKind};
use opentill_sync::StoreSettings;
use opentill_till::{ScanInput, Till, TillError};

/// A failure: a till error is shown in the user's language; anything else as is.
enum Failure {
    Till(TillError),
    Other(anyhow::Error),
    /// Already reported; just exit 1.
    Reported,
}

impl From<TillError> for Failure {
    fn from(e: TillError) -> Self {
        Failure::Till(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Other(e.into())
    }
}

type Outcome = Result<(), Failure>;

/// A listing piped into a command that stops reading early (`… | head`) ends quietly, as
/// the other tools in a pipeline do, instead of panicking when `println!` finds the pipe
/// closed. The exit status is 141, a shell's for SIGPIPE.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied()).unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("OPENTILL_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let lang = cli.lang.as_deref().and_then(Lang::parse).or_else(|| std::env::var("LANG").ok().and_then(|l| Lang::parse(&l))).unwrap_or(Lang::En);
    match run(cli.command, &matches, lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Till(e)) => {
            eprintln!("{}[{}]: {}", lang.pick("错误", "error"), e.kind(), e.message(lang));
            ExitCode::FAILURE
        }
        Err(Failure::Other(e)) => {
            eprintln!("{}: {e:#}", lang.pick("错误", "error"));
            ExitCode::FAILURE
        }
        Err(Failure::Reported) => ExitCode::FAILURE,
    }
}

fn open(data: &Path) -> Result<Till, Failure> {
    Ok(Till::open(data)?)
}

fn money(till: &Till, minor: i64) -> String {
    Money::new(minor, till.replica().settings().currency).to_string()
}

fn amount(till: &Till, text: &str, what: &str) -> Result<i64, Failure> {
    parse_minor(text, till.replica().settings().currency).map_err(|e| TillError::BadInput(format!("{what}: {e}")).into())
}

/// Pairs each value of `secondary` with the `primary` value given just before it on the
/// command line (`--scan A --qty 2 --scan B`).
fn pair_by_position<T: Clone>(primary: &[T], primary_idx: &[usize], secondary: &[String], secondary_idx: &[usize], what: (&str, &str)) -> Result<Vec<(T, Option<String>)>, Failure> {
    let mut out: Vec<(T, Option<String>)> = primary.iter().cloned().map(|p| (p, None)).collect();
    for (value, idx) in secondary.iter().zip(secondary_idx) {
        let owner = primary_idx.iter().rposition(|p| p < idx).ok_or_else(|| TillError::BadInput(format!("--{} {value} must follow a --{}", what.1, what.0)))?;
        if out[owner].1.is_some() {
            return Err(TillError::BadInput(format!("two --{} for one --{}", what.1, what.0)).into());
        }
        out[owner].1 = Some(value.clone());
    }
    Ok(out)
}

fn indices(matches: &clap::ArgMatches, sub: &str, id: &str) -> Vec<usize> {
    matches.subcommand_matches(sub).and_then(|m| m.indices_of(id)).map(|i| i.collect()).unwrap_or_default()
}

fn parse_tender(till: &Till, text: &str) -> Result<Tender, Failure> {
    let mut parts = text.splitn(3, ':');
    let kind_text = parts.next().unwrap_or("");
    let kind = TenderKind::parse(kind_text).ok_or_else(|| TillError::BadInput(format!("tender `{text}`: kind must be cash, card, mobile or stored")))?;
    let amount_text = parts.next().ok_or_else(|| TillError::BadInput(format!("tender `{text}` must look like {kind_text}:AMOUNT")))?;
    let amount = amount(till, amount_text, &format!("tender `{text}`"))?;
    Ok(Tender { kind, amount, reference: parts.next().map(str::to_string) })
}

fn progress_printer(label: &'static str) -> impl FnMut(usize, usize) {
    let tty = std::io::stderr().is_terminal();
    move |done, total| {
        if tty {
            eprint!("\r{label} {done}/{total}");
            if done == total {
                eprintln!();
            }
        } else {
            eprintln!("{label} {done}/{total}");
        }
    }
}

fn run(command: Command, matches: &clap::ArgMatches, lang: Lang) -> Outcome {
    match command {
        Command::Init(args) => {
            let mut settings = StoreSettings::new(&args.store, &args.node);
            if let Some(name) = args.name {
                settings.name = name;
            }
            if let Some(name_zh) = args.name_zh {
                settings.name_zh = name_zh;
            }
            settings.address = args.address;
            settings.cash_rounding = CashRounding::parse(&args.cash_rounding).ok_or_else(|| TillError::BadInput(format!("--cash-rounding `{}` must be none, jiao, yuan, jiao-half-up or yuan-half-up", args.cash_rounding)))?;
            settings.tax_mode = match args.tax_mode.as_str() {
                "inclusive" => TaxMode::Inclusive,
                "exclusive" => TaxMode::Exclusive,
                other => return Err(TillError::BadInput(format!("--tax-mode `{other}` must be inclusive or exclusive")).into()),
            };
            settings.utc_offset_min = parse_offset(&args.utc_offset).ok_or_else(|| TillError::BadInput(format!("--utc-offset `{}` must look like +08:00", args.utc_offset)))?;
            settings.currency = parse_currency(&args.currency).ok_or_else(|| TillError::BadInput(format!("--currency `{}` must look like CNY or EUR:2", args.currency)))?;
            if args.paper != 58 && args.paper != 80 {
                return Err(TillError::BadInput(format!("--paper {} must be 58 or 80", args.paper)).into());
            }
            settings.paper_mm = args.paper;
            let till = Till::init_with(&args.data.data, settings)?;
            let s = till.replica().settings();
            println!("{} {} ({}) {} {}", lang.pick("已创建门店", "created store"), s.store_id, s.node_id, lang.pick("于", "in"), args.data.data.display());
            Ok(())
        }
        Command::Import(ImportCommand::Products { file, data, skip_bad }) => {
            let mut till = open(&data.data)?;
            let input = std::fs::File::open(&file).with_context(|| format!("{} {}", lang.pick("无法打开", "cannot open"), file.display()))?;
            let summary = till.import_products(std::io::BufReader::new(input), skip_bad, progress_printer(lang.pick("导入", "importing")))?;
            for e in &summary.skipped {
                if e.line > 0 {
                    eprintln!("{} {}: {}", lang.pick("跳过第", "skipped line"), e.line, e.reason(lang));
                } else {
                    eprintln!("{}: {}", lang.pick("跳过", "skipped"), e.reason(lang));
                }
            }
            println!("{} {} / {} {}", lang.pick("已导入", "imported"), summary.imported, summary.rows, lang.pick("行", "rows"));
            Ok(())
        }
        Command::Import(ImportCommand::Users { file, data }) => {
            let mut till = open(&data.data)?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("{} {}", lang.pick("无法以 UTF-8 文本读取", "cannot read as UTF-8 text:"), file.display()))?;
            let n = opentill_till::demo::import_users(&mut till, &text)?;
            println!("{} {n}", lang.pick("已导入员工", "imported users"));
            Ok(())
        }
        Command::User(UserCommand::Add { data, id, name, role, pin }) => {
            let mut till = open(&data.data)?;
            let role = Role::parse(&role).ok_or_else(|| TillError::BadInput(format!("role `{role}` must be cashier, supervisor or manager")))?;
            till.add_user(&id, &name, role, &pin)?;
            println!("{} {id} ({})", lang.pick("已保存员工", "saved user"), role.name());
            Ok(())
        }
        Command::User(UserCommand::List { data }) => {
            let till = open(&data.data)?;
            for user in till.replica().users().map_err(TillError::from)? {
                println!("{}\t{}\t{}", user.user_id, user.role.name(), user.name);
            }
            Ok(())
        }
        Command::Product(ProductCommand::Lookup { data, code }) => {
            let till = open(&data.data)?;
            let p = till.lookup(&code)?;
            println!("{}\t{}\t{}\t{}\t{}", p.sku, p.name, p.name_zh, money(&till, p.price_minor), p.unit.name());
            Ok(())
        }
        Command::Product(ProductCommand::Publish { data }) => {
            let mut till = open(&data.data)?;
            let now = till.now_ms();
            let n = till.replica_mut().publish_catalog(now).map_err(TillError::from)?;
            println!("{} {n}", lang.pick("已加入共享商品目录的商品：", "products added to the shared catalog:"));
            Ok(())
        }
        Command::Product(ProductCommand::Search { data, query, limit }) => {
            let till = open(&data.data)?;
            for p in till.search(&query, limit)? {
                println!("{}\t{}\t{}\t{}\t{}", p.sku, p.barcodes.first().map_or("", String::as_str), p.name_zh, p.name, money(&till, p.price_minor));
            }
            Ok(())
        }
        Command::Sale(args) => sale(args, matches, lang),
        Command::Suspended(SuspendedCommand::List { data }) => {
            let till = open(&data.data)?;
            for s in till.replica().suspended().map_err(TillError::from)? {
                let basket: Option<opentill_core::basket::Basket> = serde_json::from_str(&s.basket_json).ok();
                let total = basket.map_or(0, |b| b.totals().total);
                println!("{}\t{}\t{}\t{}", s.basket_id, opentill_core::time::LocalTime::from_unix_ms(s.created_ms, till.replica().settings().utc_offset_min).date_time(), money(&till, total), s.label);
            }
            Ok(())
        }
        Command::Suspended(SuspendedCommand::Void { data, id, auth, reason }) => {
            let mut till = open(&data.data)?;
            let actor = till.authorize(&auth.user, &auth.pin, Permission::VoidSale, "void a sale")?;
            let sale = till.resume(&id)?;
            if let Err(e) = till.void_basket(&sale.basket, &id, &actor, &reason) {
                // Put it back: a refused void loses nothing.
                till.suspend_as(&sale, &id, "restored after a failed void")?;
                return Err(e.into());
            }
            println!("{} {id}", lang.pick("已作废挂单", "voided suspended sale"));
            Ok(())
        }
        Command::Refund(args) => {
            let mut till = open(&args.data.data)?;
            let pairs = pair_by_position(&args.lines, &indices(matches, "refund", "lines"), &args.qtys, &indices(matches, "refund", "qtys"), ("line", "qty"))?;
            let printer = args.print.as_deref().map(print::printer).transpose()?;
            let done = till.refund(&args.sale, &pairs, None, !args.no_restock)?;
            if args.format == Format::Json {
                let r = &done.refund;
                println!("{}", serde_json::json!({"refund_id": r.refund_id, "sale_id": r.sale_id, "total_minor": r.total, "receipt": till.refund_receipt(&done, lang)}));
            } else {
                print!("{}", till.refund_receipt(&done, lang));
                println!("refund_id: {}", done.refund.refund_id);
            }
            print::queue_and_print(&mut till, "refund", &done.refund.refund_id, printer.as_ref(), lang)?;
            Ok(())
        }
        Command::Shift(cmd) => run_shift(cmd, lang),
        Command::Stock(StockCommand::Show { data, sku }) => {
            let till = open(&data.data)?;
            match sku {
                Some(sku) => {
                    let product = till.replica().product_by_sku(&sku).map_err(TillError::from)?.ok_or_else(|| TillError::UnknownSku(sku.clone()))?;
                    let places: Vec<String> = till.replica().stock_at(&sku).map_err(TillError::from)?.into_iter().map(|(place, qty)| format!("{} {qty}", place_name(&place, lang))).collect();
                    println!("{}\t{}\t{}\t{}", sku, till.replica().stock(&sku).map_err(TillError::from)?, product.unit.name(), places.join("\t"));
                }
                None => {
                    for (sku, qty) in till.replica().stock_all().map_err(TillError::from)? {
                        println!("{sku}\t{qty}");
                    }
                }
            }
            Ok(())
        }
        Command::Stock(StockCommand::Move { data, sku, from, to, qty }) => {
            let mut till = open(&data.data)?;
            let places = till.move_stock(&sku, &from, &to, qty, "cli")?;
            println!("{sku}: {}", places.iter().map(|(place, qty)| format!("{} {qty}", place_name(place, lang))).collect::<Vec<_>>().join(", "));
            Ok(())
        }
        Command::Stock(StockCommand::Adjust { data, sku, delta, reason, location }) => {
            let mut till = open(&data.data)?;
            let on_hand = till.adjust_stock_at(&sku, delta, &reason, "cli", location.as_deref())?;
            println!("{sku}: {} {on_hand}", lang.pick("库存", "on hand"));
            Ok(())
        }
        Command::Stock(StockCommand::Suggest { data, days, safety_days, review_days }) => {
            let till = open(&data.data)?;
            let policy = opentill_till::stock::ReplenishPolicy { days, safety_days, review_days, ..Default::default() };
            let suggestions = till.replenishment(policy)?;
            if suggestions.is_empty() {
                println!("{}", lang.pick("无需补货", "nothing to reorder"));
            }
            for (p, s) in suggestions {
                let name = if lang == Lang::Zh && !p.name_zh.is_empty() { &p.name_zh } else { &p.name };
                let cover = s.days_of_cover.map_or("-".to_string(), |d| d.to_string());
                println!("{}\t{name}\t{} {}.{:03}\t{} {}\t{} {}\t{} {cover}\t{} {}", p.sku, lang.pick("日销", "a day"), s.daily_milli / 1000, s.daily_milli % 1000, lang.pick("库存+在途", "position"), s.position, lang.pick("补货点", "reorder at"), s.reorder_point, lang.pick("可售天数", "days of cover"), lang.pick("建议订购", "order"), s.qty);
            }
            Ok(())
        }
        Command::Supplier(SupplierCommand::Add { data, id, name, lead_time_days, phone }) => {
            let mut till = open(&data.data)?;
            till.put_supplier(&id, &name, lead_time_days, phone.as_deref())?;
            println!("{} {id}", lang.pick("已保存供应商", "supplier stored:"));
            Ok(())
        }
        Command::Supplier(SupplierCommand::List { data }) => {
            let till = open(&data.data)?;
            for s in till.suppliers()? {
                println!("{}\t{}\t{} {}\t{}", s.supplier_id, s.name, lang.pick("到货天数", "lead time days"), s.lead_time_days, s.phone.unwrap_or_default());
            }
            Ok(())
        }
        Command::Po(PoCommand::Create { data, supplier, lines }) => {
            let mut till = open(&data.data)?;
            let mut parsed = Vec::new();
            for spec in &lines {
                let mut parts = spec.split(':');
                let (Some(sku), Some(qty), Some(cost), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
                    return Err(TillError::BadInput(format!("--line `{spec}` must be SKU:QTY:COST")).into());
                };
                let qty = qty.parse().map_err(|_| TillError::BadInput(format!("--line `{spec}`: quantity `{qty}` is not a whole number")))?;
                parsed.push(opentill_core::stock::PoLine { sku: sku.to_string(), qty, unit_cost: amount(&till, cost, "--line")? });
            }
            let po = till.place_order(&supplier, parsed, "cli")?;
            println!("{} {}", lang.pick("已下采购单", "purchase order placed:"), po.row.po_id);
            print_po(&po, lang);
            Ok(())
        }
        Command::Po(PoCommand::Receive { data, po, lines }) => {
            let mut till = open(&data.data)?;
            let mut parsed = Vec::new();
            for spec in &lines {
                let Some((sku, qty)) = spec.split_once(':') else { return Err(TillError::BadInput(format!("--line `{spec}` must be SKU:QTY")).into()) };
                let qty = qty.parse().map_err(|_| TillError::BadInput(format!("--line `{spec}`: quantity `{qty}` is not a whole number")))?;
                parsed.push(opentill_core::stock::ReceivedLine { sku: sku.to_string(), qty });
            }
            match till.receive(po.as_deref(), parsed, "cli")? {
                Some(po) => print_po(&po, lang),
                None => println!("{}", lang.pick("已收货", "received")),
            }
            Ok(())
        }
        Command::Po(PoCommand::Amend { data, po, lines }) => {
            let mut till = open(&data.data)?;
            let order = till.purchase_order(&po)?;
            let mut parsed = Vec::new();
            for spec in &lines {
                let parts: Vec<&str> = spec.split(':').collect();
                let (sku, qty, cost) = match parts[..] {
                    [sku, qty] => (sku, qty, None),
                    [sku, qty, cost] => (sku, qty, Some(cost)),
                    _ => return Err(TillError::BadInput(format!("--line `{spec}` must be SKU:QTY or SKU:QTY:COST")).into()),
                };
                let qty = qty.parse().map_err(|_| TillError::BadInput(format!("--line `{spec}`: quantity `{qty}` is not a whole number")))?;
                let unit_cost = match cost {
                    Some(cost) => amount(&till, cost, "--line")?,
                    None => order.unit_cost(sku).ok_or_else(|| TillError::BadInput(format!("--line `{spec}`: {sku} is not on the order yet; give its cost as SKU:QTY:COST")))?,
                };
                parsed.push(opentill_core::stock::PoLine { sku: sku.to_string(), qty, unit_cost });
            }
            let po = till.amend_order(&po, parsed, "cli")?;
            println!("{} {}", lang.pick("已修改采购单", "purchase order amended:"), po.row.po_id);
            print_po(&po, lang);
            Ok(())
        }
        Command::Po(PoCommand::Cancel { data, po, reason }) => {
            let mut till = open(&data.data)?;
            let po = till.cancel_order(&po, &reason, "cli")?;
            println!("{} {}", lang.pick("已取消采购单", "purchase order cancelled:"), po.row.po_id);
            print_po(&po, lang);
            Ok(())
        }
        Command::Po(PoCommand::List { data }) => {
            let till = open(&data.data)?;
            for po in till.purchase_orders()? {
                print_po(&po, lang);
            }
            Ok(())
        }
        Command::O2o(O2oCommand::List { data, json }) => {
            let till = open(&data.data)?;
            let orders = till.o2o_orders()?;
            if json {
                println!("{}", serde_json::to_string(&orders).map_err(anyhow::Error::from)?);
                return Ok(());
            }
            if orders.is_empty() {
                println!("{}", lang.pick("没有线上订单", "no online orders"));
            }
            for o in &orders {
                print_order(o, lang);
            }
            Ok(())
        }
        Command::O2o(O2oCommand::Show { data, id }) => {
            let till = open(&data.data)?;
            let o = till.o2o_order(&id)?;
            print_order(&o, lang);
            let mut lines: Vec<(String, String, String, i64, i64)> = Vec::new();
            for l in &o.order.lines {
                let p = till.replica().product_by_sku(&l.sku).map_err(TillError::from)?;
                let (category, name) = p.map(|p| (p.category, if lang == Lang::Zh { p.name_zh } else { p.name })).unwrap_or_default();
                lines.push((category, l.sku.clone(), name, l.qty, till.replica().stock(&l.sku).map_err(TillError::from)?));
            }
            lines.sort();
            println!("{}", lang.pick("拣货单：", "pick list:"));
            for (category, sku, name, qty, on_hand) in lines {
                println!("  [{category}]\t{sku}\t{name}\t× {qty}\t{} {on_hand}", lang.pick("库存", "on hand"));
            }
            Ok(())
        }
        Command::O2o(O2oCommand::Step { data, id, step, note }) => {
            let mut till = open(&data.data)?;
            let step = match step.as_str() {
                "accept" => opentill_core::o2o::Step::Accepted,
                "reject" => opentill_core::o2o::Step::Rejected,
                "pick" => opentill_core::o2o::Step::Picked,
                "ready" => opentill_core::o2o::Step::Ready,
                "cancel" => opentill_core::o2o::Step::Cancelled,
                other => return Err(TillError::BadInput(format!("--step `{other}`: use accept, reject, pick, ready or cancel (handover has its own command)")).into()),
            };
            let o = till.o2o_step(&id, step, note.as_deref(), "cli")?;
            print_order(&o, lang);
            Ok(())
        }
        Command::O2o(O2oCommand::Handover { data, id, cash, note }) => {
            let mut till = open(&data.data)?;
            let tenders = match cash {
                Some(c) => Some(vec![Tender { kind: TenderKind::Cash, amount: amount(&till, &c, "--cash")?, reference: None }]),
                None => None,
            };
            let (o, done) = till.o2o_hand_over(&id, tenders, None, note.as_deref())?;
            print_order(&o, lang);
            println!("{}", till.sale_receipt(&done, lang));
            Ok(())
        }
        Command::Transfer(TransferCommand::Request { data, from, lines, note }) => {
            let mut till = open(&data.data)?;
            let t = till.request_transfer(&from, transfer_lines(&lines)?, note.as_deref(), "cli")?;
            print_transfer(&t, &till, lang);
            Ok(())
        }
        Command::Transfer(TransferCommand::Ship { data, id, to, lines, note }) => {
            let mut till = open(&data.data)?;
            let lines = if lines.is_empty() { None } else { Some(transfer_lines(&lines)?) };
            let t = till.ship_transfer(id.as_deref(), to.as_deref(), lines, note.as_deref(), "cli")?;
            print_transfer(&t, &till, lang);
            Ok(())
        }
        Command::Transfer(TransferCommand::Receive { data, id, lines, note }) => {
            let mut till = open(&data.data)?;
            let lines = if lines.is_empty() { None } else { Some(transfer_lines(&lines)?) };
            let t = till.receive_transfer(&id, lines, note.as_deref(), "cli")?;
            print_transfer(&t, &till, lang);
            Ok(())
        }
        Command::Transfer(TransferCommand::Cancel { data, id, reason }) => {
            let mut till = open(&data.data)?;
            let t = till.cancel_transfer(&id, reason.as_deref(), "cli")?;
            print_transfer(&t, &till, lang);
            Ok(())
        }
        Command::Transfer(TransferCommand::List { data, json }) => {
            let till = open(&data.data)?;
            let all = till.transfers()?;
            if json {
                println!("{}", serde_json::to_string(&all).map_err(anyhow::Error::from)?);
                return Ok(());
            }
            if all.is_empty() {
                println!("{}", lang.pick("没有调拨单", "no transfers"));
            }
            for t in &all {
                print_transfer(t, &till, lang);
            }
            Ok(())
        }
        Command::Stocktake(StocktakeCommand::Open { data, category, location }) => {
            let mut till = open(&data.data)?;
            let id = till.open_stocktake(category.as_deref(), location.as_deref())?;
            println!("{} {id}", lang.pick("已开始盘点", "stocktake opened:"));
            Ok(())
        }
        Command::Stocktake(StocktakeCommand::Count { data, id, scan, qty }) => {
            let mut till = open(&data.data)?;
            let product = till.count(&id, &scan, qty)?;
            println!("{}: {} {qty}", product.sku, lang.pick("盘点数", "counted"));
            Ok(())
        }
        Command::Stocktake(StocktakeCommand::Report { data, id }) => {
            let till = open(&data.data)?;
            print_stocktake(&till, &till.stocktake_report(&id)?, lang);
            Ok(())
        }
        Command::Stocktake(StocktakeCommand::Post { data, id }) => {
            let mut till = open(&data.data)?;
            let report = till.post_stocktake(&id, "cli")?;
            print_stocktake(&till, &report, lang);
            println!("{}", lang.pick("已过账：库存已按盘点数更新", "posted: stock on hand is now what was counted"));
            Ok(())
        }
        Command::Stock(StockCommand::ReorderLevel { data, sku, level }) => {
            let mut till = open(&data.data)?;
            let level = match level.as_str() {
                "none" => None,
                text => Some(text.parse::<i64>().map_err(|_| TillError::BadInput(format!("--level `{text}` must be a whole number or `none`")))?),
            };
            till.set_reorder_level(&sku, level)?;
            match level {
                Some(level) => println!("{sku}: {} {level}", lang.pick("补货线", "reorder level")),
                None => println!("{sku}: {}", lang.pick("已取消补货线", "reorder level removed")),
            }
            Ok(())
        }
        Command::StoredValue(StoredValueCommand::TopUp { data, account, amount: text, tender }) => {
            let mut till = open(&data.data)?;
            let value = amount(&till, &text, "--amount")?;
            let kind = TenderKind::parse(&tender).filter(|k| !matches!(k, TenderKind::StoredValue | TenderKind::Points)).ok_or_else(|| TillError::BadInput(format!("--tender `{tender}` must be cash, card or mobile")))?;
            let balance = till.top_up(&account, value, kind, "cli", None)?;
            println!("{account}: {} {}", lang.pick("余额", "balance"), money(&till, balance));
            Ok(())
        }
        Command::StoredValue(StoredValueCommand::Balance { data, account }) => {
            let till = open(&data.data)?;
            let balance = till.replica().stored_value(&account).map_err(TillError::from)?;
            println!("{account}: {} {}", lang.pick("余额", "balance"), money(&till, balance));
            Ok(())
        }
        Command::Pass(PassCommand::Issue { data, account, days }) => {
            let till = open(&data.data)?;
            let (pass, token) = till.issue_pass(&account, days.saturating_mul(86_400_000))?;
            eprintln!("{} {} ({account})", lang.pick("会员码", "pass"), pass.pass_id);
            println!("{token}");
            Ok(())
        }
        Command::Pass(PassCommand::Revoke { data, pass_id }) => {
            let mut till = open(&data.data)?;
            till.revoke_pass(&pass_id)?;
            println!("{} {pass_id}", lang.pick("已停用会员码", "revoked pass"));
            Ok(())
        }
        Command::MqttConfig(args) => mqtt_config(args, lang),
        Command::Broker(args) => Ok(mqtt::run_broker(args.listen, args.parent)?),
        Command::Shelf(ShelfCommand::Set { data, shelf, slot, sku, unit_grams, tolerance_grams, par }) => {
            let mut till = open(&data.data)?;
            till.set_shelf_slot(&shelf, &slot, &sku, unit_grams, tolerance_grams, par)?;
            println!("{shelf}/{slot}: {sku}, {unit_grams} g ± {tolerance_grams} g, {} {par}", lang.pick("补货线", "par"));
            Ok(())
        }
        Command::Promo(PromoCommand::Put { data, file }) => {
            let mut till = open(&data.data)?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("{} {}", lang.pick("无法读取", "cannot read"), file.display()))?;
            let id = till.put_promotion(&text)?;
            println!("{} {id}", lang.pick("已保存促销", "promotion stored:"));
            Ok(())
        }
        Command::Promo(PromoCommand::List { data }) => {
            let till = open(&data.data)?;
            let settings = till.replica().settings().clone();
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
            let head_office = till.replica().head_office_offers().map_err(opentill_till::TillError::from)?;
            for p in till.promotions()? {
                let running = if p.is_running(now, settings.utc_offset_min) { lang.pick("进行中", "running") } else { lang.pick("未进行", "not running") };
                let text = p.label_text_any(settings.currency, lang);
                let whose = if head_office.contains(&("promotion".to_string(), p.id.clone())) { lang.pick("\t总部设定", "\tset by head office") } else { "" };
                println!("{}\t{running}\t{text}{whose}", p.id);
            }
            print_set_aside(&till, lang)?;
            Ok(())
        }
        Command::Member(MemberCommand::Register { data, phone, name, birthday, referral }) => {
            let mut till = open(&data.data)?;
            let member = till.register_member(&phone, &name, birthday.as_deref(), referral.as_deref(), "cli")?;
            println!("{} {}", lang.pick("已注册会员", "member registered:"), member.row.member_id);
            print_member(&till, &member, lang);
            Ok(())
        }
        Command::Member(MemberCommand::Show { data, key }) => {
            let till = open(&data.data)?;
            print_member(&till, &till.member(&key)?, lang);
            Ok(())
        }
        Command::Member(MemberCommand::List { data, limit }) => {
            let till = open(&data.data)?;
            for m in till.members(limit)? {
                println!("{}\t{}\t{}\t{}\t{} {}\t{}", m.row.member_id, m.row.phone, m.row.name, lang.pick(&m.tier.name_zh, &m.tier.name_en), lang.pick("积分", "points"), m.row.points, money(&till, m.row.spend));
            }
            Ok(())
        }
        Command::Member(MemberCommand::Redeem { data, member, lines, id }) => {
            let mut till = open(&data.data)?;
            let lines: Vec<(String, i64)> = transfer_lines(&lines)?.into_iter().map(|l| (l.sku, l.qty)).collect();
            let redemption = till.redeem_points(&member, &lines, "cli", id.as_deref())?;
            print!("{}", till.redemption_receipt(&redemption, lang)?);
            Ok(())
        }
        Command::Member(MemberCommand::Program { data, set }) => {
            let mut till = open(&data.data)?;
            let program = match set {
                Some(file) => {
                    let text = std::fs::read_to_string(&file).with_context(|| format!("{} {}", lang.pick("无法读取", "cannot read"), file.display()))?;
                    till.set_member_program(&text)?
                }
                None => till.member_program()?,
            };
            println!("{}", serde_json::to_string_pretty(&program).context("member program")?);
            Ok(())
        }
        Command::Coupon(CouponCommand::Put { data, file }) => {
            let mut till = open(&data.data)?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("{} {}", lang.pick("无法读取", "cannot read"), file.display()))?;
            let id = till.put_coupon(&text)?;
            println!("{} {id}", lang.pick("已保存优惠券", "coupon stored:"));
            Ok(())
        }
        Command::Coupon(CouponCommand::List { data }) => {
            let till = open(&data.data)?;
            for c in till.coupons()? {
                let uses = till.offer_uses(&c.id, None)?;
                let limit = match c.uses {
                    opentill_core::promo::CouponUses::Single => "1".to_string(),
                    opentill_core::promo::CouponUses::Limited(n) => n.to_string(),
                    opentill_core::promo::CouponUses::Unlimited => lang.pick("不限", "unlimited").to_string(),
                };
                println!("{}	{} {uses}/{limit}", c.id, lang.pick("已用", "used"));
            }
            print_set_aside(&till, lang)?;
            Ok(())
        }
        Command::Coupon(CouponCommand::Remove { data, id }) => {
            let mut till = open(&data.data)?;
            till.remove_coupon(&id)?;
            println!("{} {id}", lang.pick("已删除优惠券", "coupon removed:"));
            Ok(())
        }
        Command::Promo(PromoCommand::Remove { data, id }) => {
            let mut till = open(&data.data)?;
            till.remove_promotion(&id)?;
            println!("{} {id}", lang.pick("已删除促销", "promotion removed:"));
            Ok(())
        }
        Command::Shelf(ShelfCommand::List { data }) => {
            let till = open(&data.data)?;
            for s in till.replica().shelf_slots(None).map_err(TillError::from)? {
                let reading = match (s.count, s.grams) {
                    (Some(c), Some(g)) => format!("{c} ({g} g)"),
                    _ => lang.pick("未读数", "no reading").to_string(),
                };
                println!("{}/{}\t{}\t{} g ± {} g\t{} {}\t{reading}", s.shelf, s.slot, s.sku, s.unit_grams, s.tolerance_grams, lang.pick("补货线", "par"), s.par);
            }
            Ok(())
        }
        Command::Shelf(ShelfCommand::Clear { data, shelf, slot }) => {
            let mut till = open(&data.data)?;
            till.clear_shelf_slot(&shelf, &slot)?;
            println!("{shelf}/{slot}: {}", lang.pick("已移出货架图", "cleared from the planogram"));
            Ok(())
        }
        Command::Print(cmd) => run_print(cmd, lang),
        Command::Store(cmd) => run_store(cmd, lang),
        Command::Device(cmd) => run_device(cmd, lang),
        Command::Decode { images } => {
            let mut failed = false;
            for path in &images {
                match opentill_hardware::image_decode::decode_file(path) {
                    Ok(found) if found.is_empty() => {
                        failed = true;
                        eprintln!("{}: {}", path.display(), lang.pick("没有找到条码", "no code found"));
                    }
                    Ok(found) => {
                        for code in found {
                            println!("{}\t{}\t{}", path.display(), code.format, code.text);
                        }
                    }
                    Err(e) => {
                        failed = true;
                        eprintln!("{e}");
                    }
                }
            }
            if failed { Err(Failure::Reported) } else { Ok(()) }
        }
        Command::Journal(JournalCommand::Verify { data }) => {
            let till = open(&data.data)?;
            let tty = std::io::stderr().is_terminal();
            let report = till.verify(|n| {
                if tty && n % 10_000 == 0 {
                    eprint!("\r{} {n}", lang.pick("已校验", "verified"));
                }
            })?;
            if tty && report.entries >= 10_000 {
                eprintln!();
            }
            if let Some((seq, problem)) = &report.first_bad {
                eprintln!("{} {seq}: {problem}", lang.pick("日志校验失败：第一条坏记录", "journal verification FAILED: first bad entry"));
                return Err(Failure::Reported);
            }
            if !report.projection_problems.is_empty() {
                for p in &report.projection_problems {
                    eprintln!("{}: {p}", lang.pick("日志校验失败", "journal verification FAILED"));
                }
                return Err(Failure::Reported);
            }
            println!("{}: {} {}", lang.pick("日志完好", "journal OK"), report.entries, lang.pick("条记录，哈希链、签名与序号均正确", "entries; sequence, hash chain and signatures verified"));
            Ok(())
        }
        Command::Journal(JournalCommand::Export { data, format }) => {
            let till = open(&data.data)?;
            export_journal(&till, format)
        }
        Command::Report(ReportCommand::Footfall { data, date }) => {
            let till = open(&data.data)?;
            let hours = till.footfall(&date)?;
            println!("{date}  {}", lang.pick("时段  进店  离店  拒绝", "hour  in    out   refused"));
            for (hour, entries, exits, refused) in &hours {
                println!("      {hour:02}:00 {entries:>5} {exits:>5} {refused:>5}");
            }
            let total: i64 = hours.iter().map(|h| h.1).sum();
            println!("{} {total}", lang.pick("进店合计", "entries in all"));
            Ok(())
        }
        Command::Report(ReportCommand::Commissions { data, from, to }) => {
            let till = open(&data.data)?;
            let rows = till.commission_report(from.as_deref(), to.as_deref())?;
            println!("{}\t{}\t{}\t{}", lang.pick("导购", "staff"), lang.pick("单数", "sales"), lang.pick("净销售额", "net"), lang.pick("提成", "commission"));
            for r in rows {
                println!("{}\t{}\t{}\t{}", r.staff, r.n_sales, money(&till, r.net), money(&till, r.commission));
            }
            Ok(())
        }
        Command::Report(ReportCommand::CommissionRules { data, set }) => {
            let mut till = open(&data.data)?;
            let rules = match set {
                Some(file) => {
                    let text = std::fs::read_to_string(&file).with_context(|| format!("{} {}", lang.pick("无法读取", "cannot read"), file.display()))?;
                    // Said here in the user's language; the till checks the same again.
                    let rules: opentill_core::commission::CommissionRules = serde_json::from_str(&text)
                        .map_err(|e| TillError::BadInput(format!("{}{}: {e}", lang.pick("提成规则的 JSON 有误：", "not valid commission rules JSON: "), file.display())))?;
                    let over: Vec<String> = std::iter::once((lang.pick("默认", "default").to_string(), rules.default_bp))
                        .chain(rules.by_category.iter().map(|(category, bp)| (category.clone(), *bp)))
                        .filter(|(_, bp)| *bp > 10_000)
                        .map(|(what, bp)| format!("{what} {bp} bp"))
                        .collect();
                    if !over.is_empty() {
                        return Err(TillError::BadInput(format!("{}{}", lang.pick("提成比例不能超过 100%（10000 bp）：", "a commission rate cannot be over 100 % (10000 bp): "), over.join(lang.pick("、", ", ")))).into());
                    }
                    let rules = till.set_commission_rules(&text)?;
                    eprintln!("{}", lang.pick("提成规则已保存", "commission rules saved"));
                    rules
                }
                None => till.commission_rules()?,
            };
            println!("{}", serde_json::to_string_pretty(&rules).context(lang.pick("提成规则", "commission rules"))?);
            Ok(())
        }
        Command::Report(ReportCommand::Analytics { data, by, from, to, limit, csv, list_members }) => {
            use opentill_core::analytics::{By, member_table, members_csv, report_csv, report_text};
            let by = match by {
                AnalyticsBy::Hour => By::Hour,
                AnalyticsBy::Day => By::Day,
                AnalyticsBy::Week => By::Week,
                AnalyticsBy::Category => By::Category,
                AnalyticsBy::Cashier => By::Cashier,
                AnalyticsBy::Tender => By::Tender,
                AnalyticsBy::Top => By::Top,
                AnalyticsBy::Slow => By::Slow,
                AnalyticsBy::Basket => By::Basket,
                AnalyticsBy::Members => By::Members,
                AnalyticsBy::Conversion => By::Conversion,
            };
            if list_members && by != By::Members {
                return Err(anyhow::anyhow!("{}", lang.pick("--list-members 只用于 --by members", "--list-members goes with --by members")).into());
            }
            let till = open(&data.data)?;
            let report = till.analytics(by, from.as_deref(), to.as_deref(), Some(limit as usize))?;
            let currency = till.replica().settings().currency;
            let out = match (list_members, csv) {
                (true, true) => members_csv(&report, currency, lang),
                (true, false) => {
                    let members = report.members.as_ref().context("members report")?;
                    opentill_core::analytics::table_text(&member_table(members, currency, lang), lang)
                }
                (false, true) => report_csv(&report, currency, lang),
                (false, false) => report_text(&report, currency, lang),
            };
            print!("{out}");
            Ok(())
        }
        Command::Report(ReportCommand::Sales { data, from, to, format }) => {
            let till = open(&data.data)?;
            let report = till.sales_report(from.as_deref(), to.as_deref())?;
            if format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&report).context("report to JSON")?);
            } else {
                print!("{}", sales_report_text(&report, till.replica().settings().currency, lang));
            }
            Ok(())
        }
        Command::Serve(args) => serve(args, lang),
        Command::Demo(args) => demo::run(args, lang),
        Command::Sync(command) => Ok(sync_cmd::run(command, lang)?),
        Command::Openapi => {
            println!("{}", opentill_till::api::openapi_document());
            Ok(())
        }
        Command::SaleLoop(args) => demo::sale_loop(args),
    }
}

/// Parses `10%` (basis points) or `2.00` (an amount).
fn parse_discount(till: &Till, text: &str) -> Result<opentill_core::basket::Discount, Failure> {
    use opentill_core::basket::Discount;
    match text.trim().strip_suffix('%') {
        Some(pct) => {
            let bp = parse_minor(pct, Currency::CNY).map_err(|e| TillError::BadInput(format!("discount `{text}`: {e}")))?;
            Ok(Discount::Percent(u32::try_from(bp).map_err(|_| TillError::BadInput(format!("discount `{text}` is too large")))?))
        }
        None => Ok(Discount::Amount(amount(till, text, &format!("discount `{text}`"))?)),
    }
}

fn line_spec<'a>(text: &'a str, what: &str) -> Result<(usize, &'a str), Failure> {
    let (line, rest) = text.split_once(':').ok_or_else(|| TillError::BadInput(format!("{what} `{text}` must look like LINE:VALUE")))?;
    let line: usize = line.trim().parse().ok().filter(|l| *l >= 1).ok_or_else(|| TillError::BadInput(format!("{what} `{text}`: line numbers start at 1")))?;
    Ok((line - 1, rest))
}

fn sale(args: cli::SaleArgs, matches: &clap::ArgMatches, lang: Lang) -> Outcome {
    let mut till = open(&args.data.data)?;
    let pairs = pair_by_position(&args.scans, &indices(matches, "sale", "scans"), &args.qtys, &indices(matches, "sale", "qtys"), ("scan", "qty"))?;
    let mut scans: Vec<ScanInput> = pairs.into_iter().map(|(code, qty)| ScanInput { code, qty }).collect();
    if let Some(port) = &args.scale {
        weigh(&till, &mut scans, port, lang)?;
    }
    if args.suspend.is_none() && args.tenders.is_empty() {
        return Err(TillError::BadInput("give at least one --tender (or --suspend LABEL to pay later)".into()).into());
    }
    if args.resume.is_none() && scans.is_empty() {
        return Err(TillError::BadInput("give at least one --scan (or --resume ID)".into()).into());
    }
    let tenders = args.tenders.iter().map(|t| parse_tender(&till, t)).collect::<Result<Vec<_>, _>>()?;
    let printer = args.print.as_deref().map(print::printer).transpose()?;
    // Everything is checked before a suspended basket is taken out, so a refused sale loses nothing.
    // A resumed sale keeps its member, coupons and who served the customer, unless given again.
    let (mut basket, kept) = match &args.resume {
        Some(id) => {
            let sale = till.suspended_sale(id)?;
            (sale.basket, sale.shopper)
        }
        None => (till.new_basket(), opentill_till::Shopper::default()),
    };
    till.ring_up(&mut basket, &scans)?;
    if !args.discounts.is_empty() || !args.prices.is_empty() || args.basket_discount.is_some() {
        let (Some(user), Some(pin)) = (&args.auth, &args.pin) else {
            return Err(TillError::BadInput("discounts and price changes need --auth USER --pin PIN of a supervisor".into()).into());
        };
        let actor = till.login(user, pin)?;
        for spec in &args.prices {
            let (line, price) = line_spec(spec, "--price")?;
            let price = amount(&till, price, &format!("--price {spec}"))?;
            basket.override_price(line, price, &actor).map_err(TillError::from)?;
        }
        for spec in &args.discounts {
            let (line, value) = line_spec(spec, "--discount")?;
            let discount = parse_discount(&till, value)?;
            basket.discount_line(line, discount, &actor).map_err(TillError::from)?;
        }
        if let Some(spec) = &args.basket_discount {
            let discount = parse_discount(&till, spec)?;
            basket.discount_basket(discount, &actor).map_err(TillError::from)?;
        }
    }
    // Promotions, member prices and coupons, for the best combination for the customer.
    let shopper = opentill_till::Shopper {
        member: args.member.clone().or(kept.member),
        coupons: if args.coupons.is_empty() { kept.coupons } else { args.coupons.clone() },
        served_by: args.served_by.clone().or(kept.served_by),
    };
    let pricing = till.price(&mut basket, &shopper)?;
    for refused in &pricing.refused {
        eprintln!("{} {}: {}", lang.pick("优惠券未使用", "coupon not used"), refused.coupon_id, refused.reason.text(lang, basket.currency));
    }
    if let Some(label) = &args.suspend {
        if basket.is_empty() {
            return Err(TillError::BadInput("nothing to suspend".into()).into());
        }
        // The new copy is durable before the old one goes: a crash between leaves two, never none.
        let id = till.suspend(&basket, &shopper, label)?;
        if let Some(old) = &args.resume {
            till.resume(old)?;
        }
        println!("{} {} ({})", lang.pick("已挂单", "suspended"), id, money(&till, basket.totals().total));
        println!("basket_id: {id}");
        return Ok(());
    }
    if till.replica().open_shift().map_err(TillError::from)?.is_none() {
        eprintln!("{}", lang.pick("注意：没有开班，本单记为班次外销售", "note: no shift is open; the sale is recorded outside any shift"));
    }
    let done = match &args.sale_id {
        Some(id) if args.resume.is_none() && args.discounts.is_empty() && args.prices.is_empty() && args.basket_discount.is_none() => till.sell_to(Some(id), &scans, &tenders, None, &shopper)?.0,
        _ => {
            if let Some(id) = &args.sale_id
                && let Some((ts_ms, sale)) = till.replica().sale(id).map_err(TillError::from)?
            {
                opentill_till::SaleDone { sale, ts_ms, seq: 0, new: false }
            } else {
                let done = till.checkout_for(&basket, args.sale_id.clone(), &tenders, None, &shopper)?;
                if let Some(id) = &args.resume {
                    // Paid: the suspended copy goes. A crash between the two leaves the
                    // suspended copy, never a lost sale.
                    till.resume(id)?;
                }
                done
            }
        }
    };
    if args.format == Format::Json {
        let sale = &done.sale;
        let value = serde_json::json!({
            "sale_id": sale.sale_id, "new": done.new, "ts_ms": done.ts_ms, "total_minor": sale.total,
            "change_minor": sale.change, "rounding_minor": sale.rounding, "tax_minor": sale.tax,
            "cash_taken_minor": sale.cash_taken(), "receipt": till.sale_receipt(&done, lang),
        });
        println!("{value}");
    } else {
        print!("{}", till.sale_receipt(&done, lang));
        if !done.new {
            println!("{}", lang.pick("（此销售单之前已记录，未重复记账）", "(this sale was already recorded; nothing new was recorded)"));
        }
        println!("sale_id: {}", done.sale.sale_id);
    }
    if let Some(port) = &args.display {
        display_sale(port, &done.sale, args.display_cjk, lang);
    }
    if done.new {
        // The sale is durable; printing comes after and never undoes it.
        print::queue_and_print(&mut till, "sale", &done.sale.sale_id, printer.as_ref(), lang)?;
    }
    Ok(())
}

/// Shows a sale on a customer display: its last item, then the total and the change.
/// A display that cannot be reached is reported and does not fail the sale.
pub(crate) fn display_sale(port: &std::path::Path, sale: &opentill_core::sale::SaleRecord, cjk: bool, lang: Lang) {
    let m = |minor: i64| Money::new(minor, sale.currency).plain();
    let show_lang = if cjk { lang } else { Lang::En };
    let mut shown = Vec::new();
    if let Some(line) = sale.lines.last() {
        let name = if show_lang == Lang::Zh && !line.name_zh.is_empty() { &line.name_zh } else { &line.name };
        shown.push(opentill_hardware::display::lines((name, &m(line.gross)), (opentill_core::i18n::Label::Total.text(show_lang), &m(sale.total))));
    }
    shown.push(opentill_hardware::display::lines(
        (opentill_core::i18n::Label::Total.text(show_lang), &m(sale.total)),
        (opentill_core::i18n::Label::Change.text(show_lang), &m(sale.change)),
    ));
    for rows in shown {
        if let Err(e) = opentill_hardware::serial::write_to(port, 9600, &opentill_hardware::display::show(&rows, cjk)) {
            eprintln!("{} {}: {e}", lang.pick("顾客显示屏", "customer display"), port.display());
            break;
        }
    }
}

/// Fills in the weight of weighed products scanned without a quantity from the scale,
/// waiting up to 3 s for it to settle.
pub(crate) fn weigh(till: &Till, scans: &mut [ScanInput], port: &std::path::Path, lang: Lang) -> Result<(), Failure> {
    use opentill_hardware::scale::Reading;
    for scan in scans.iter_mut().filter(|s| s.qty.is_none()) {
        let Ok(product) = till.lookup(&scan.code) else { continue };
        if product.unit != opentill_core::catalog::Unit::Kg {
            continue;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let grams = loop {
            match opentill_hardware::serial::read_scale(port, 9600, std::time::Duration::from_secs(1)) {
                Ok(Reading::Stable(grams)) if grams > 0 => break grams,
                Ok(Reading::Stable(_)) => return Err(TillError::BadInput(lang.pick("秤上没有商品", "nothing on the scale").into()).into()),
                Ok(Reading::InMotion) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(200)),
                Ok(other) => return Err(TillError::BadInput(format!("{}: {other:?}", lang.pick("秤无法称重", "the scale cannot weigh"))).into()),
                Err(e) => return Err(TillError::BadInput(format!("{} {}: {e}", lang.pick("秤", "scale"), port.display())).into()),
            }
        };
        eprintln!("{} {}.{:03} kg", product.display_name(lang), grams / 1000, grams % 1000);
        scan.qty = Some(format!("{}.{:03}", grams / 1000, grams % 1000));
    }
    Ok(())
}

fn run_store(cmd: StoreCommand, lang: Lang) -> Outcome {
    match cmd {
        StoreCommand::Show { data } => {
            let till = open(&data.data)?;
            let s = till.replica().settings();
            println!("store\t{}\nnode\t{}\nname\t{}\nname_zh\t{}\naddress\t{}\ncurrency\t{}\ntax_mode\t{:?}\ncash_rounding\t{}\nutc_offset_min\t{}\npaper_mm\t{}\nlogo\t{}",
                s.store_id, s.node_id, s.name, s.name_zh, s.address, s.currency.code(), s.tax_mode, s.cash_rounding.name(), s.utc_offset_min, s.paper_mm,
                till.logo_path().map_or_else(|| "-".to_string(), |p| p.display().to_string()));
            Ok(())
        }
        StoreCommand::Set { data, name, name_zh, address } => {
            let mut till = open(&data.data)?;
            let values: Vec<(&str, String)> = [("name", name), ("name_zh", name_zh), ("address", address)].into_iter().filter_map(|(f, v)| v.map(|v| (f, v.trim().to_string()))).collect();
            if values.is_empty() {
                return Err(TillError::BadInput(lang.pick("请至少给出 --name、--name-zh 或 --address 之一", "give at least one of --name, --name-zh, --address").to_string()).into());
            }
            till.set_store_settings(&values)?;
            let s = till.replica().settings();
            println!("{}: {} / {} / {}", lang.pick("小票抬头", "receipt header"), s.name, s.name_zh, s.address);
            Ok(())
        }
        StoreCommand::Paper { data, mm } => {
            let mut till = open(&data.data)?;
            if mm != 58 && mm != 80 {
                return Err(TillError::BadInput(lang.pick(&format!("小票纸宽 {mm} 无效，应为 58 或 80"), &format!("paper {mm} must be 58 or 80")).to_string()).into());
            }
            till.set_store_settings(&[("paper_mm", mm.to_string())])?;
            println!("{} {mm} mm", lang.pick("小票纸宽", "receipt paper"));
            Ok(())
        }
        StoreCommand::Logo { data, file } => {
            let till = open(&data.data)?;
            let raster = opentill_hardware::receipt_printer::Raster::from_file(&file, opentill_hardware::receipt_printer::dots_for_paper(till.replica().settings().paper_mm)).map_err(TillError::BadInput)?;
            let target = till.replica().dir().join("logo.png");
            std::fs::copy(&file, &target).with_context(|| format!("{} {}", lang.pick("无法保存", "cannot save"), target.display()))?;
            println!("{} {}x{} {}", lang.pick("小票标志", "receipt logo"), raster.width, raster.height, lang.pick("点", "dots"));
            Ok(())
        }
    }
}

#[cfg(feature = "camera")]
fn camera(index: u32, count: Option<usize>, lang: Lang) -> Outcome {
    let (feeder, found) = opentill_hardware::camera::start_decoder(std::time::Duration::from_secs(2));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let capture = std::thread::spawn(move || opentill_hardware::camera::run_webcam(index, feeder, flag));
    for (seen, code) in found.into_iter().enumerate() {
        println!("{}\t{}", code.format, code.text);
        if count.is_some_and(|c| seen + 1 >= c) {
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    match capture.join() {
        Ok(Err(e)) => Err(TillError::BadInput(format!("{}: {e}", lang.pick("摄像头", "camera"))).into()),
        _ => Ok(()),
    }
}

#[cfg(not(feature = "camera"))]
fn camera(_index: u32, _count: Option<usize>, lang: Lang) -> Outcome {
    Err(TillError::BadInput(lang.pick("此版本未包含摄像头支持：用 cargo build --features camera 构建", "this build has no camera support: build with cargo build -p opentill-edge --features camera").into()).into())
}

fn run_device(cmd: DeviceCommand, lang: Lang) -> Outcome {
    use opentill_hardware::scale::Reading;
    use opentill_hardware::serial::ScannerEvent;
    match cmd {
        DeviceCommand::List { data } => {
            let till = open(&data.data)?;
            let offset = till.replica().settings().utc_offset_min;
            for d in till.replica().devices().map_err(TillError::from)? {
                let name = match lang {
                    Lang::Zh if !d.name_zh.is_empty() => d.name_zh.clone(),
                    _ => d.name.clone(),
                };
                let state = match (d.retired, d.last_seen_ms) {
                    (true, _) => lang.pick("已停用", "retired").to_string(),
                    (false, None) => lang.pick("尚未连接", "never heard from").to_string(),
                    (false, Some(ms)) => format!("{} {} {}", if d.online { lang.pick("在线", "online") } else { lang.pick("离线", "offline") }, lang.pick("最后消息", "last seen"), opentill_core::time::LocalTime::from_unix_ms(ms, offset).date_time()),
                };
                println!("{}\t{}\t{name}\t{}\t{state}", d.device, d.kind, d.location);
            }
            Ok(())
        }
        DeviceCommand::Register { data, device, kind, name, name_zh, location } => {
            let mut till = open(&data.data)?;
            till.register_device(&device, kind.as_deref(), &name, &name_zh, &location, false)?;
            println!("{} {device}", lang.pick("已登记设备", "registered device"));
            Ok(())
        }
        DeviceCommand::Retire { data, device } => {
            let mut till = open(&data.data)?;
            let Some(d) = till.replica().devices().map_err(TillError::from)?.into_iter().find(|d| d.device == device) else {
                return Err(TillError::BadInput(format!("{} {device}", lang.pick("没有这台设备：", "no such device:"))).into());
            };
            till.register_device(&device, Some(&d.kind), &d.name, &d.name_zh, &d.location, true)?;
            println!("{} {device}", lang.pick("已停用设备", "retired device"));
            Ok(())
        }
        DeviceCommand::Scale { port, baud } => match opentill_hardware::serial::read_scale(&port, baud, std::time::Duration::from_secs(2)) {
            Ok(Reading::Stable(grams)) => {
                println!("{}.{:03} kg", grams / 1000, grams % 1000);
                Ok(())
            }
            Ok(other) => {
                let text = match other {
                    Reading::InMotion => lang.pick("秤未稳定，请稍候", "scale in motion, wait"),
                    Reading::OverCapacity => lang.pick("超过秤的量程", "over capacity"),
                    _ => lang.pick("秤低于零点，请归零", "under zero, re-zero the scale"),
                };
                Err(TillError::BadInput(text.into()).into())
            }
            Err(e) => Err(TillError::BadInput(format!("{} {}: {e}", lang.pick("秤", "scale"), port.display())).into()),
        },
        DeviceCommand::Camera { index, count } => camera(index, count, lang),
        DeviceCommand::Scanner { port, baud, terminator, count } => {
            let terminator = opentill_hardware::scanner::Terminator::parse(&terminator).ok_or_else(|| TillError::BadInput(format!("--terminator `{terminator}` must be cr, lf or tab")))?;
            let scanner = opentill_hardware::serial::SerialScanner { path: port, baud, terminator };
            let (tx, rx) = std::sync::mpsc::channel();
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = stop.clone();
            let thread = std::thread::spawn(move || scanner.run(tx, flag));
            let mut seen = 0;
            for event in rx {
                match event {
                    ScannerEvent::Connected => eprintln!("{}", lang.pick("扫描枪已连接", "scanner connected")),
                    ScannerEvent::Disconnected(why) => eprintln!("{}: {why}", lang.pick("扫描枪已断开，等待重新连接", "scanner disconnected, waiting for it")),
                    ScannerEvent::Rejected(e) => eprintln!("{}: {e}", lang.pick("已丢弃", "dropped")),
                    ScannerEvent::Scan(code) => {
                        println!("{code}");
                        seen += 1;
                        if count.is_some_and(|c| seen >= c) {
                            break;
                        }
                    }
                }
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = thread.join();
            Ok(())
        }
    }
}

fn run_print(cmd: PrintCommand, lang: Lang) -> Outcome {
    match cmd {
        PrintCommand::Queue { data } => {
            let till = open(&data.data)?;
            for job in till.replica().pending_prints().map_err(TillError::from)? {
                println!("{}\t{}\t{}\t{}\t{}", job.job_id, job.kind, job.ref_id, job.attempts, job.last_error.unwrap_or_default());
            }
            Ok(())
        }
        PrintCommand::Pending { data, printer } => {
            let mut till = open(&data.data)?;
            let address = print::printer(&printer)?;
            let jobs = till.replica().pending_prints().map_err(TillError::from)?;
            let (mut printed, mut failed) = (0, 0);
            for job in &jobs {
                match print::print_job(&mut till, &job.job_id, &job.kind, &job.ref_id, &address, lang)? {
                    Ok(()) => printed += 1,
                    Err(reason) => {
                        failed += 1;
                        eprintln!("{} {}: {reason}", job.kind, job.ref_id);
                        // The printer is not taking jobs; the rest stay queued in order.
                        break;
                    }
                }
            }
            println!("{} {printed}, {} {}", lang.pick("已打印", "printed"), lang.pick("仍在队列", "still queued"), jobs.len() - printed);
            if failed > 0 { Err(Failure::Reported) } else { Ok(()) }
        }
        PrintCommand::Receipt { data, sale, refund, printer } => {
            let mut till = open(&data.data)?;
            let address = print::printer(&printer)?;
            let (kind, id) = match (&sale, &refund) {
                (Some(s), _) => ("sale", s.clone()),
                (None, Some(r)) => ("refund", r.clone()),
                (None, None) => return Err(TillError::BadInput("give --sale ID or --refund ID".into()).into()),
            };
            till.printable(kind, &id, lang)?;
            let job_id = till.queue_receipt(kind, &id)?;
            match print::print_job(&mut till, &job_id, kind, &id, &address, lang)? {
                Ok(()) => {
                    println!("{} {kind} {id}", lang.pick("已重打", "reprinted"));
                    Ok(())
                }
                Err(reason) => Err(TillError::BadInput(reason).into()),
            }
        }
        PrintCommand::Status { printer } => {
            let address = print::printer(&printer)?;
            match opentill_hardware::transport::printer_state(&address, print::PRINTER_TIMEOUT) {
                Ok(Some(state)) => {
                    println!("{}", lang.pick(state.message().0, state.message().1));
                    if state.can_print() { Ok(()) } else { Err(Failure::Reported) }
                }
                Ok(None) => {
                    println!("{}", lang.pick("文件或设备打印机不回报状态", "a file or device printer reports no status"));
                    Ok(())
                }
                Err(e) => Err(TillError::BadInput(opentill_till::printing::failure_text(&e, lang)).into()),
            }
        }
    }
}

fn run_shift(cmd: ShiftCommand, lang: Lang) -> Outcome {
    let print_report = |till: &Till, report: &opentill_core::shift::ShiftReport, format: Format| -> Outcome {
        if format == Format::Json {
            println!("{}", serde_json::to_string_pretty(report).context("report to JSON")?);
        } else {
            let mut layout = till.layout(lang);
            layout.width = WIDTH_80MM;
            print!("{}", shift_report_text(report, till.replica().settings().currency, layout));
        }
        Ok(())
    };
    match cmd {
        ShiftCommand::Open { data, auth, float } => {
            let mut till = open(&data.data)?;
            let actor = till.authorize(&auth.user, &auth.pin, Permission::Sell, "open a shift")?;
            let float = amount(&till, &float, "--float")?;
            let shift_id = till.open_shift(&actor, float)?;
            println!("{} {shift_id} ({}, {} {})", lang.pick("已开班", "opened shift"), actor.user_id, lang.pick("备用金", "float"), money(&till, float));
            Ok(())
        }
        ShiftCommand::CashIn(args) => cash(&args, CashDirection::In, lang),
        ShiftCommand::CashOut(args) => cash(&args, CashDirection::Out, lang),
        ShiftCommand::NoSale { data, auth, reason, print: printer } => {
            let mut till = open(&data.data)?;
            let printer = printer.as_deref().map(print::printer).transpose()?;
            let actor = till.login(&auth.user, &auth.pin)?;
            till.no_sale(&reason, &actor)?;
            if let Some(address) = &printer {
                print::kick_drawer(address, lang)?;
            }
            println!("{}", lang.pick("已开钱箱（无销售），已记录", "drawer opened (no sale), recorded"));
            Ok(())
        }
        ShiftCommand::Status { data } => {
            let till = open(&data.data)?;
            let expected = till.replica().drawer_expected().map_err(TillError::from)?;
            match till.replica().open_shift().map_err(TillError::from)? {
                Some((shift, cashier)) => println!("{} {shift} ({cashier})", lang.pick("当前班次", "open shift")),
                None => println!("{}", lang.pick("没有开班", "no shift open")),
            }
            println!("{} {}", lang.pick("钱箱应有现金", "cash in drawer"), money(&till, expected));
            println!("drawer_minor: {expected}");
            Ok(())
        }
        ShiftCommand::XReport { data, format } => {
            let mut till = open(&data.data)?;
            let report = till.x_report()?;
            print_report(&till, &report, format)
        }
        ShiftCommand::Close { data, auth, counted, format } => {
            let mut till = open(&data.data)?;
            let actor = till.login(&auth.user, &auth.pin)?;
            let counted = amount(&till, &counted, "--counted")?;
            let report = till.close_shift(counted, &actor)?;
            print_report(&till, &report, format)
        }
    }
}

fn cash(args: &cli::CashArgs, direction: CashDirection, lang: Lang) -> Outcome {
    let mut till = open(&args.data.data)?;
    let actor = till.login(&args.auth.user, &args.auth.pin)?;
    let value = amount(&till, &args.amount, "--amount")?;
    till.move_cash(direction, value, &args.reason, &actor)?;
    let label = match direction {
        CashDirection::In => lang.pick("已存入", "cash in"),
        CashDirection::Out => lang.pick("已取出", "cash out"),
    };
    println!("{label} {}; {} {}", money(&till, value), lang.pick("钱箱应有", "drawer should hold"), money(&till, till.replica().drawer_expected().map_err(TillError::from)?));
    Ok(())
}

fn export_journal(till: &Till, format: ExportFormat) -> Outcome {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut first = true;
    match format {
        ExportFormat::Json => writeln!(out, "[")?,
        ExportFormat::Csv => writeln!(out, "seq,node_id,ts_ms,kind,prev_hash,hash,signature,body")?,
    }
    let mut write_error: Option<std::io::Error> = None;
    till.replica()
        .for_each_entry(1, |e| {
            let body_text = String::from_utf8_lossy(&e.body).into_owned();
            let result = match format {
                ExportFormat::Json => {
                    let body: serde_json::Value = serde_json::from_slice(&e.body).unwrap_or(serde_json::Value::String(body_text));
                    let entry = serde_json::json!({
                        "seq": e.seq, "node_id": e.node_id, "ts_ms": e.ts_ms, "kind": e.kind,
                        "prev_hash": hex(&e.prev_hash), "hash": hex(&e.hash), "signature": hex(&e.signature), "body": body,
                    });
                    let sep = if first { "" } else { ",\n" };
                    write!(out, "{sep}{entry}")
                }
                ExportFormat::Csv => writeln!(out, "{},{},{},{},{},{},{},\"{}\"", e.seq, e.node_id, e.ts_ms, e.kind, hex(&e.prev_hash), hex(&e.hash), hex(&e.signature), body_text.replace('"', "\"\"")),
            };
            first = false;
            if let Err(err) = result {
                write_error.get_or_insert(err);
            }
            Ok(())
        })
        .map_err(TillError::from)?;
    if let Some(err) = write_error {
        return Err(err.into());
    }
    if format == ExportFormat::Json {
        writeln!(out, "\n]")?;
    }
    out.flush()?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_offset(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => (1, text),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 60 + m))
}

fn parse_currency(text: &str) -> Option<Currency> {
    let (code, exp) = text.split_once(':').unwrap_or((text, "2"));
    Currency::new(code, exp.parse().ok()?).ok()
}

fn serve(args: cli::ServeArgs, lang: Lang) -> Outcome {
    let till = open(&args.data.data)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("{} {}", lang.pick("无法监听", "cannot listen on"), args.listen))?;
        let addr = listener.local_addr().context("local address")?;
        println!("{} http://{addr}/api/openapi.json", lang.pick("本地 API 已启动：", "local API listening:"));
        let mut state = opentill_till::api::AppState::new(till);
        if let Some(text) = &args.printer {
            let address = print::printer(text)?;
            println!("{} {address}", lang.pick("小票打印机：", "receipt printer:"));
            state = state.with_printer(address);
        }
        let shrink_window = std::time::Duration::from_secs(args.shrink_window_secs.max(1));
        match mqtt::parse_mode(&args.mqtt).map_err(anyhow::Error::msg)? {
            mqtt::MqttMode::Off => {}
            mqtt::MqttMode::Embedded(addr) => {
                mqtt::spawn_embedded(addr)?;
                println!("{} mqtt://{addr}", lang.pick("设备 MQTT 代理已启动：", "device MQTT broker listening:"));
                let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
                tokio::spawn(mqtt::run_bridge(host, addr.port(), None, None, shrink_window, state.till(), state.stats()));
            }
            mqtt::MqttMode::External { host, port, credentials, tls } => {
                let ca = if tls { Some(mqtt::load_ca(args.mqtt_ca.as_deref())?) } else { None };
                let scheme = if tls { "mqtts" } else { "mqtt" };
                println!("{} {scheme}://{host}:{port}", lang.pick("设备 MQTT 代理：", "device MQTT broker:"));
                tokio::spawn(mqtt::run_bridge(host, port, credentials, ca, shrink_window, state.till(), state.stats()));
            }
        }
        if args.push_every_secs > 0 {
            let (data, every) = (args.data.data.clone(), std::time::Duration::from_secs(args.push_every_secs));
            let most = std::time::Duration::from_secs(args.push_backoff_max_secs.max(args.push_every_secs));
            std::thread::Builder::new().name("cloud-push".into()).spawn(move || sync_cmd::push_forever(data, every, most)).context("starting the cloud push thread")?;
        }
        // The store's tills sync with this agent (enrol, journals, catalog) on the same port.
        let mut app = opentill_till::api::router(state).merge(relay::routes(&args.data.data)?);
        if let Some(dir) = ui::resolve(args.ui) {
            println!("{} http://{addr}/", lang.pick("收银界面：", "till in the browser:"));
            app = ui::with_ui(app, dir);
        }
        axum_serve(listener, app).await
    })?;
    Ok(())
}

async fn axum_serve(listener: tokio::net::TcpListener, app: opentill_till::api::Router) -> anyhow::Result<()> {
    opentill_till::api::serve(listener, app, async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    })
    .await
    .context("serving HTTP")
}

fn mqtt_config(args: cli::MqttConfigArgs, lang: Lang) -> Outcome {
    use rand::{Rng, SeedableRng};
    let till = open(&args.data.data)?;
    let store = till.replica().settings().store_id.clone();
    let mut devices = Vec::new();
    for text in &args.devices {
        devices.push(mqtt_config::parse_device(text).map_err(|e| TillError::BadInput(format!("--device {e}")))?);
    }
    // The store's registry (shared: an agent set up afresh gets it from the cloud), less
    // retired devices, which get no password.
    for d in till.replica().devices().map_err(TillError::from)? {
        if !d.retired && !devices.iter().any(|s| s.id == d.device) {
            devices.push(mqtt_config::DeviceSpec { id: d.device, kind: d.kind });
        }
    }
    // The broker runs as whoever owns these private files: this user unless told otherwise.
    let broker_user = match &args.broker_user {
        Some(user) => user.clone(),
        None => std::process::Command::new("id").arg("-un").output().ok().and_then(|o| String::from_utf8(o.stdout).ok()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).unwrap_or_else(|| "mosquitto".into()),
    };
    let out = &args.out;
    if out.join("passwd").exists() && !args.force {
        return Err(TillError::BadInput(format!("{} {}", out.display(), lang.pick("已有配置；加 --force 以重新生成（所有设备密码都会改变）", "already holds a configuration; add --force to replace it (every device gets a new password)"))).into());
    }
    std::fs::create_dir_all(out.join("data"))?;
    let out = out.canonicalize()?;
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| anyhow::anyhow!("no randomness for passwords: {e}"))?;
    let mut rng = rand::rngs::StdRng::from_seed(seed);
    let (mut passwd, mut credentials) = (String::new(), String::new());
    for user in std::iter::once(mqtt_config::AGENT_USER.to_string()).chain(devices.iter().map(|d| d.id.clone())) {
        let password: String = (0..24).map(|_| rng.sample(rand::distributions::Alphanumeric) as char).collect();
        let salt: [u8; 12] = rng.r#gen();
        passwd.push_str(&mqtt_config::password_line(&user, &password, &salt));
        passwd.push('\n');
        credentials.push_str(&format!("{user} {password}\n"));
    }
    let private = |path: std::path::PathBuf, text: &str| -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
        file.write_all(text.as_bytes())
    };
    private(out.join("passwd"), &passwd)?;
    private(out.join("credentials.txt"), &credentials)?;
    std::fs::write(out.join("acl"), mqtt_config::acl(&store, &devices))?;
    std::fs::write(out.join("mosquitto.conf"), mqtt_config::mosquitto_conf(&args.listen, &out, &broker_user))?;
    println!("{} {} ({} {})", lang.pick("已写入 Mosquitto 配置：", "wrote a Mosquitto configuration to"), out.display(), devices.len(), lang.pick("台设备", "devices"));
    println!("  mosquitto -c {}/mosquitto.conf", out.display());
    println!("  {} {}/credentials.txt", lang.pick("各设备的用户名和密码见", "each device's user and password are in"), out.display());
    println!("  opentill-edge serve --mqtt mqtt://{}:PASSWORD@HOST:{}", mqtt_config::AGENT_USER, args.listen.port());
    Ok(())
}

fn print_member(till: &opentill_till::Till, m: &opentill_till::members::MemberView, lang: Lang) {
    let r = &m.row;
    println!("{}: {}  {}  {}", lang.pick("会员", "member"), r.member_id, r.name, r.phone);
    println!("{}: {}", lang.pick("等级", "tier"), lang.pick(&m.tier.name_zh, &m.tier.name_en));
    println!("{}: {}", lang.pick("累计消费", "lifetime spend"), money(till, r.spend));
    println!("{}: {}", lang.pick("积分", "points"), r.points);
    println!("{}: {}", lang.pick("推荐码", "referral code"), r.referral_code);
    if let Some(b) = &r.birthday {
        println!("{}: {b}", lang.pick("生日", "birthday"));
    }
    if !m.merged.is_empty() {
        println!("{}: {}", lang.pick("已合并的重复注册", "merged duplicate registrations"), m.merged.join(", "));
    }
}

fn print_po(po: &opentill_till::stock::PoView, lang: Lang) {
    let state = match po.state {
        "open" => lang.pick("待收货", "open"),
        "partial" => lang.pick("部分收货", "partly received"),
        "over" => lang.pick("超收", "received, some over"),
        "cancelled" => lang.pick("已取消", "cancelled"),
        _ => lang.pick("已收齐", "received"),
    };
    match &po.row.cancelled {
        Some((_, reason)) => println!("{}\t{}\t{state}: {reason}", po.row.po_id, po.row.supplier_id),
        None => println!("{}\t{}\t{state}", po.row.po_id, po.row.supplier_id),
    }
    for l in &po.lines {
        print!("  {}\t{} {}\t{} {}\t{} {}\t{} {}", l.sku, lang.pick("订购", "ordered"), l.ordered, lang.pick("已收", "received"), l.received, lang.pick("待收", "outstanding"), po.outstanding(l), lang.pick("超收", "over"), l.over());
        match po.closed(l) {
            0 => println!(),
            closed => println!("\t{} {closed}", lang.pick("取消未到", "cancelled before it came")),
        }
    }
}

/// Offers and settings the store has but does not run, and why (after the lists).
fn print_set_aside(till: &Till, lang: Lang) -> anyhow::Result<()> {
    for a in till.offers_set_aside()? {
        let section = match a.section.as_str() {
            "promotion" => lang.pick("促销", "promotion"),
            "coupon" => lang.pick("优惠券", "coupon"),
            _ => lang.pick("设置", "setting"),
        };
        println!("{}\t{}\t{section}: {}", a.id, lang.pick("未执行", "set aside"), lang.pick(&a.reason_zh, &a.reason));
    }
    Ok(())
}

fn print_stocktake(till: &Till, report: &opentill_till::stock::StocktakeReport, lang: Lang) {
    let mut scope = report.category.clone().unwrap_or_else(|| lang.pick("全店", "whole store").to_string());
    if let Some(place) = &report.location {
        scope = format!("{scope}, {}", place_name(place, lang));
    }
    println!("{} {} ({scope})", lang.pick("盘点", "stocktake"), report.stocktake_id);
    println!("SKU\t{}\t{}\t{}\t{}", lang.pick("账面", "expected"), lang.pick("实盘", "counted"), lang.pick("差异", "variance"), lang.pick("差异金额", "value"));
    for l in &report.lines {
        println!("{}\t{}\t{}\t{:+}\t{}", l.product.sku, l.expected, l.counted, l.delta(), money(till, l.value()));
    }
    println!("{}: {}", lang.pick("差异合计", "total variance"), money(till, report.value()));
    for (sku, on_hand) in report.uncounted.iter().take(5) {
        println!("{} {sku} ({} {on_hand})", lang.pick("未盘点：", "not counted:"), lang.pick("账面", "on hand"));
    }
    if report.uncounted.len() > 5 {
        println!("{} {}", lang.pick("……另有未盘点商品", "… and more not counted:"), report.uncounted.len() - 5);
    }
}

/// Parses `--line SKU:QTY` values.
fn transfer_lines(specs: &[String]) -> Result<Vec<opentill_core::transfer::TransferLine>, TillError> {
    specs
        .iter()
        .map(|spec| {
            let Some((sku, qty)) = spec.split_once(':') else { return Err(TillError::BadInput(format!("--line `{spec}` must be SKU:QTY"))) };
            let qty = qty.parse().map_err(|_| TillError::BadInput(format!("--line `{spec}`: quantity `{qty}` is not a whole number")))?;
            Ok(opentill_core::transfer::TransferLine { sku: sku.to_string(), qty })
        })
        .collect()
}

/// A transfer: its id, ends and state, then a line per SKU.
fn print_transfer(t: &opentill_core::transfer::Transfer, till: &Till, lang: Lang) {
    let me = &till.replica().settings().store_id;
    let direction = if &t.to_store == me { lang.pick("调入", "in") } else { lang.pick("调出", "out") };
    let overridden = if t.cancel_overridden { lang.pick("（取消与发货冲突：以发货为准）", " (a cancellation crossed the shipment: the shipment stands)") } else { "" };
    println!("{}\t{direction}\t{} → {}\t{}{overridden}", t.transfer_id, t.from_store, t.to_store, t.state.label(lang));
    for l in &t.lines {
        let name = till.replica().product_by_sku(&l.sku).ok().flatten().map(|p| if lang == Lang::Zh { p.name_zh } else { p.name }).unwrap_or_default();
        let mut text = format!("  {}\t{name}\t{} {}\t{} {}\t{} {}", l.sku, lang.pick("申请", "requested"), l.requested, lang.pick("发出", "shipped"), l.shipped, lang.pick("收到", "received"), l.received);
        let variance = l.variance(t.state);
        if variance != 0 {
            text.push_str(&format!("\t{} {variance:+}", lang.pick("差异", "variance")));
        }
        if l.in_transit(t.state) > 0 {
            text.push_str(&format!("\t{} {}", lang.pick("在途", "in transit"), l.in_transit(t.state)));
        }
        println!("{text}");
    }
}

/// An order: id, channel, fulfilment, state, customer, then its lines.
fn print_order(o: &opentill_core::o2o::OrderView, lang: Lang) {
    use opentill_core::o2o::Fulfilment;
    let fulfilment = match o.order.fulfilment {
        Fulfilment::Pickup => lang.pick("自提", "pickup"),
        Fulfilment::Delivery => lang.pick("配送", "delivery"),
    };
    let yuan = |m: i64| format!("¥{}.{:02}", m / 100, m % 100);
    let mut head = format!("{}\t{}\t{fulfilment}\t{}\t{} {}", o.order.order_id, o.order.channel, o.state.label(lang), o.order.customer_name, o.order.customer_phone);
    if let Some(q) = o.quoted_minor {
        head.push_str(&format!("\t{} {}", lang.pick("报价", "quoted"), yuan(q)));
    }
    if let Some((sale, total)) = &o.sale {
        head.push_str(&format!("\t{} {sale} {}", lang.pick("销售单", "sale"), yuan(*total)));
    }
    if o.conflict.is_some() {
        head.push_str(lang.pick("\t（交付后被取消：以交付为准，请总部处理）", "\t(cancelled after handover: the handover stands; head office settles it)"));
    }
    println!("{head}");
    for l in &o.order.lines {
        println!("  {}\t× {}", l.sku, l.qty);
    }
}

/// A place in the store, as people say it.
fn place_name(place: &str, lang: Lang) -> String {
    match place {
        "floor" => lang.pick("卖场", "floor"),
        "backroom" => lang.pick("后仓", "backroom"),
        "warehouse" => lang.pick("仓库", "warehouse"),
        other => other,
    }
    .to_string()
}
