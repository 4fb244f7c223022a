//! Serial devices on pseudo-terminals: a scanner unplugged and replugged mid-session, a
//! scale asked for its weight, garbage on the wire.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use opentill_hardware::scale::Reading;
use opentill_hardware::scanner::{FrameError, Terminator};
use opentill_hardware::serial::{ScannerEvent, SerialScanner, read_scale};
use opentill_hardware::sim::ScaleSim;
use serialport::{SerialPort, TTYPort};

fn next(events: &Receiver<ScannerEvent>) -> ScannerEvent {
    events.recv_timeout(Duration::from_secs(5)).expect("an event within 5 s")
}

/// Plugs a new pty in under the same device name, as udev does for a replugged scanner.
fn plug(link: &std::path::Path) -> TTYPort {
    let (master, slave) = TTYPort::pair().unwrap();
    let target = slave.name().unwrap();
    let tmp = link.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&target, &tmp).unwrap();
    std::fs::rename(&tmp, link).unwrap();
    // The slave fd is closed here; the pty lives while the master is open.
    master
}

#[test]
fn a_replugged_scanner_loses_no_later_scan() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("scanner");
    let mut master = plug(&link);
    let (tx, events) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let scanner = SerialScanner { path: link.clone(), baud: 9600, terminator: Terminator::Cr };
    let flag = stop.clone();
    let thread = std::thread::spawn(move || scanner.run(tx, flag));

    assert_eq!(next(&events), ScannerEvent::Connected);
    master.write_all(b"6901234567892\r").unwrap();
    assert_eq!(next(&events), ScannerEvent::Scan("6901234567892".into()));
    // Half a code, then garbage: a 1 MB line is dropped, the next code still arrives.
    master.write_all(b"69012").unwrap();
    master.write_all(&vec![b'7'; 1 << 20]).unwrap_or(());
    master.write_all(b"\r2000001012345\r").unwrap();
    assert_eq!(next(&events), ScannerEvent::Rejected(FrameError::TooLong));
    assert_eq!(next(&events), ScannerEvent::Scan("2000001012345".into()));

    // Unplug.
    drop(master);
    assert!(matches!(next(&events), ScannerEvent::Disconnected(_)));
    // Replug under the same name: found again within 2 s, nothing restarted.
    let replugged = Instant::now();
    let mut master = plug(&link);
    assert_eq!(next(&events), ScannerEvent::Connected);
    assert!(replugged.elapsed() < Duration::from_secs(2), "reconnected in {:?}", replugged.elapsed());
    for code in ["6920152400012", "6907992100012", "96385074"] {
        master.write_all(format!("{code}\r\n").as_bytes()).unwrap();
    }
    for code in ["6920152400012", "6907992100012", "96385074"] {
        assert_eq!(next(&events), ScannerEvent::Scan(code.into()));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    thread.join().unwrap();
}

#[test]
fn a_scale_answers_weight_motion_and_errors() {
    let scale = ScaleSim::start(Reading::Stable(532)).unwrap();
    let ask = || read_scale(&scale.path, 9600, Duration::from_secs(2));
    assert_eq!(ask(), Ok(Reading::Stable(532)));
    scale.set(Reading::InMotion);
    assert_eq!(ask(), Ok(Reading::InMotion));
    scale.set(Reading::OverCapacity);
    assert_eq!(ask(), Ok(Reading::OverCapacity));
    scale.set(Reading::Stable(12_345));
    assert_eq!(ask(), Ok(Reading::Stable(12_345)));
    assert!(read_scale(std::path::Path::new("/dev/no-such-scale"), 9600, Duration::from_millis(200)).is_err());
}
