//! ESC/POS receipt printing: receipt text to printer bytes (with the `escpos` crate for
//! the commands), Chinese in GB18030 inside the printer's Chinese mode, a QR code of the
//! sale id, the cut and the drawer kick; and the printer's real-time status read back.
//!
//! The same bytes go to a TCP printer (port 9100), a serial port or a device file.

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};
use std::sync::{Arc, Mutex};

/// FS &: enter the Chinese (GB18030 double-byte) mode.
pub const FS_CHINESE_ON: &[u8] = &[0x1c, 0x26];
/// FS .: leave the Chinese mode.
pub const FS_CHINESE_OFF: &[u8] = &[0x1c, 0x2e];

/// ESC p 0 t1 t2: pulse the drawer on pin 2 for 50 ms, then 500 ms off. The `escpos`
/// crate's `cash_drawer` sends only `ESC p m`, which a real printer completes with the next
/// two bytes of the job (eating two characters of the receipt); the simulator showed it.
pub const DRAWER_KICK_PIN2: &[u8] = &[0x1b, 0x70, 0x00, 25, 250];

/// A 1-bit raster image (a logo), rows packed 8 pixels a byte, most significant bit first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `ceil(width / 8) * height` bytes; a set bit is a black dot.
    pub bits: Vec<u8>,
}

/// Dots across the paper: 384 on 58 mm, 576 on 80 mm (203 dpi heads).
pub fn dots_for_paper(paper_mm: u32) -> u32 {
    if paper_mm >= 80 { 576 } else { 384 }
}

impl Raster {
    /// Thresholds a grey picture to black and white, scaled down to at most `max_width` dots.
    pub fn from_luma(luma: &[u8], width: u32, height: u32, max_width: u32) -> Option<Raster> {
        if width == 0 || height == 0 || luma.len() != (width * height) as usize {
            return None;
        }
        let scale = (f64::from(width) / f64::from(max_width)).max(1.0);
        let (w, h) = ((f64::from(width) / scale) as u32, (f64::from(height) / scale) as u32);
        let row_bytes = w.div_ceil(8);
        let mut bits = vec![0u8; (row_bytes * h) as usize];
        for y in 0..h {
            for x in 0..w {
                let (sx, sy) = (((f64::from(x) * scale) as u32).min(width - 1), ((f64::from(y) * scale) as u32).min(height - 1));
                if luma[(sy * width + sx) as usize] < 128 {
                    bits[(y * row_bytes + x / 8) as usize] |= 0x80 >> (x % 8);
                }
            }
        }
        Some(Raster { width: w, height: h, bits })
    }

    /// Reads a PNG or JPEG logo.
    pub fn from_file(path: &std::path::Path, max_width: u32) -> Result<Raster, String> {
        // The format is read from the content, not the name.
        let reader = image::ImageReader::open(path).and_then(|r| r.with_guessed_format()).map_err(|e| format!("{}: {e}", path.display()))?;
        let picture = reader.decode().map_err(|e| format!("{}: {e}", path.display()))?.to_luma8();
        let (w, h) = picture.dimensions();
        if w > 4096 || h > 4096 {
            return Err(format!("{}: larger than 4096x4096", path.display()));
        }
        Raster::from_luma(picture.as_raw(), w, h, max_width).ok_or_else(|| format!("{}: empty picture", path.display()))
    }

    /// GS v 0: print the raster image.
    fn command(&self) -> Vec<u8> {
        let row_bytes = self.width.div_ceil(8);
        let mut out = vec![0x1d, b'v', b'0', 0, (row_bytes & 0xff) as u8, (row_bytes >> 8) as u8, (self.height & 0xff) as u8, (self.height >> 8) as u8];
        out.extend_from_slice(&self.bits);
        out
    }
}

/// What to print besides the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// The store logo, centred above the text.
    pub logo: Option<Raster>,
    /// Lines starting with this are printed bold and double height (the total).
    pub emphasize_prefix: Option<String>,
    /// Data of a QR code printed under the text (the sale id, for returns).
    pub qr: Option<String>,
    /// Kick the cash drawer (pin 2) before printing.
    pub kick_drawer: bool,
}

/// A `Driver` that collects the bytes in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryDriver(Arc<Mutex<Vec<u8>>>);

