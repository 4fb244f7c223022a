//! Printing from the command line: the till's print queue (`opentill_till::printing`)
//! with messages for the cashier, and the drawer kick.

use opentill_core::i18n::Lang;
use opentill_hardware::receipt_printer::drawer_kick_job;
use opentill_hardware::transport::{PrinterAddress, send};
use opentill_till::printing::failure_text;
pub use opentill_till::printing::PRINTER_TIMEOUT;
use opentill_till::{Till, TillError};

/// Parses a printer address, with a clear error.
pub fn printer(text: &str) -> Result<PrinterAddress, TillError> {
    PrinterAddress::parse(text).map_err(TillError::BadInput)
}

/// Prints one queued receipt and records the outcome in the queue.
pub fn print_job(till: &mut Till, job_id: &str, kind: &str, ref_id: &str, address: &PrinterAddress, lang: Lang) -> Result<Result<(), String>, TillError> {
    Ok(till.print_job(job_id, kind, ref_id, address, lang)?.map(|after| {
        if let Some(state) = after.filter(|s| *s != opentill_hardware::receipt_printer::PrinterState::Ready) {
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
