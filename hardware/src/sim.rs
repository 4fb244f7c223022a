//! Device simulators that speak the real wire, as a library (tests run them in-process)
//! and behind the `opentill-sim` binary.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::escpos_decode::{Decoder, Event, Job};
use crate::receipt_printer::{PrinterState, status_bytes};

/// A simulated ESC/POS network printer.
#[derive(Debug, Clone)]
pub struct PrinterSim {
    /// Its state; change it while it runs to fake paper out, cover open, ...
    pub state: Arc<Mutex<PrinterState>>,
    /// Every job printed so far.
    pub printed: Arc<Mutex<Vec<Job>>>,
    /// Where to write `receipt-N.txt`, `.qr` and `.bin` for each job.
    pub out: Option<PathBuf>,
    /// Jobs refused because the printer could not print.
    pub discarded: Arc<AtomicUsize>,
}

/// What a printer simulator calls with each printed job and its number.
type OnJob = dyn Fn(usize, &Job) + Send + Sync;

impl PrinterSim {
    /// A ready printer.
    pub fn new(out: Option<PathBuf>) -> PrinterSim {
        PrinterSim { state: Arc::new(Mutex::new(PrinterState::Ready)), printed: Arc::default(), out, discarded: Arc::default() }
    }

    /// Sets the state.
    pub fn set_state(&self, state: PrinterState) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = state;
    }

    /// The jobs printed so far.
    pub fn jobs(&self) -> Vec<Job> {
        self.printed.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Serves connections until the listener fails; one thread per connection.
    /// `on_job` is called with each printed job.
    pub fn serve(&self, listener: TcpListener, on_job: impl Fn(usize, &Job) + Send + Sync + 'static) {
        let on_job: Arc<OnJob> = Arc::new(on_job);
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let sim = self.clone();
            let on_job = on_job.clone();
            std::thread::spawn(move || sim.converse(stream, &*on_job));
        }
    }

    /// The same printer on a serial port: a pseudo-terminal whose path (returned) a
    /// client opens as `serial:PATH`. Runs until the process ends.
    pub fn start_serial(&self, on_job: impl Fn(usize, &Job) + Send + Sync + 'static) -> std::io::Result<PathBuf> {
        let (mut master, slave) = serialport::TTYPort::pair().map_err(std::io::Error::other)?;
        serialport::SerialPort::set_timeout(&mut master, std::time::Duration::from_millis(100)).map_err(std::io::Error::other)?;
        let path = PathBuf::from(serialport::SerialPort::name(&slave).ok_or_else(|| std::io::Error::other("pty has no name"))?);
        let sim = self.clone();
        std::thread::spawn(move || {
            // The slave end stays open here so the pty lives while clients come and go.
            let _slave = slave;
            sim.converse(master, &on_job);
        });
        Ok(path)
    }

    /// Reads one connection's bytes, answers status requests, and records each job
    /// when it is cut. A read timeout (a serial port with nothing to say) is no end.
    fn converse(&self, mut stream: impl Read + Write, on_job: &dyn Fn(usize, &Job)) {
        let mut decoder = Decoder::new();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted) => continue,
                Err(_) => break,
            };
            // Keep the raw bytes of one job for the record, but never more than 1 MiB.
            if raw.len() + n <= 1 << 20 {
                raw.extend_from_slice(&buf[..n]);
            }
            let state = *self.state.lock().unwrap_or_else(|p| p.into_inner());
            for event in decoder.feed(&buf[..n]) {
                match event {
                    Event::StatusRequest(request) => {
                        let _ = stream.write_all(&[status_bytes(state, request)]);
                    }
                    Event::Cut(job) => {
                        if !state.can_print() {
                            self.discarded.fetch_add(1, Ordering::SeqCst);
                            continue;
                        }
                        let number = {
                            let mut printed = self.printed.lock().unwrap_or_else(|p| p.into_inner());
                            printed.push(job.clone());
                            printed.len()
                        };
                        if let Some(dir) = &self.out {
                            let _ = std::fs::write(dir.join(format!("receipt-{number}.txt")), job.text());
                            let _ = std::fs::write(dir.join(format!("receipt-{number}.qr")), job.qr_codes.join("\n"));
                            let _ = std::fs::write(dir.join(format!("receipt-{number}.bin")), &raw);
                        }
                        raw.clear();
                        on_job(number, &job);
                    }
                }
            }
        }
    }
}

