//! `opentill-sim`: simulated devices that speak the real wire.
//!
//! `opentill-sim printer --listen 127.0.0.1:9100 [--out DIR] [--state ready|paper-out|cover-open|offline|paper-near-end]`
//! is an ESC/POS network printer: it answers DLE EOT status requests as a printer in that
//! state would, decodes every job back into text and prints it on standard output; with
//! `--out` it also writes `receipt-N.txt`, `receipt-N.qr` and `receipt-N.bin` (raw bytes).

use std::net::TcpListener;
use std::path::PathBuf;

use opentill_hardware::receipt_printer::PrinterState;
use opentill_hardware::sim::PrinterSim;

fn parse_state(text: &str) -> Option<PrinterState> {
    Some(match text.trim() {
        "ready" => PrinterState::Ready,
        "paper-out" => PrinterState::PaperOut,
        "cover-open" => PrinterState::CoverOpen,
        "offline" => PrinterState::Offline,
        "paper-near-end" => PrinterState::PaperNearEnd,
        _ => return None,
    })
}

fn usage() -> ! {
    eprintln!("usage: opentill-sim printer --listen ADDR [--out DIR] [--state ready|paper-out|cover-open|offline|paper-near-end]");
    eprintln!("       opentill-sim scale [--weight KG]      a Toledo 8217 scale on a pseudo-terminal");
    eprintln!("       opentill-sim scanner                  a serial scanner on a pseudo-terminal: type codes, one a line");
    std::process::exit(2);
}

fn scale(mut args: impl Iterator<Item = String>) {
    let mut grams = 532;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--weight", Some(v)) => {
                let kg: f64 = v.parse().unwrap_or_else(|_| usage());
                grams = (kg * 1000.0).round() as i64;
            }
            _ => usage(),
        }
    }
    let sim = opentill_hardware::sim::ScaleSim::start(opentill_hardware::scale::Reading::Stable(grams)).unwrap_or_else(|e| {
        eprintln!("opentill-sim: cannot open a pseudo-terminal: {e}");
        std::process::exit(1);
    });
    println!("scale on {} showing {grams} g; type a weight in kg (or `motion`) and Enter to change it", sim.path.display());
    for line in std::io::stdin().lines().map_while(Result::ok) {
        match line.trim() {
            "motion" => sim.set(opentill_hardware::scale::Reading::InMotion),
            text => match text.parse::<f64>() {
                Ok(kg) if kg >= 0.0 => sim.set(opentill_hardware::scale::Reading::Stable((kg * 1000.0).round() as i64)),
                _ => eprintln!("a weight in kg, or `motion`"),
            },
        }
    }
}

fn scanner() {
    use std::io::Write;
    let (mut master, slave) = serialport::TTYPort::pair().unwrap_or_else(|e| {
        eprintln!("opentill-sim: cannot open a pseudo-terminal: {e}");
        std::process::exit(1);
    });
    println!("scanner on {}; type codes, one a line", serialport::SerialPort::name(&slave).unwrap_or_default());
    for line in std::io::stdin().lines().map_while(Result::ok) {
        if master.write_all(format!("{}\r", line.trim()).as_bytes()).is_err() {
            break;
        }
    }
    drop(slave);
}

fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("printer") => {}
        Some("scale") => return scale(args),
        Some("scanner") => return scanner(),
        _ => usage(),
    }
    let (mut listen, mut out, mut state) = (String::from("127.0.0.1:9100"), None::<PathBuf>, PrinterState::Ready);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--listen", Some(v)) => listen = v,
            ("--out", Some(v)) => out = Some(v.into()),
            ("--state", Some(v)) => state = parse_state(&v).unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    if let Some(dir) = &out
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("opentill-sim: cannot create {}: {e}", dir.display());
        std::process::exit(1);
    }
    let listener = TcpListener::bind(&listen).unwrap_or_else(|e| {
        eprintln!("opentill-sim: cannot listen on {listen}: {e}");
        std::process::exit(1);
    });
    println!("printer simulator ({}) listening on {}", state.message().1, listener.local_addr().map(|a| a.to_string()).unwrap_or(listen));
    let sim = PrinterSim::new(out);
    sim.set_state(state);
    sim.serve(listener, |number, job| {
        println!("----- receipt {number} -----\n{}[QR: {}] [drawer kicks: {}]", job.text(), job.qr_codes.join(", "), job.drawer_kicks);
    });
}
