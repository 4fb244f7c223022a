//! Printing receipts from the queue to an ESC/POS printer (TCP, serial or a device file),
//! for the command line and the HTTP API alike. A receipt is queued before it is sent, and
//! the outcome is recorded, so one that could not print waits to be printed again.

use std::time::Duration;

use opentill_core::i18n::{Label, Lang};
use opentill_hardware::receipt_printer::{PrintOptions, PrinterState, receipt_job};
use opentill_hardware::transport::{PrintError, PrinterAddress, send};

use crate::{Result, Till};

/// How long a printer has to answer.
pub const PRINTER_TIMEOUT: Duration = Duration::from_secs(3);

/// The cashier's message for a print failure.
pub fn failure_text(error: &PrintError, lang: Lang) -> String {
    match error {
        PrintError::NotReady(state) => lang.pick(state.message().0, state.message().1).to_string(),
        PrintError::Unreachable { address, .. } => format!("{} {address}", lang.pick("无法连接打印机", "cannot reach printer")),
        PrintError::Io { address, source } => format!("{} {address}: {source}", lang.pick("打印中断", "printing interrupted")),
    }
}

impl Till {
    /// Prints one queued receipt and records the outcome in the queue: the printer's state
    /// after the job when it tells, or why it did not print.
    pub fn print_job(&mut self, job_id: &str, kind: &str, ref_id: &str, address: &PrinterAddress, lang: Lang) -> Result<std::result::Result<Option<PrinterState>, String>> {
        let (text, qr, cash) = self.printable(kind, ref_id, lang)?;
        let dots = opentill_hardware::receipt_printer::dots_for_paper(self.replica.settings().paper_mm);
        // A logo that cannot be read is left off; the receipt still prints.
        let logo = self.logo_path().and_then(|path| opentill_hardware::receipt_printer::Raster::from_file(&path, dots).map_err(|e| tracing::warn!(error = %e, "logo not printed")).ok());
        let options = PrintOptions { logo, emphasize_prefix: Some(Label::Total.text(lang).to_string()), qr: Some(qr), kick_drawer: cash };
        let outcome = send(address, &receipt_job(&text, &options), PRINTER_TIMEOUT).map_err(|e| failure_text(&e, lang));
        self.record_print(job_id, outcome.as_ref().map(|_| ()).map_err(String::as_str))?;
        Ok(outcome.map(|printed| printed.state_after))
    }

    /// Queues a receipt (`sale` or `refund`) and, with a printer, prints it. `Ok(Err(why))`
    /// when it did not print: it stays queued.
    pub fn queue_and_print(&mut self, kind: &str, ref_id: &str, address: Option<&PrinterAddress>, lang: Lang) -> Result<std::result::Result<Option<PrinterState>, String>> {
        let job_id = self.queue_receipt(kind, ref_id)?;
        match address {
            Some(address) => self.print_job(&job_id, kind, ref_id, address, lang),
            None => Ok(Ok(None)),
        }
    }
}
