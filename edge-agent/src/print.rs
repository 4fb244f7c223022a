//! Printing receipts from the queue to a printer, and the drawer kick.

use std::time::Duration;

use opentill_core::i18n::{Label, Lang};
use opentill_hardware::receipt_printer::{PrintOptions, drawer_kick_job, receipt_job};
use opentill_hardware::transport::{PrintError, PrinterAddress, send};
use opentill_till::{Till, TillError};

/// How long a printer has to answer.
pub const PRINTER_TIMEOUT: Duration = Duration::from_secs(3);

/// Parses a printer address, with a clear error.
pub fn printer(text: &str) -> Result<PrinterAddress, TillError> {
    PrinterAddress::parse(text).map_err(TillError::BadInput)
}

/// The cashier's message for a print failure.
pub fn failure_text(error: &PrintError, lang: Lang) -> String {
    match error {
        PrintError::NotReady(state) => lang.pick(state.message().0, state.message().1).to_string(),
        PrintError::Unreachable { address, .. } => format!("{} {address}", lang.pick("无法连接打印机", "cannot reach printer")),
        PrintError::Io { address, source } => format!("{} {address}: {source}", lang.pick("打印中断", "printing interrupted")),
    }
}

/// Prints one queued receipt and records the outcome in the queue.
pub fn print_job(till: &mut Till, job_id: &str, kind: &str, ref_id: &str, address: &PrinterAddress, lang: Lang) -> Result<Result<(), String>, TillError> {
    let (text, qr, cash) = till.printable(kind, ref_id, lang)?;
    let dots = opentill_hardware::receipt_printer::dots_for_paper(till.replica().settings().paper_mm);
    // A logo that cannot be read is left off; the receipt still prints.
    let logo = till.logo_path().and_then(|path| opentill_hardware::receipt_printer::Raster::from_file(&path, dots).map_err(|e| tracing::warn!(error = %e, "logo not printed")).ok());
    let options = PrintOptions { logo, emphasize_prefix: Some(Label::Total.text(lang).to_string()), qr: Some(qr), kick_drawer: cash };
    let outcome = send(address, &receipt_job(&text, &options), PRINTER_TIMEOUT).map_err(|e| failure_text(&e, lang));
    till.record_print(job_id, outcome.as_ref().map(|_| ()).map_err(String::as_str))?;
    Ok(outcome.map(|printed| {
        if let Some(state) = printed.state_after.filter(|s| *s != opentill_hardware::receipt_printer::PrinterState::Ready) {
            eprintln!("{}", lang.pick(state.message().0, state.message().1));
        }
    }))
}

/// Queues a new receipt and prints it; a failure leaves it queued and says how to retry.
pub fn queue_and_print(till: &mut Till, kind: &str, ref_id: &str, address: Option<&PrinterAddress>, lang: Lang) -> Result<(), TillError> {
    let job_id = till.queue_receipt(kind, ref_id)?;
    let Some(address) = address else { return Ok(()) };
    if let Err(reason) = print_job(till, &job_id, kind, ref_id, address, lang)? {
        eprintln!(
            "{}: {reason}. {}",
            lang.pick("小票未打印", "receipt not printed"),
            lang.pick("已排队，稍后运行 `opentill-edge print pending` 补打", "it is queued: run `opentill-edge print pending` to print it")
        );
    }
    Ok(())
}

/// Opens the cash drawer through the printer.
pub fn kick_drawer(address: &PrinterAddress, lang: Lang) -> Result<(), TillError> {
    send(address, &drawer_kick_job(), PRINTER_TIMEOUT).map(|_| ()).map_err(|e| TillError::BadInput(failure_text(&e, lang)))
}
