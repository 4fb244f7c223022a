//! Receipt printing end to end: text → ESC/POS bytes → the decoder (and the simulator).
#![allow(missing_docs)]

mod serial;

use opentill_hardware::escpos_decode::{Decoder, Event, decode_all};
use opentill_hardware::receipt_printer::{PrintOptions, PrinterState, STATUS_QUERY, drawer_kick_job, receipt_job, state_from_status, status_bytes};
use proptest::prelude::*;

const RECEIPT: &str = "        OpenTill 测试店
--------------------------------
可口可乐 330ml
  2 x 3.50                  7.00
合计                      ¥18.60
Change                     31.40
";

fn options() -> PrintOptions {
    PrintOptions { logo: None, emphasize_prefix: Some("合计".into()), qr: Some("01a20146b95e73aab3a33053b78143f1".into()), kick_drawer: true }
}

#[test]
fn a_receipt_decodes_back_to_its_text() {
    let bytes = receipt_job(RECEIPT, &options());
    let (gb, _, _) = encoding_rs::GB18030.encode("可口可乐");
    assert!(bytes.windows(gb.len()).any(|w| w == &gb[..]), "Chinese is sent as GB18030");
    assert!(bytes.windows(2).any(|w| w == [0x1c, 0x26]), "inside the Chinese mode (FS &)");
    assert!(!String::from_utf8_lossy(&bytes).contains("可口可乐"), "never as UTF-8");
    let jobs = decode_all(&bytes);
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.text().trim_end(), RECEIPT.trim_end());
    assert_eq!(job.qr_codes, vec!["01a20146b95e73aab3a33053b78143f1".to_string()]);
    assert_eq!(job.drawer_kicks, 1);
    assert_eq!(job.bold_lines, vec![4], "the total is bold");
    assert_eq!(job.unknown, 0);
}

#[test]
fn english_stays_in_the_default_code_page() {
    let bytes = receipt_job("Total  12.50\n", &PrintOptions::default());
    assert!(!bytes.windows(2).any(|w| w == [0x1c, 0x26]));
    assert_eq!(decode_all(&bytes)[0].text(), "Total  12.50\n");
    let kick = decode_all(&drawer_kick_job());
    assert_eq!(kick[0].drawer_kicks, 1);
}

#[test]
fn status_bytes_round_trip() {
    for state in [PrinterState::Ready, PrinterState::PaperNearEnd, PrinterState::PaperOut, PrinterState::CoverOpen, PrinterState::Offline] {
        let (a, b, c) = (status_bytes(state, 1), status_bytes(state, 2), status_bytes(state, 4));
        assert_eq!(state_from_status(a, b, c), state);
    }
    let mut decoder = Decoder::new();
    assert_eq!(decoder.feed(STATUS_QUERY), vec![Event::StatusRequest(1), Event::StatusRequest(2), Event::StatusRequest(4)]);
}

proptest! {
    #[test]
    fn any_chunking_decodes_the_same(split in prop::collection::vec(1usize..64, 1..40)) {
        let bytes = receipt_job(RECEIPT, &options());
        let mut decoder = Decoder::new();
        let mut jobs = Vec::new();
        let mut at = 0;
        for size in split.iter().cycle() {
            if at >= bytes.len() { break; }
            let end = (at + size).min(bytes.len());
            for event in decoder.feed(&bytes[at..end]) {
                if let Event::Cut(job) = event { jobs.push(job); }
            }
            at = end;
        }
        prop_assert_eq!(jobs, decode_all(&bytes));
    }

    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let mut decoder = Decoder::new();
        let _ = decoder.feed(&bytes);
        let _ = decoder.finish();
    }
}

#[test]
fn a_megabyte_without_a_newline_stays_bounded() {
    let mut decoder = Decoder::new();
    for _ in 0..256 {
        assert!(decoder.feed(&[b'x'; 4096]).is_empty());
    }
    let job = decoder.finish().unwrap();
    assert!(job.lines.iter().all(|l| l.len() <= opentill_hardware::escpos_decode::MAX_LINE));
    assert_eq!(job.lines.iter().map(String::len).sum::<usize>(), 1 << 20);
}

/// A receipt recorded as printer bytes: the encoder must still produce exactly these
/// bytes, and the decoder must still read them as this text.
#[test]
fn recorded_receipt_bytes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/escpos/receipt-zh.bin");
    let bytes = receipt_job(RECEIPT, &options());
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, &bytes).unwrap();
    }
    let recorded = std::fs::read(path).expect("fixtures/escpos/receipt-zh.bin (UPDATE_EXPECT=1 records it)");
    assert_eq!(bytes, recorded, "the ESC/POS bytes of a receipt changed");
    let job = &decode_all(&recorded)[0];
    expect_test::expect![[r#"
                OpenTill 测试店
        --------------------------------
        可口可乐 330ml
          2 x 3.50                  7.00
        合计                      ¥18.60
        Change                     31.40
    "#]]
    .assert_eq(&job.text());
}

/// Barcode pictures kept in `fixtures/barcodes/` (written by `UPDATE_EXPECT=1`) decode to
/// what they show.
#[test]
fn recorded_barcode_pictures() {
    use opentill_hardware::image_decode::{decode_file, render};
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/barcodes"));
    let cases = [
        ("receipt-qr.png", rxing::BarcodeFormat::QR_CODE, "01a20146b95e73aab3a33053b78143f1", 240, 240),
        ("cola-ean13.png", rxing::BarcodeFormat::EAN_13, "6901234567892", 360, 120),
    ];
    for (file, format, text, w, h) in cases {
        let path = dir.join(file);
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            let (luma, mw, mh) = render(format, text, w, h).unwrap();
            let picture = image::GrayImage::from_raw(mw, mh, luma).unwrap();
            let mut framed = image::GrayImage::from_pixel(mw + 40, mh + 40, image::Luma([255]));
            image::imageops::overlay(&mut framed, &picture, 20, 20);
            framed.save(&path).unwrap();
        }
        let found = decode_file(&path).unwrap();
        assert_eq!(found.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(), vec![text], "{file}");
    }
    let bad = dir.join("not-an-image.png");
    std::fs::write(&bad, b"hello").unwrap();
    assert!(decode_file(&bad).is_err());
    std::fs::remove_file(&bad).unwrap();
}

#[test]
fn a_logo_prints_as_a_raster_above_the_text() {
    use opentill_hardware::receipt_printer::{Raster, dots_for_paper};
    // A 1000x200 black-and-white picture shrinks to the 384 dots of 58 mm paper.
    let mut luma = vec![255u8; 1000 * 200];
    for y in 50..150 {
        for x in 100..900 {
            luma[y * 1000 + x] = 0;
        }
    }
    let logo = Raster::from_luma(&luma, 1000, 200, dots_for_paper(58)).unwrap();
    assert_eq!((logo.width, logo.height), (384, 76));
    let bytes = receipt_job("Total 1.00\n", &PrintOptions { logo: Some(logo), ..PrintOptions::default() });
    let job = &decode_all(&bytes)[0];
    assert_eq!(job.images, vec![(384, 76)]);
    assert_eq!(job.text(), "Total 1.00\n");
    assert!(Raster::from_luma(&[0; 3], 2, 2, 384).is_none());
}
