//! Receipts printed on a simulated ESC/POS network printer, read back as text.

use std::time::{Duration, Instant};

use opentill_hardware::receipt_printer::PrinterState;
use opentill_hardware::sim::PrinterSim;

use crate::{data, edge, ok, store};

fn start_printer() -> (PrinterSim, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("tcp:{}", listener.local_addr().unwrap());
    let sim = PrinterSim::new(None);
    let serving = sim.clone();
    std::thread::spawn(move || serving.serve(listener, |_, _| {}));
    (sim, address)
}

fn wait_for_jobs(sim: &PrinterSim, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.jobs().len() < n {
        assert!(Instant::now() < deadline, "printer got {} jobs, expected {n}", sim.jobs().len());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn receipts_print_and_read_back_exactly() {
    let dir = store();
    let data = data(&dir);
    let (sim, printer) = start_printer();
    let out = ok(&["sale", "--data", &data, "--scan", "6901234567892", "--qty", "2", "--scan", "2000001000007", "--qty", "0.532", "--tender", "cash:20", "--print", &printer, "--lang", "zh"]);
    let sale_id = out.lines().last().unwrap().strip_prefix("sale_id: ").unwrap().to_string();
    let receipt = out.rsplit_once("sale_id: ").unwrap().0;
    wait_for_jobs(&sim, 1);
    let job = &sim.jobs()[0];
    assert_eq!(job.text(), receipt, "the printed receipt reads exactly as the screen one");
    assert!(job.text().contains("可口可乐 330ml") && job.text().contains("找零"));
    assert_eq!(job.qr_codes, vec![sale_id.clone()], "the QR code carries the sale id for returns");
    assert_eq!(job.drawer_kicks, 1, "a cash sale opens the drawer");
    assert_eq!(job.bold_lines.len(), 1);
    assert!(job.lines[job.bold_lines[0]].starts_with("合计"));
    assert_eq!(ok(&["print", "queue", "--data", &data]), "", "nothing left to print");

    // Out of paper: the sale is recorded, the receipt waits in the queue.
    sim.set_state(PrinterState::PaperOut);
    let out = edge(&["sale", "--data", &data, "--scan", "6920152400012", "--tender", "card:7.90:T9", "--print", &printer]);
    assert!(out.status.success(), "a sale never fails because of the printer");
    assert!(String::from_utf8_lossy(&out.stderr).contains("receipt not printed: printer out of paper"), "{}", String::from_utf8_lossy(&out.stderr));
    let second = String::from_utf8(out.stdout).unwrap().lines().last().unwrap().strip_prefix("sale_id: ").unwrap().to_string();
    let queue = ok(&["print", "queue", "--data", &data]);
    assert!(queue.contains(&second) && queue.contains("printer out of paper"), "{queue}");
    let status = edge(&["print", "status", "--printer", &printer]);
    assert_eq!(status.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&status.stdout).contains("printer out of paper"));
    let retry = edge(&["print", "pending", "--data", &data, "--printer", &printer]);
    assert_eq!(retry.status.code(), Some(1), "still no paper");
    assert_eq!(sim.jobs().len(), 1);

    sim.set_state(PrinterState::Ready);
    assert!(ok(&["print", "pending", "--data", &data, "--printer", &printer]).contains("printed 1"));
    wait_for_jobs(&sim, 2);
    assert_eq!(sim.jobs()[1].qr_codes, vec![second.clone()]);
    assert_eq!(sim.jobs()[1].drawer_kicks, 0, "a card sale leaves the drawer shut");
    assert_eq!(ok(&["print", "queue", "--data", &data]), "");

    ok(&["print", "receipt", "--data", &data, "--sale", &sale_id, "--printer", &printer, "--lang", "zh"]);
    wait_for_jobs(&sim, 3);
    assert_eq!(sim.jobs()[2].text(), sim.jobs()[0].text(), "a reprint is the same receipt");

    let out = edge(&["sale", "--data", &data, "--scan", "6901234567892", "--tender", "cash:5", "--print", "lpt1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be tcp:HOST[:PORT], serial:PATH[:BAUD] or file:PATH"));
}

#[test]
fn a_serial_printer_prints_reports_its_state_and_keeps_what_it_cannot_print() {
    let dir = store();
    let data = data(&dir);
    let sim = PrinterSim::new(None);
    let port = sim.start_serial(|_, _| {}).unwrap();
    let printer = format!("serial:{}:19200", port.display());
    let out = ok(&["sale", "--data", &data, "--scan", "6901234567892", "--qty", "2", "--tender", "cash:10", "--print", &printer, "--lang", "zh"]);
    let receipt = out.rsplit_once("sale_id: ").unwrap().0;
    wait_for_jobs(&sim, 1);
    assert_eq!(sim.jobs()[0].text(), receipt, "the same receipt over the serial port, Chinese included");
    assert_eq!(sim.jobs()[0].drawer_kicks, 1);
    sim.set_state(PrinterState::CoverOpen);
    let status = edge(&["print", "status", "--printer", &printer]);
    assert_eq!(status.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&status.stdout).contains("cover open"), "{}", String::from_utf8_lossy(&status.stdout));
    let out = edge(&["sale", "--data", &data, "--scan", "6920152400012", "--tender", "card:7.90:T9", "--print", &printer]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stderr).contains("receipt not printed"), "{}", String::from_utf8_lossy(&out.stderr));
    sim.set_state(PrinterState::Ready);
    assert!(ok(&["print", "pending", "--data", &data, "--printer", &printer]).contains("printed 1"));
    wait_for_jobs(&sim, 2);
    for bad in ["serial:", "serial:/dev/ttyS0:fast", "serial:/dev/ttyS0:50"] {
        let out = edge(&["print", "status", "--printer", bad]);
        assert!(!out.status.success(), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("printer `serial:"), "{bad}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let gone = edge(&["print", "status", "--printer", "serial:/dev/opentill-no-such-port"]);
    assert!(!gone.status.success() && String::from_utf8_lossy(&gone.stderr).contains("cannot reach printer /dev/opentill-no-such-port"), "{}", String::from_utf8_lossy(&gone.stderr));
}

#[test]
fn a_file_printer_gets_the_same_bytes() {
    let dir = store();
    let data = data(&dir);
    let spool = dir.path().join("lp0");
    let out = ok(&["sale", "--data", &data, "--scan", "6901234567892", "--tender", "cash:5", "--print", &format!("file:{}", spool.display())]);
    let bytes = std::fs::read(&spool).unwrap();
    let jobs = opentill_hardware::escpos_decode::decode_all(&bytes);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].text(), out.rsplit_once("sale_id: ").unwrap().0);
}

