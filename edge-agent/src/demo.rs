//! `opentill-edge demo`: a store set up from the built-in fixtures, sample sales, reports.
//! And `sale-loop`, the workload of the crash-safety test.

use std::io::Write;

use anyhow::Context;
use opentill_core::catalog::Unit;
use opentill_core::i18n::Lang;
use opentill_core::journal::CashDirection;
use opentill_core::receipt::{WIDTH_80MM, sales_report_text, shift_report_text};
use opentill_core::role::Permission;
use opentill_core::tender::{Tender, TenderKind};
use opentill_till::{ScanInput, Till};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::cli::{DemoArgs, SaleLoopArgs};
use crate::{Failure, Outcome, progress_printer};

fn heading(title: &str) {
    println!("\n==== {title} ====");
}

pub fn run(args: DemoArgs, lang: Lang) -> Outcome {
    let dir = match args.data {
        Some(dir) => dir,
        None => {
            let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
            std::env::temp_dir().join(format!("opentill-demo-{stamp}"))
        }
    };
    heading(lang.pick("创建门店", "Store created"));
    println!("{} {}", lang.pick("数据目录", "data directory"), dir.display());

    heading(lang.pick("导入商品与员工", "Importing catalog and staff"));
    let (mut till, created) = opentill_till::demo::create(&dir, progress_printer(lang.pick("导入", "importing")))?;
    if let opentill_till::demo::Opened::Created { products, staff } = created {
        println!("{} {products}", lang.pick("商品", "products"));
        println!("{} {staff}", lang.pick("员工", "staff"));
    }

    // A shelf of products to sell: the first few hundred codes, some of them weighed.
    let codes = till.replica().barcodes(5000).map_err(opentill_till::TillError::from)?;
    let mut rng = StdRng::seed_from_u64(20261122);
    let mut shelf: Vec<(String, Unit)> = codes.iter().filter(|(_, u)| *u == Unit::Each).take(40).cloned().collect();
    shelf.extend(codes.iter().filter(|(_, u)| *u == Unit::Kg).take(5).cloned());
    for (code, unit) in &shelf {
        let sku = till.lookup(code)?.sku;
        let delta = if *unit == Unit::Kg { 30_000 } else { 48 };
        till.adjust_stock(&sku, delta, "receive", "m01")?;
    }
    println!("{} {}", lang.pick("已入库商品", "stocked products"), shelf.len());

    // The store's receipt printer: a simulated ESC/POS network printer on loopback that
    // decodes what it receives, so the receipts below went over the real wire.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("starting the simulated printer")?;
    let printer_addr = format!("tcp:{}", listener.local_addr().context("printer address")?);
    let printer = crate::print::printer(&printer_addr)?;
    let sim = opentill_hardware::sim::PrinterSim::new(None);
    let serving = sim.clone();
    std::thread::spawn(move || serving.serve(listener, |_, _| {}));
    println!("{} {printer_addr}", lang.pick("收银小票打印机（模拟 ESC/POS）", "receipt printer (simulated ESC/POS)"));

    heading(lang.pick("开班", "Shift opened"));
    let cashier = till.authorize("c01", "1234", Permission::Sell, "open a shift")?;
    let shift = till.open_shift(&cashier, 50_000)?;
    println!("{} {shift}  c01  {} ¥500.00", lang.pick("班次", "shift"), lang.pick("备用金", "float"));

    heading(lang.pick("收银", "Selling"));
    let mut first_receipt = None;
    let mut sale_ids = Vec::new();
    for n in 0..args.sales {
        let n_items = rng.gen_range(1..=5);
        let mut scans = Vec::new();
        for _ in 0..n_items {
            let (code, unit) = &shelf[rng.gen_range(0..shelf.len())];
            let qty = match unit {
                Unit::Kg => Some(format!("0.{:03}", rng.gen_range(150..=950))),
                Unit::Each => Some(rng.gen_range(1..=3).to_string()),
            };
            scans.push(ScanInput { code: code.clone(), qty });
        }
        // Price the basket first so the tenders can be realistic.
        let mut basket = opentill_core::basket::Basket::new(till.replica().settings().currency, till.replica().settings().tax_mode);
        for scan in &scans {
            let product = till.lookup(&scan.code)?;
            let qty = opentill_till::parse_qty(&product, scan.qty.as_deref())?;
            basket.add(&product, qty).map_err(opentill_till::TillError::from)?;
        }
        let total = basket.totals().total;
        let tenders = match n % 5 {
            0 | 3 => vec![Tender { kind: TenderKind::Cash, amount: (total / 5000 + 1) * 5000, reference: None }],
            1 => vec![Tender { kind: TenderKind::Card, amount: total, reference: Some(format!("POS{:06}", 100_000 + n)) }],
            2 => vec![Tender { kind: TenderKind::MobilePay, amount: total, reference: Some(format!("1345{:014}", rng.gen_range(0..99_999_999_999_999u64))) }],
            _ => {
                let card = total / 2;
                vec![Tender { kind: TenderKind::Card, amount: card, reference: Some(format!("POS{:06}", 200_000 + n)) }, Tender { kind: TenderKind::Cash, amount: (total - card) / 1000 * 1000 + 1000, reference: None }]
            }
        };
        let done = till.checkout(&basket, None, &tenders, Some(&cashier))?;
        crate::print::queue_and_print(&mut till, "sale", &done.sale.sale_id, Some(&printer), lang)?;
        // Show the fullest receipt with a weighed item and change.
        let n_lines = done.sale.lines.len();
        if done.sale.lines.iter().any(|l| l.unit == Unit::Kg) && done.sale.change > 0 && first_receipt.as_ref().is_none_or(|(n, _)| n_lines > *n) {
            first_receipt = Some((n_lines, done.sale.sale_id.clone()));
        }
        sale_ids.push(done.sale.sale_id.clone());
    }
    println!("{} {}", lang.pick("已完成销售", "sales recorded"), sale_ids.len());
    let printed = sim.jobs();
    println!("{} {}", lang.pick("打印机已打印小票", "receipts printed"), printed.len());
    if let Some((_, sale_id)) = first_receipt
        && let Some(job) = printed.iter().find(|j| j.qr_codes.contains(&sale_id))
    {
        println!("\n{}", lang.pick("一张小票（打印机收到的 ESC/POS 字节解码后）：", "One of the receipts, as the printer decoded its ESC/POS bytes:"));
        print!("{}", job.text());
        println!("[QR {}] [{} {}]", job.qr_codes.join(", "), lang.pick("开钱箱", "drawer kicks"), job.drawer_kicks);
    }

    devices_sale(&mut till, &shelf, &printer, &cashier, lang)?;

    heading(lang.pick("退货", "Refund"));
    if let Some(sale_id) = sale_ids.get(2) {
        let supervisor = till.authorize("s01", "9001", Permission::Refund, "refund")?;
        let done = till.refund(sale_id, &[(1, None)], Some(&supervisor), true)?;
        crate::print::queue_and_print(&mut till, "refund", &done.refund.refund_id, Some(&printer), lang)?;
        print!("{}", till.refund_receipt(&done, lang));
    }

    store_operations(&mut till, &printer, &cashier, lang)?;

    heading(lang.pick("取款与 X 报表", "Cash drop and X report"));
    let supervisor = till.login("s01", "9001")?;
    till.move_cash(CashDirection::Out, 20_000, "bank drop", &supervisor)?;
    let mut layout = till.layout(lang);
    layout.width = WIDTH_80MM;
    let x = till.x_report()?;
    print!("{}", shift_report_text(&x, till.replica().settings().currency, layout));

    heading(lang.pick("交班（Z 报表）", "Shift close (Z report)"));
    let counted = x.expected_cash - 50;
    let z = till.close_shift(counted, &cashier)?;
    print!("{}", shift_report_text(&z, till.replica().settings().currency, layout));

    heading(lang.pick("销售报表", "Sales report"));
    let report = till.sales_report(None, None)?;
    print!("{}", sales_report_text(&report, till.replica().settings().currency, lang));

    heading(lang.pick("日志校验", "Journal verification"));
    let verify = till.verify(|_| {})?;
    if !verify.is_ok() {
        eprintln!("{verify:?}");
        return Err(Failure::Reported);
    }
    println!("{} {} {}", lang.pick("日志完好：", "journal OK:"), verify.entries, lang.pick("条记录已验证（序号、哈希链、签名、库存与现金）", "entries verified (sequence, hash chain, signatures, stock and cash)"));
    heading(lang.pick("无人零售设备", "Unmanned retail devices"));
    till.top_up("M001", 20_000, opentill_core::tender::TenderKind::Cash, "demo", None)?;
    let (pass, token) = till.issue_pass("M001", 30 * 86_400_000)?;
    std::fs::write(dir.join("member-pass.txt"), format!("{token}\n"))?;
    println!("{} M001 ¥200.00, {} {} → {}", lang.pick("会员储值", "member stored value"), lang.pick("会员码", "pass"), pass.pass_id, dir.join("member-pass.txt").display());
    for (slot, sku, grams) in [("1", "DRK-00001", 350), ("2", "DRK-00003", 320), ("3", "DRK-00004", 520)] {
        till.set_shelf_slot("S1", slot, sku, grams, 15, 2)?;
    }
    println!("{}", lang.pick("智能货架 S1：3 个货位已配置", "smart shelf S1: 3 slots configured"));
    println!("\n{}", lang.pick("继续试试：", "Try next:"));
    let d = dir.display();
    println!("  opentill-edge product search --data {d} kkkl");
    println!("  opentill-edge sale --data {d} --scan 6901234567892 --qty 2 --tender cash:20");
    println!("  opentill-edge report sales --data {d} --format json");
    println!("  opentill-edge journal verify --data {d}");
    println!("  opentill-edge serve --data {d} --listen 127.0.0.1:8080");
    Ok(())
}

