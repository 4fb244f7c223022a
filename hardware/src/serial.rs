//! Serial devices: a scanner that is read continuously and survives being unplugged, and
//! a scale that is asked for its weight. Ports are opened by path, so a device that comes
//! back under the same name (a udev symlink such as `/dev/serial/by-id/…`) is found again.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::scale::{REQUEST_WEIGHT, Reading, ScaleError, parse_reply, take_frame};
use crate::scanner::{FrameError, Framer, Terminator};

/// How often a missing scanner is looked for again.
pub const RECONNECT_EVERY: Duration = Duration::from_millis(200);

/// What a serial scanner reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannerEvent {
    /// The port is open.
    Connected,
    /// The port went away (unplugged); it is looked for again.
    Disconnected(String),
    /// A code.
    Scan(String),
    /// A frame that was not a code.
    Rejected(FrameError),
}

/// A serial scanner's settings.
#[derive(Debug, Clone)]
pub struct SerialScanner {
    /// Device path.
    pub path: PathBuf,
    /// Baud rate.
    pub baud: u32,
    /// What ends a code.
    pub terminator: Terminator,
}

fn open(path: &Path, baud: u32, timeout: Duration) -> serialport::Result<serialport::TTYPort> {
    serialport::new(path.to_string_lossy(), baud).timeout(timeout).open_native()
}

impl SerialScanner {
    /// Reads codes until `stop` is set, sending events; reopens the port whenever it
    /// disappears, every [`RECONNECT_EVERY`], without restarting anything.
    pub fn run(&self, events: Sender<ScannerEvent>, stop: Arc<AtomicBool>) {
        while !stop.load(Ordering::Relaxed) {
            let Ok(mut port) = open(&self.path, self.baud, Duration::from_millis(100)) else {
                std::thread::sleep(RECONNECT_EVERY);
                continue;
            };
            if events.send(ScannerEvent::Connected).is_err() {
                return;
            }
            let mut framer = Framer::new(self.terminator);
            let mut buf = [0u8; 256];
            let error = loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                match port.read(&mut buf) {
                    Ok(0) => break "end of stream".to_string(),
                    Ok(n) => {
                        for frame in framer.feed(&buf[..n]) {
                            let event = match frame {
                                Ok(code) => ScannerEvent::Scan(code),
                                Err(e) => ScannerEvent::Rejected(e),
                            };
                            if events.send(event).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut || e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => break e.to_string(),
                }
            };
            let _ = events.send(ScannerEvent::Disconnected(error));
            std::thread::sleep(RECONNECT_EVERY);
        }
    }
}

/// Asks a scale on a serial port for its weight, waiting at most `timeout` for the reply.
pub fn read_scale(path: &Path, baud: u32, timeout: Duration) -> Result<Reading, ScaleError> {
    let mut port = open(path, baud, Duration::from_millis(50)).map_err(|_| ScaleError::NoReply)?;
    port.write_all(&[REQUEST_WEIGHT]).map_err(|_| ScaleError::NoReply)?;
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 64];
    while Instant::now() < deadline {
        match port.read(&mut chunk) {
            Ok(n) if n > 0 => {
                buf.extend_from_slice(&chunk[..n]);
                if let Some((frame, _)) = take_frame(&buf) {
                    return parse_reply(frame);
                }
                if buf.len() > 256 {
                    return Err(ScaleError::Garbled(buf.into_iter().take(32).collect()));
                }
            }
            _ => {}
        }
    }
    Err(ScaleError::NoReply)
}

/// Sends bytes to a serial device (a pole display), opening it by path.
pub fn write_to(path: &Path, baud: u32, bytes: &[u8]) -> std::io::Result<()> {
    let mut port = open(path, baud, Duration::from_millis(500)).map_err(std::io::Error::other)?;
    port.write_all(bytes)?;
    port.flush()
}