#[test]
fn a_scale_on_a_serial_port_weighs_for_the_till() {
    use opentill_hardware::scale::Reading;
    let dir = store();
    let data = data(&dir);
    let scale = opentill_hardware::sim::ScaleSim::start(Reading::Stable(1234)).unwrap();
    let port = scale.path.to_str().unwrap().to_string();
    let out = ok(&["sale", "--data", &data, "--scan", "2000001000007", "--scan", "6901234567892", "--scale", &port, "--tender", "cash:20", "--format", "json"]);
    let sale: serde_json::Value = serde_json::from_str(&out).unwrap();
    // 1.234 kg of bananas at 6.98 = 8.61, plus a cola at 3.50.
    assert_eq!(sale["total_minor"].as_i64(), Some(1211), "{out}");
    scale.set(Reading::OverCapacity);
    let out = edge(&["sale", "--data", &data, "--scan", "2000001000007", "--scale", &port, "--tender", "cash:20"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the scale cannot weigh"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_customer_display_shows_total_and_change() {
    let dir = store();
    let data = data(&dir);
    let display = opentill_hardware::sim::DisplaySim::start(true).unwrap();
    let port = display.path.to_str().unwrap().to_string();
    ok(&["sale", "--data", &data, "--scan", "6901234567892", "--qty", "2", "--tender", "cash:10", "--display", &port, "--display-cjk", "--lang", "zh"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while display.shown()[1] != "找零            3.00" {
        assert!(std::time::Instant::now() < deadline, "display shows {:?}", display.shown());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(display.shown(), ["合计            7.00".to_string(), "找零            3.00".to_string()]);
}

#[test]
fn eighty_millimetre_paper_with_a_logo() {
    let dir = store();
    let data = data(&dir);
    let (sim, printer) = start_printer();
    let logo = format!("{}/../fixtures/barcodes/receipt-qr.png", env!("CARGO_MANIFEST_DIR"));
    let bad = edge(&["store", "logo", "--data", &data, "Cargo.toml"]);
    assert_eq!(bad.status.code(), Some(1), "not a picture");
    assert!(ok(&["store", "logo", "--data", &data, &logo]).contains("receipt logo 280x280"));
    ok(&["store", "paper", "--data", &data, "80"]);
    assert!(ok(&["store", "show", "--data", &data]).contains("paper_mm\t80"));
    ok(&["sale", "--data", &data, "--scan", "6901234567892", "--tender", "cash:5", "--print", &printer]);
    wait_for_jobs(&sim, 1);
    let job = &sim.jobs()[0];
    assert_eq!(job.images, vec![(280, 280)], "the logo prints above the text");
    assert!(job.lines.iter().any(|l| l.len() == 48 && l.starts_with("Subtotal")), "48 columns on 80 mm paper: {:?}", job.lines);
}