impl MemoryDriver {
    /// The bytes written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Driver for MemoryDriver {
    fn name(&self) -> String {
        "memory".into()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// Encodes one line: ASCII as is, anything else in GB18030 inside the Chinese mode.
pub fn encode_line(line: &str) -> Vec<u8> {
    if line.is_ascii() {
        return line.as_bytes().to_vec();
    }
    let (bytes, _, _) = encoding_rs::GB18030.encode(line);
    let mut out = FS_CHINESE_ON.to_vec();
    out.extend_from_slice(&bytes);
    out.extend_from_slice(FS_CHINESE_OFF);
    out
}

/// Builds the ESC/POS job for a receipt already laid out as text (see
/// `opentill_core::receipt`): every line verbatim, then the QR code, then a full cut.
pub fn receipt_job(text: &str, options: &PrintOptions) -> Vec<u8> {
    let driver = MemoryDriver::default();
    let result = (|| -> escpos::errors::Result<()> {
        let mut printer = Printer::new(driver.clone(), Protocol::default(), None);
        printer.init()?;
        if options.kick_drawer {
            printer.custom(DRAWER_KICK_PIN2)?;
        }
        if let Some(logo) = &options.logo {
            printer.justify(JustifyMode::CENTER)?.custom(&logo.command())?.justify(JustifyMode::LEFT)?;
        }
        for line in text.lines() {
            let strong = options.emphasize_prefix.as_deref().is_some_and(|p| line.starts_with(p));
            if strong {
                printer.bold(true)?.size(1, 2)?;
            }
            printer.custom(&encode_line(line))?.custom(b"\n")?;
            if strong {
                printer.bold(false)?.size(1, 1)?;
            }
        }
        if let Some(data) = &options.qr {
            printer
                .justify(JustifyMode::CENTER)?
                .qrcode_option(data, QRCodeOption::new(QRCodeModel::Model2, 6, QRCodeCorrectionLevel::M))?
                .justify(JustifyMode::LEFT)?;
        }
        printer.feeds(3)?.print_cut()?;
        Ok(())
    })();
    // The memory driver cannot fail and every command above is well formed.
    debug_assert!(result.is_ok(), "{result:?}");
    driver.bytes()
}

/// Only a drawer kick (a manager's no-sale): ESC @, ESC p 0.
pub fn drawer_kick_job() -> Vec<u8> {
    let driver = MemoryDriver::default();
    let mut printer = Printer::new(driver.clone(), Protocol::default(), None);
    let _ = printer.init().and_then(|p| p.custom(DRAWER_KICK_PIN2)).and_then(|p| p.print());
    driver.bytes()
}

/// The printer's state as its real-time status bytes tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterState {
    /// Ready to print.
    Ready,
    /// Printing, but the roll is nearly out.
    PaperNearEnd,
    /// No paper: nothing will print.
    PaperOut,
    /// The cover is open.
    CoverOpen,
    /// Offline for another reason (error, feed button held).
    Offline,
}

impl PrinterState {
    /// Whether a job sent now will print.
    pub fn can_print(self) -> bool {
        matches!(self, PrinterState::Ready | PrinterState::PaperNearEnd)
    }

    /// A message for the cashier, in Chinese and English.
    pub fn message(self) -> (&'static str, &'static str) {
        match self {
            PrinterState::Ready => ("打印机就绪", "printer ready"),
            PrinterState::PaperNearEnd => ("打印纸即将用完", "paper nearly out"),
            PrinterState::PaperOut => ("打印机缺纸", "printer out of paper"),
            PrinterState::CoverOpen => ("打印机盖未关", "printer cover open"),
            PrinterState::Offline => ("打印机离线", "printer offline"),
        }
    }
}

/// The three DLE EOT requests [`state_from_status`] reads: printer (1), offline cause (2),
/// roll paper sensor (4).
pub const STATUS_QUERY: &[u8] = &[0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 4];

/// Interprets the replies to [`STATUS_QUERY`].
pub fn state_from_status(printer: u8, offline_cause: u8, paper: u8) -> PrinterState {
    if offline_cause & 0x04 != 0 {
        PrinterState::CoverOpen
    } else if paper & 0x60 != 0 || offline_cause & 0x20 != 0 {
        PrinterState::PaperOut
    } else if printer & 0x08 != 0 {
        PrinterState::Offline
    } else if paper & 0x0c != 0 {
        PrinterState::PaperNearEnd
    } else {
        PrinterState::Ready
    }
}

/// The status bytes a printer in `state` answers (used by the simulator).
pub fn status_bytes(state: PrinterState, request: u8) -> u8 {
    let base = 0x12;
    match (request, state) {
        (1, PrinterState::Ready | PrinterState::PaperNearEnd) => base,
        (1, _) => base | 0x08,
        (2, PrinterState::CoverOpen) => base | 0x04,
        (2, PrinterState::PaperOut) => base | 0x20,
        (2, PrinterState::Offline) => base | 0x40,
        (4, PrinterState::PaperOut) => base | 0x60,
        (4, PrinterState::PaperNearEnd) => base | 0x0c,
        _ => base,
    }
}