/// A simulated Toledo 8217 scale on a pseudo-terminal: open [`ScaleSim::path`] as its
/// serial port, send `W`, get the weight.
pub struct ScaleSim {
    /// The device path to open.
    pub path: PathBuf,
    reading: Arc<Mutex<crate::scale::Reading>>,
    _master: std::thread::JoinHandle<()>,
}

impl ScaleSim {
    /// Starts a scale showing `reading`.
    pub fn start(reading: crate::scale::Reading) -> std::io::Result<ScaleSim> {
        let (mut master, slave) = serialport::TTYPort::pair().map_err(std::io::Error::other)?;
        serialport::SerialPort::set_timeout(&mut master, std::time::Duration::from_millis(100)).map_err(std::io::Error::other)?;
        let path = PathBuf::from(serialport::SerialPort::name(&slave).ok_or_else(|| std::io::Error::other("pty has no name"))?);
        // The slave end stays open here so the pty lives while the client reopens it.
        let reading = Arc::new(Mutex::new(reading));
        let current = reading.clone();
        let thread = std::thread::spawn(move || {
            let _slave = slave;
            let mut buf = [0u8; 64];
            loop {
                match master.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        for _ in buf[..n].iter().filter(|b| **b == crate::scale::REQUEST_WEIGHT) {
                            let now = *current.lock().unwrap_or_else(|p| p.into_inner());
                            if master.write_all(&crate::scale::reply(now)).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => break,
                }
            }
        });
        Ok(ScaleSim { path, reading, _master: thread })
    }

    /// Changes what the scale shows.
    pub fn set(&self, reading: crate::scale::Reading) {
        *self.reading.lock().unwrap_or_else(|p| p.into_inner()) = reading;
    }
}

/// A simulated 2×20 pole display on a pseudo-terminal; [`DisplaySim::shown`] is what a
/// customer would read now.
pub struct DisplaySim {
    /// The device path to open.
    pub path: PathBuf,
    shown: Arc<Mutex<[String; 2]>>,
    _thread: std::thread::JoinHandle<()>,
}

impl DisplaySim {
    /// Starts a display; `cjk` ones read GB18030.
    pub fn start(cjk: bool) -> std::io::Result<DisplaySim> {
        let (mut master, slave) = serialport::TTYPort::pair().map_err(std::io::Error::other)?;
        serialport::SerialPort::set_timeout(&mut master, std::time::Duration::from_millis(100)).map_err(std::io::Error::other)?;
        let path = PathBuf::from(serialport::SerialPort::name(&slave).ok_or_else(|| std::io::Error::other("pty has no name"))?);
        let shown: Arc<Mutex<[String; 2]>> = Arc::default();
        let screen = shown.clone();
        let thread = std::thread::spawn(move || {
            let _slave = slave;
            let mut pending: Vec<u8> = Vec::new();
            let mut buf = [0u8; 256];
            loop {
                match master.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        pending.extend_from_slice(&buf[..n]);
                        // Every update ends with the lower line's CR; decode complete updates.
                        if let Some(end) = pending.iter().rposition(|b| *b == 0x0d) {
                            let update: Vec<u8> = pending.drain(..=end).collect();
                            let rows = crate::display::decode(&update, cjk);
                            let mut screen = screen.lock().unwrap_or_else(|p| p.into_inner());
                            for (row, text) in rows.into_iter().enumerate() {
                                if !text.is_empty() || update.contains(&0x0c) {
                                    screen[row] = text;
                                }
                            }
                        }
                        if pending.len() > 4096 {
                            pending.clear();
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => break,
                }
            }
        });
        Ok(DisplaySim { path, shown, _thread: thread })
    }

    /// The two lines shown now.
    pub fn shown(&self) -> [String; 2] {
        self.shown.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
