//! Getting bytes to a printer: TCP port 9100 (with the status read back first), or a
//! device node or plain file (`/dev/usb/lp0`, a serial tty already configured, a spool file).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use crate::receipt_printer::{PrinterState, STATUS_QUERY, state_from_status};

/// Where a printer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterAddress {
    /// A network printer, `tcp:HOST:PORT` (port 9100 by default).
    Tcp(String),
    /// A device node or a file, `file:PATH`.
    File(PathBuf),
    /// A printer on a serial port, `serial:PATH[:BAUD]` (9600 baud by default, 8N1).
    Serial {
        /// The port (`/dev/ttyUSB0`, `/dev/ttyS1`).
        path: PathBuf,
        /// Baud rate.
        baud: u32,
    },
}

impl PrinterAddress {
    /// Parses `tcp:HOST[:PORT]`, `tcp://HOST[:PORT]`, `serial:PATH[:BAUD]` or `file:PATH`.
    pub fn parse(text: &str) -> Result<PrinterAddress, String> {
        if let Some(rest) = text.strip_prefix("tcp://").or_else(|| text.strip_prefix("tcp:")) {
            if rest.is_empty() {
                return Err(format!("printer `{text}` needs a host, e.g. tcp:192.168.1.50:9100"));
            }
            let with_port = if rest.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) { rest.to_string() } else { format!("{rest}:9100") };
            return Ok(PrinterAddress::Tcp(with_port));
        }
        if let Some(rest) = text.strip_prefix("serial:") {
            let (path, baud) = match rest.rsplit_once(':') {
                Some((path, baud)) => (path, baud.parse::<u32>().map_err(|_| format!("printer `{text}`: baud `{baud}` is not a number"))?),
                None => (rest, 9600),
            };
            if path.is_empty() {
                return Err(format!("printer `{text}` needs a port, e.g. serial:/dev/ttyUSB0:9600"));
            }
            if !(1200..=921_600).contains(&baud) {
                return Err(format!("printer `{text}`: baud {baud} must be 1200 to 921600"));
            }
            return Ok(PrinterAddress::Serial { path: PathBuf::from(path), baud });
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err(format!("printer `{text}` needs a path, e.g. file:/dev/usb/lp0"));
            }
            return Ok(PrinterAddress::File(PathBuf::from(path)));
        }
        Err(format!("printer `{text}` must be tcp:HOST[:PORT], serial:PATH[:BAUD] or file:PATH"))
    }
}

impl std::fmt::Display for PrinterAddress {
    /// The address as [`PrinterAddress::parse`] reads it back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrinterAddress::Tcp(addr) => write!(f, "tcp:{addr}"),
            PrinterAddress::File(path) => write!(f, "file:{}", path.display()),
            PrinterAddress::Serial { path, baud } => write!(f, "serial:{}:{baud}", path.display()),
        }
    }
}

/// Why a job did not print.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// No connection.
    #[error("printer {address} unreachable: {source}")]
    Unreachable {
        /// Where.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The printer said it cannot print now.
    #[error("{}", .0.message().1)]
    NotReady(PrinterState),
    /// Writing failed half way.
    #[error("printer {address}: {source}")]
    Io {
        /// Where.
        address: String,
        /// Why.
        source: std::io::Error,
    },
}

/// What happened to a printed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Printed {
    /// The printer's state after the job, when it tells (a file does not).
    pub state_after: Option<PrinterState>,
}

fn read_state(stream: &mut (impl Read + Write)) -> std::io::Result<PrinterState> {
    stream.write_all(STATUS_QUERY)?;
    let mut replies = [0u8; 3];
    stream.read_exact(&mut replies)?;
    Ok(state_from_status(replies[0], replies[1], replies[2]))
}

/// Asks a network printer for its state.
pub fn printer_state(address: &PrinterAddress, timeout: Duration) -> Result<Option<PrinterState>, PrintError> {
    match address {
        PrinterAddress::File(_) => Ok(None),
        PrinterAddress::Tcp(addr) => {
            let mut stream = connect(addr, timeout)?;
            read_state(&mut stream).map(Some).map_err(|source| PrintError::Io { address: addr.clone(), source })
        }
        PrinterAddress::Serial { path, baud } => {
            let mut port = open_serial(path, *baud, timeout)?;
            read_state(&mut port).map(Some).map_err(|source| PrintError::Io { address: path.display().to_string(), source })
        }
    }
}

fn open_serial(path: &std::path::Path, baud: u32, timeout: Duration) -> Result<Box<dyn serialport::SerialPort>, PrintError> {
    let address = path.display().to_string();
    serialport::new(address.clone(), baud)
        .timeout(timeout)
        .open()
        .map_err(|e| PrintError::Unreachable { address, source: std::io::Error::other(e) })
}

fn connect(addr: &str, timeout: Duration) -> Result<TcpStream, PrintError> {
    let unreachable = |source| PrintError::Unreachable { address: addr.to_string(), source };
    let target = addr.to_socket_addrs().map_err(unreachable)?.next().ok_or_else(|| unreachable(std::io::Error::new(std::io::ErrorKind::NotFound, "no address")))?;
    let stream = TcpStream::connect_timeout(&target, timeout).map_err(unreachable)?;
    stream.set_read_timeout(Some(timeout)).map_err(unreachable)?;
    stream.set_write_timeout(Some(timeout)).map_err(unreachable)?;
    Ok(stream)
}

/// Sends a job. On TCP the printer's state is read first and a printer that cannot print
/// (paper out, cover open, offline) gets nothing, so the job can be queued and reprinted.
pub fn send(address: &PrinterAddress, job: &[u8], timeout: Duration) -> Result<Printed, PrintError> {
    match address {
        PrinterAddress::File(path) => {
            let io = |source| PrintError::Io { address: path.display().to_string(), source };
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
            file.write_all(job).map_err(io)?;
            file.flush().map_err(io)?;
            Ok(Printed { state_after: None })
        }
        PrinterAddress::Serial { path, baud } => print_checked(&mut open_serial(path, *baud, timeout)?, job, &path.display().to_string()),
        PrinterAddress::Tcp(addr) => print_checked(&mut connect(addr, timeout)?, job, addr),
    }
}

/// Asks the printer's state, sends the job only if it can print, and reads the state after.
fn print_checked(printer: &mut (impl Read + Write), job: &[u8], address: &str) -> Result<Printed, PrintError> {
    let io = |source| PrintError::Io { address: address.to_string(), source };
    let before = read_state(printer).map_err(io)?;
    if !before.can_print() {
        return Err(PrintError::NotReady(before));
    }
    printer.write_all(job).map_err(io)?;
    printer.flush().map_err(io)?;
    let after = read_state(printer).map_err(io)?;
    Ok(Printed { state_after: Some(after) })
}
