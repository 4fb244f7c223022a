//! Barcodes in pictures: QR codes, EAN-13/EAN-8/UPC and Code 128, and GS1 DataMatrix,
//! decoded with `rxing` (a port of ZXing) from a grey-scale frame or an image file.
//!
//! Why rxing and not rqrr: rqrr reads QR codes only, and a till must also read the EAN on
//! a product photo and the Code 128 on a delivery note; `opentill-bench-decode` measures
//! both (and Debian's `zbarimg`) on the same generated images, see BENCHMARKS.md.

use std::path::Path;

/// A code found in a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Symbology, e.g. `QR_CODE`, `EAN_13`, `CODE_128`.
    pub format: String,
    /// The decoded text.
    pub text: String,
}

/// Why a picture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Not a PNG or JPEG we can open.
    #[error("{path}: {source}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        source: image::ImageError,
    },
    /// Larger than a 4K frame.
    #[error("{0}: larger than 4096x4096")]
    TooLarge(String),
}

/// Decodes every code in an 8-bit grey frame (`width * height` bytes, row-major).
/// Returns an empty list when there is none; never panics on odd input.
pub fn decode_luma(luma: Vec<u8>, width: u32, height: u32) -> Vec<Found> {
    if width == 0 || height == 0 || luma.len() != (width as usize) * (height as usize) {
        return Vec::new();
    }
    let found = rxing::helpers::detect_multiple_in_luma(luma, width, height).unwrap_or_default();
    let mut out: Vec<Found> = found.into_iter().map(|r| Found { format: format!("{:?}", r.getBarcodeFormat()).to_uppercase(), text: r.getText().to_string() }).collect();
    out.sort_by(|a, b| a.text.cmp(&b.text));
    out.dedup();
    out
}

/// Decodes every code in a PNG or JPEG file.
pub fn decode_file(path: &Path) -> Result<Vec<Found>, ImageError> {
    let shown = path.display().to_string();
    let reader = image::ImageReader::open(path).map_err(|e| ImageError::Unreadable { path: shown.clone(), source: image::ImageError::IoError(e) })?;
    let reader = reader.with_guessed_format().map_err(|e| ImageError::Unreadable { path: shown.clone(), source: image::ImageError::IoError(e) })?;
    let (width, height) = reader.into_dimensions().map_err(|source| ImageError::Unreadable { path: shown.clone(), source })?;
    if width > 4096 || height > 4096 {
        return Err(ImageError::TooLarge(shown));
    }
    let picture = image::open(path).map_err(|source| ImageError::Unreadable { path: shown, source })?.to_luma8();
    let (width, height) = picture.dimensions();
    Ok(decode_luma(picture.into_raw(), width, height))
}

/// Draws a code as a grey frame with a quiet zone, `scale` pixels a module (tests and the
/// benchmark use it; a till never needs to draw one).
pub fn render(format: rxing::BarcodeFormat, text: &str, width: u32, height: u32) -> Option<(Vec<u8>, u32, u32)> {
    use rxing::Writer;
    let matrix = rxing::MultiFormatWriter.encode(text, &format, width as i32, height as i32).ok()?;
    let (w, h) = (matrix.getWidth(), matrix.getHeight());
    let mut luma = vec![255u8; (w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            if matrix.get(x, y) {
                luma[(y * w + x) as usize] = 0;
            }
        }
    }
    Some((luma, w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_draws() {
        let (luma, w, h) = render(rxing::BarcodeFormat::QR_CODE, "01a20146b95e73aab3a33053b78143f1", 300, 300).unwrap();
        assert_eq!(decode_luma(luma, w, h), vec![Found { format: "QR_CODE".into(), text: "01a20146b95e73aab3a33053b78143f1".into() }]);
        let (luma, w, h) = render(rxing::BarcodeFormat::EAN_13, "6901234567892", 400, 160).unwrap();
        assert_eq!(decode_luma(luma, w, h), vec![Found { format: "EAN_13".into(), text: "6901234567892".into() }]);
        assert!(decode_luma(vec![128; 100], 10, 10).is_empty());
        assert!(decode_luma(vec![0; 5], 10, 10).is_empty(), "a frame of the wrong size is refused, not read past");
    }
}
