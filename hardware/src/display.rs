//! Customer (pole) displays: 2 lines of 20 characters, the ESC/POS-compatible command set
//! most of them speak (Epson DM-D): `ESC @` initialise, `FF` clear, `ESC Q A text CR`
//! upper line, `ESC Q B text CR` lower line. CJK-capable displays take GB18030.

use unicode_width::UnicodeWidthStr;

/// Columns per line.
pub const COLUMNS: usize = 20;

fn fit(left: &str, right: &str) -> String {
    let mut left: String = left.to_string();
    while left.width() + right.width() + 1 > COLUMNS && !left.is_empty() {
        left.pop();
    }
    let gap = COLUMNS.saturating_sub(left.width() + right.width());
    format!("{left}{}{right}", " ".repeat(gap))
}

/// The two lines to show for a scanned item, or a total and change.
pub fn lines(upper: (&str, &str), lower: (&str, &str)) -> [String; 2] {
    [fit(upper.0, upper.1), fit(lower.0, lower.1)]
}

/// The bytes that show two lines; `cjk` displays get GB18030, others ASCII (other
/// characters become `?`).
pub fn show(lines: &[String; 2], cjk: bool) -> Vec<u8> {
    let encode = |text: &str| -> Vec<u8> {
        if cjk {
            encoding_rs::GB18030.encode(text).0.into_owned()
        } else {
            text.chars().map(|c| if c.is_ascii() { c as u8 } else { b'?' }).collect()
        }
    };
    let mut out = vec![0x1b, b'@', 0x0c];
    for (row, text) in [b'A', b'B'].iter().zip(lines) {
        out.extend_from_slice(&[0x1b, b'Q', *row]);
        out.extend(encode(text));
        out.push(0x0d);
    }
    out
}

/// What a display shows after these bytes (for the simulator and tests).
pub fn decode(bytes: &[u8], cjk: bool) -> [String; 2] {
    let mut rows = [Vec::new(), Vec::new()];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0x0c => {
                rows = [Vec::new(), Vec::new()];
                i += 1;
            }
            0x1b if bytes.get(i + 1) == Some(&b'@') => i += 2,
            0x1b if bytes.get(i + 1) == Some(&b'Q') => {
                let row = usize::from(bytes.get(i + 2) == Some(&b'B'));
                let end = bytes[i + 3..].iter().position(|b| *b == 0x0d).map_or(bytes.len(), |p| i + 3 + p);
                rows[row] = bytes.get(i + 3..end).unwrap_or_default().to_vec();
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    rows.map(|r| if cjk { encoding_rs::GB18030.decode(&r).0.into_owned() } else { r.iter().map(|b| *b as char).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_items_and_totals_in_twenty_columns() {
        let shown = lines(("可口可乐 330ml", "¥3.50"), ("合计", "¥18.60"));
        assert_eq!(shown[0].width(), COLUMNS);
        assert_eq!(decode(&show(&shown, true), true), shown);
        let plain = lines(("Coca-Cola 330ml can, chilled", "3.50"), ("TOTAL", "18.60"));
        assert_eq!(plain, ["Coca-Cola 330ml 3.50".to_string(), "TOTAL          18.60".to_string()]);
        assert_eq!(decode(&show(&plain, false), false), plain);
    }
}