/// A store manager's week in small: promotions and a coupon, members (one referred by
/// the other), sales priced for them with the receipt explaining each saving, a
/// purchase order received in part, a stocktake with a variance, and what to reorder.
fn store_operations(till: &mut Till, printer: &opentill_hardware::transport::PrinterAddress, cashier: &opentill_core::role::Actor, lang: Lang) -> Outcome {
    use opentill_core::stock::{PoLine, ReceivedLine};
    heading(lang.pick("促销与会员", "Promotions and members"));
    let always = r#""window": {"from_ms": 0, "to_ms": 4102444800000}, "exclusive": false, "stack_group": null, "priority": 0, "members_only": false"#;
    till.put_promotion(&format!(r#"{{"id": "MJ30", "kind": {{"Threshold": {{"scope": "All", "rule": {{"Tiers": [{{"spend": 3000, "off": 500}}, {{"spend": 6000, "off": 1200}}]}}}}}}, {always}}}"#))?;
    till.put_promotion(&format!(r#"{{"id": "NOODLES-B2G1", "kind": {{"BuyGet": {{"scope": {{"Skus": ["INS-00001"]}}, "buy": 2, "get": 1}}}}, {always}}}"#))?;
    till.put_promotion(&format!(r#"{{"id": "COLA-FLASH", "kind": {{"FlashSale": {{"scope": {{"Skus": ["DRK-00001"]}}, "price": 199, "cap": 50, "per_order_limit": 6}}}}, {always}}}"#))?;
    till.put_coupon(r#"{"id": "WELCOME5", "kind": {"Cash": {"off": 500}}, "scope": "All", "window": {"from_ms": 0, "to_ms": 4102444800000}, "group": "welcome", "uses": {"Limited": 100}, "per_member_limit": 1}"#)?;
    for p in till.promotions()? {
        println!("  {}  {}", p.id, p.label_text_any(till.replica().settings().currency, lang));
    }
    let wang = till.register_member("13800138000", "王芳", Some("03-08"), None, "c01")?;
    let li = till.register_member("13900139000", "李雷", None, Some(&wang.row.referral_code), "c01")?;
    println!("{} {} {} ({} {})", lang.pick("会员", "member"), wang.row.member_id, wang.row.name, lang.pick("推荐码", "referral code"), wang.row.referral_code);
    println!("{} {} {} ({} {})", lang.pick("会员", "member"), li.row.member_id, li.row.name, lang.pick("推荐人", "referred by"), wang.row.member_id);
    let scans = |list: &[(&str, &str)]| list.iter().map(|(code, qty)| ScanInput { code: code.to_string(), qty: Some(qty.to_string()) }).collect::<Vec<_>>();
    let cash = |yuan: i64| vec![Tender { kind: TenderKind::Cash, amount: yuan * 100, reference: None }];
    let shopper = |member: &str, coupons: &[&str]| opentill_till::Shopper { member: Some(member.into()), coupons: coupons.iter().map(|c| c.to_string()).collect(), served_by: Some("c02".into()) };
    // Li: six colas, three noodles and chips, with the welcome coupon.
    let (done, _) = till.sell_to(None, &scans(&[("6901234567892", "6"), ("6953931935283", "3"), ("6908662654392", "4")]), &cash(100), Some(cashier), &shopper("13900139000", &["WELCOME5"]))?;
    crate::print::queue_and_print(till, "sale", &done.sale.sale_id, Some(printer), lang)?;
    print!("{}", till.sale_receipt(&done, lang));
    // Wang pays part with the points the referral earned her.
    let pay = vec![Tender { kind: TenderKind::Points, amount: 100, reference: Some("13800138000".into()) }, Tender { kind: TenderKind::Cash, amount: 5_000, reference: None }];
    let (done, _) = till.sell_to(None, &scans(&[("6908662654392", "5")]), &pay, Some(cashier), &shopper("13800138000", &[]))?;
    crate::print::queue_and_print(till, "sale", &done.sale.sale_id, Some(printer), lang)?;
    till.set_commission_rules(r#"{"default_bp": 100, "by_category": {"snacks": 300}}"#)?;
    for c in till.commission_report(None, None)? {
        println!("{} {}  {} {}  {} {}", lang.pick("导购", "staff"), c.staff, lang.pick("单数", "sales"), c.n_sales, lang.pick("提成", "commission"), crate::money(till, c.commission));
    }
    for m in till.members(10)? {
        println!("{} {}  {}  {} {}  {} {}", m.row.member_id, m.row.name, lang.pick(&m.tier.name_zh, &m.tier.name_en), lang.pick("积分", "points"), m.row.points, lang.pick("累计消费", "spend"), crate::money(till, m.row.spend));
    }

    heading(lang.pick("采购、收货与盘点", "Purchasing, receiving and a stocktake"));
    till.put_supplier("SWIRE", "太古可口可乐 Swire Coca-Cola", 2, Some("021-5888 0000"))?;
    let po = till.place_order("SWIRE", vec![PoLine { sku: "DRK-00001".into(), qty: 48, unit_cost: 180 }, PoLine { sku: "DRK-00003".into(), qty: 24, unit_cost: 190 }], "m01")?;
    let po = till.receive(Some(&po.row.po_id), vec![ReceivedLine { sku: "DRK-00001".into(), qty: 48 }], "m01")?.context("the order")?;
    crate::print_po(&po, lang);
    let take = till.open_stocktake(Some("drinks"), None)?;
    let on_hand = till.replica().stock("DRK-00001").map_err(opentill_till::TillError::from)?;
    till.count(&take, "6901234567892", on_hand - 2)?;
    let report = till.post_stocktake(&take, "m01")?;
    crate::print_stocktake(till, &report, lang);
    heading(lang.pick("补货建议", "Replenishment"));
    let policy = opentill_till::stock::ReplenishPolicy { days: 1, ..Default::default() };
    for (p, s) in till.replenishment(policy)?.into_iter().take(5) {
        let name = if lang == Lang::Zh && !p.name_zh.is_empty() { &p.name_zh } else { &p.name };
        println!("  {}  {name}  {} {}  {} {}", p.sku, lang.pick("库存+在途", "position"), s.position, lang.pick("建议订购", "order"), s.qty);
    }
    Ok(())
}

/// A clock that starts at a given time and moves on by `step` at each reading.
struct SteppingClock {
    next: std::sync::atomic::AtomicI64,
    step: i64,
}

impl opentill_till::Clock for SteppingClock {
    fn now_ms(&self) -> i64 {
        self.next.fetch_add(self.step, std::sync::atomic::Ordering::Relaxed)
    }
}

/// Sells in a loop; after each sale (and each refund) is durable, prints one line:
/// `DONE sale ID TOTAL CASH_TAKEN` or `DONE refund ID SALE_ID TOTAL`.
pub fn sale_loop(args: SaleLoopArgs) -> Outcome {
    let mut till = Till::open(&args.data.data)?;
    if let Some(start) = args.clock_ms {
        till = till.with_clock(Box::new(SteppingClock { next: std::sync::atomic::AtomicI64::new(start), step: args.step_ms }));
    }
    let codes: Vec<String> = till.replica().barcodes(200).map_err(opentill_till::TillError::from)?.into_iter().filter(|(_, u)| *u == Unit::Each).map(|(c, _)| c).collect();
    if codes.is_empty() {
        return Err(Failure::Other(anyhow::anyhow!("the catalog has no products sold each")));
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    let stdout = std::io::stdout();
    let mut last_sale: Option<String> = None;
    for n in 0..args.count {
        if n % 7 == 6
            && let Some(sale_id) = last_sale.take()
        {
            let done = till.refund(&sale_id, &[], None, true)?;
            writeln!(stdout.lock(), "DONE refund {} {} {}", done.refund.refund_id, sale_id, done.refund.total).context("stdout")?;
            continue;
        }
        let scans: Vec<ScanInput> = (0..rng.gen_range(1..=3)).map(|_| ScanInput { code: codes[rng.gen_range(0..codes.len())].clone(), qty: Some(rng.gen_range(1..=4).to_string()) }).collect();
        let done = till.sell(None, &scans, &[Tender { kind: TenderKind::Cash, amount: 10_000_000, reference: None }], None)?;
        writeln!(stdout.lock(), "DONE sale {} {} {}", done.sale.sale_id, done.sale.total, done.sale.cash_taken()).context("stdout")?;
        last_sale = Some(done.sale.sale_id);
    }
    Ok(())
}

/// One sale the way a counter with devices makes it: codes from a serial scanner, the
/// weight from a serial scale, the total and change on a customer display, all of them
/// simulated on pseudo-terminals so the bytes on the wire are the real ones.
fn devices_sale(till: &mut Till, shelf: &[(String, Unit)], printer: &opentill_hardware::transport::PrinterAddress, cashier: &opentill_core::role::Actor, lang: Lang) -> Outcome {
    use std::io::Write as _;
    use opentill_hardware::serial::{ScannerEvent, SerialScanner};
    heading(lang.pick("外设收银：扫描枪、电子秤、顾客显示屏", "A sale with devices: scanner, scale, customer display"));
    let scale = opentill_hardware::sim::ScaleSim::start(opentill_hardware::scale::Reading::Stable(1234)).context("starting the simulated scale")?;
    let display = opentill_hardware::sim::DisplaySim::start(lang == Lang::Zh).context("starting the simulated display")?;
    let (mut scanner_wire, scanner_end) = serialport::TTYPort::pair().context("starting the simulated scanner")?;
    let scanner_path = std::path::PathBuf::from(serialport::SerialPort::name(&scanner_end).unwrap_or_default());
    println!("{} {}  {} {}  {} {}", lang.pick("扫描枪", "scanner"), scanner_path.display(), lang.pick("电子秤", "scale"), scale.path.display(), lang.pick("显示屏", "display"), display.path.display());

    let (tx, rx) = std::sync::mpsc::channel();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = SerialScanner { path: scanner_path, baud: 9600, terminator: opentill_hardware::scanner::Terminator::Cr };
    let flag = stop.clone();
    let thread = std::thread::spawn(move || reader.run(tx, flag));
    let piece = shelf.iter().find(|(_, u)| *u == Unit::Each).map(|(c, _)| c.clone()).unwrap_or_default();
    let weighed = shelf.iter().find(|(_, u)| *u == Unit::Kg).map(|(c, _)| c.clone()).unwrap_or_default();
    let mut codes = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while codes.len() < 2 && std::time::Instant::now() < deadline {
        match rx.recv_timeout(std::time::Duration::from_millis(500)) {
            Ok(ScannerEvent::Connected) => {
                scanner_wire.write_all(format!("{piece}\r{weighed}\r").as_bytes()).context("scanner wire")?;
            }
            Ok(ScannerEvent::Scan(code)) => {
                println!("{} {code}", lang.pick("扫描", "scanned"));
                codes.push(code);
            }
            _ => {}
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = thread.join();
    drop(scanner_end);
    let mut scans: Vec<ScanInput> = codes.into_iter().map(|code| ScanInput { code, qty: None }).collect();
    crate::weigh(till, &mut scans, &scale.path, lang)?;
    for scan in scans.iter().filter(|s| s.qty.is_some()) {
        println!("{} {} {} kg", lang.pick("称重", "weighed"), scan.code, scan.qty.as_deref().unwrap_or(""));
    }
    let mut basket = till.new_basket();
    till.ring_up(&mut basket, &scans)?;
    let total = basket.totals().total;
    let done = till.checkout(&basket, None, &[Tender { kind: TenderKind::Cash, amount: (total / 1000 + 1) * 1000, reference: None }], Some(cashier))?;
    crate::print::queue_and_print(till, "sale", &done.sale.sale_id, Some(printer), lang)?;
    crate::display_sale(&display.path, &done.sale, lang == Lang::Zh, lang);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while !display.shown()[1].contains(&opentill_core::money::Money::new(done.sale.change, done.sale.currency).plain()) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let shown = display.shown();
    println!("{}", lang.pick("顾客显示屏：", "customer display:"));
    println!("  +--------------------+\n  |{}|\n  |{}|\n  +--------------------+", shown[0], shown[1]);
    Ok(())
}
