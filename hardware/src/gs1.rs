//! What a scanned code means: a GTIN (EAN-13, EAN-8, UPC-A, UPC-E expanded), an in-store
//! scale label (prefix 20 to 29 with a PLU and a weight or price), or a GS1 element string
//! (GS1-128, GS1 DataMatrix) with its application identifiers.

use crate::barcode::{GtinError, check_gtin, gtin_check_digit};

/// The ASCII group separator that stands for FNC1 between variable-length fields.
pub const GS: char = '\u{1d}';

/// Why a code could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// A GTIN with a bad check digit or length.
    #[error("{0}")]
    Gtin(#[from] GtinError),
    /// A GS1 application identifier this reader does not know.
    #[error("unknown GS1 application identifier at `{0}`")]
    UnknownAi(String),
    /// A GS1 field too short, too long or malformed.
    #[error("GS1 ({ai}) `{value}`: {why}")]
    BadField {
        /// The AI.
        ai: String,
        /// The value.
        value: String,
        /// What is wrong.
        why: &'static str,
    },
    /// Empty or absurdly long input.
    #[error("not a code: {0}")]
    NotACode(&'static str),
}

/// How an in-store scale label is laid out: `PP LLLLL VVVVV C` by default (prefix, PLU,
/// value, check digit), the value being grams or fen depending on the prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleLayout {
    /// Digits of the PLU after the two-digit prefix.
    pub plu_digits: usize,
    /// Prefixes whose value is a price in minor units; the others in 20..=29 are weights in grams.
    pub price_prefixes: Vec<u8>,
}

impl Default for ScaleLayout {
    fn default() -> Self {
        ScaleLayout { plu_digits: 5, price_prefixes: vec![] }
    }
}

/// A scale label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleValue {
    /// Net weight in grams.
    Grams(i64),
    /// Price in minor units.
    Price(i64),
}

/// A scanned code, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// A trade item number, as the 13-digit (or 14-digit) code the catalog stores.
    Gtin(String),
    /// An in-store scale label.
    Scale {
        /// The label as scanned.
        code: String,
        /// The code the product is filed under: the label with a zero value (and its check digit).
        item_code: String,
        /// The PLU.
        plu: String,
        /// Weight or price.
        value: ScaleValue,
    },
    /// A GS1 element string.
    Gs1(Vec<(String, String)>),
    /// Anything else (internal codes, member passes): the text as scanned.
    Other(String),
}

/// Expands an 8-digit UPC-E (number system 0 or 1) to its 12-digit UPC-A, if valid.
pub fn expand_upce(code: &str) -> Option<String> {
    let d: Vec<u8> = code.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    if d.len() != 8 || d.iter().any(|x| *x > 9) || d[0] > 1 {
        return None;
    }
    let (ns, m, check) = (d[0], &d[1..7], d[7]);
    let body: Vec<u8> = match m[5] {
        0..=2 => [&[ns, m[0], m[1], m[5], 0, 0, 0, 0, m[2], m[3], m[4]][..]].concat(),
        3 => [&[ns, m[0], m[1], m[2], 0, 0, 0, 0, 0, m[3], m[4]][..]].concat(),
        4 => [&[ns, m[0], m[1], m[2], m[3], 0, 0, 0, 0, 0, m[4]][..]].concat(),
        _ => [&[ns, m[0], m[1], m[2], m[3], m[4], 0, 0, 0, 0, m[5]][..]].concat(),
    };
    (gtin_check_digit(&body) == check).then(|| body.iter().chain(std::iter::once(&check)).map(|x| char::from(b'0' + x)).collect())
}

/// Length of the AI starting `rest`, and the fixed length of its value (None: variable, up to the max).
fn ai_spec(rest: &str) -> Option<(usize, Option<usize>, usize)> {
    let two = rest.get(..2)?;
    Some(match two {
        "00" => (2, Some(18), 18),
        "01" | "02" | "03" => (2, Some(14), 14),
        "10" | "21" | "22" => (2, None, 20),
        "11" | "12" | "13" | "15" | "16" | "17" => (2, Some(6), 6),
        "20" => (2, Some(2), 2),
        "30" | "37" => (2, None, 8),
        "31" | "32" | "33" | "34" | "35" | "36" => (4, Some(6), 6),
        "39" if rest.get(2..3).is_some_and(|c| c == "0" || c == "2") => (4, None, 15),
        "39" if rest.get(2..3).is_some_and(|c| c == "1" || c == "3") => (4, None, 18),
        "41" => (3, Some(13), 13),
        "24" | "25" | "90" | "91" | "92" | "93" | "94" | "95" | "96" | "97" | "98" | "99" => (if two == "24" || two == "25" { 3 } else { 2 }, None, 90),
        _ => return None,
    })
}

/// Parses a GS1 element string: with a symbology identifier (`]C1`, `]d2`, `]Q3`) or
/// not, fields separated by GS where a variable-length field is not last, or written
/// human-readable as `(01)…(17)…`.
pub fn parse_gs1(input: &str) -> Result<Vec<(String, String)>, ScanError> {
    let text = ["]C1", "]d2", "]Q3", "]e0"].iter().find_map(|p| input.strip_prefix(p)).unwrap_or(input);
    if text.starts_with('(') {
        return parse_bracketed(text);
    }
    let mut fields = Vec::new();
    let mut rest = text.trim_start_matches(GS);
    while !rest.is_empty() {
        let (ai_len, fixed, max) = ai_spec(rest).ok_or_else(|| ScanError::UnknownAi(rest.chars().take(4).collect()))?;
        let ai = rest.get(..ai_len).ok_or_else(|| ScanError::UnknownAi(rest.to_string()))?.to_string();
        let after = &rest[ai_len..];
        let (value, next) = match fixed {
            Some(n) => {
                let value = after.get(..n).ok_or_else(|| ScanError::BadField { ai: ai.clone(), value: after.to_string(), why: "too short" })?;
                (value, after[n..].trim_start_matches(GS))
            }
            None => match after.find(GS) {
                Some(end) => (&after[..end], &after[end + 1..]),
                None => (after, ""),
            },
        };
        if value.is_empty() || value.chars().count() > max {
            return Err(ScanError::BadField { ai, value: value.to_string(), why: "wrong length" });
        }
        check_field(&ai, value)?;
        fields.push((ai, value.to_string()));
        rest = next;
    }
    if fields.is_empty() {
        return Err(ScanError::NotACode("empty GS1 string"));
    }
    Ok(fields)
}

fn parse_bracketed(text: &str) -> Result<Vec<(String, String)>, ScanError> {
    let mut fields = Vec::new();
    for part in text.split('(').skip(1) {
        let (ai, value) = part.split_once(')').ok_or(ScanError::NotACode("unbalanced parentheses"))?;
        let (ai_len, fixed, max) = ai_spec(ai).ok_or_else(|| ScanError::UnknownAi(ai.to_string()))?;
        if ai.len() != ai_len || fixed.is_some_and(|n| value.len() != n) || value.is_empty() || value.chars().count() > max {
            return Err(ScanError::BadField { ai: ai.to_string(), value: value.to_string(), why: "wrong length" });
        }
        check_field(ai, value)?;
        fields.push((ai.to_string(), value.to_string()));
    }
    if fields.is_empty() {
        return Err(ScanError::NotACode("no (AI) fields"));
    }
    Ok(fields)
}

fn check_field(ai: &str, value: &str) -> Result<(), ScanError> {
    let numeric = |why| if value.bytes().all(|b| b.is_ascii_digit()) { Ok(()) } else { Err(ScanError::BadField { ai: ai.to_string(), value: value.to_string(), why }) };
    match &ai[..2] {
        "00" => {
            numeric("digits only")?;
            Ok(sscc_check(value)?)
        }
        "01" | "02" | "03" | "41" => {
            numeric("digits only")?;
            Ok(check_gtin(value)?)
        }
        "11" | "12" | "13" | "15" | "16" | "17" => {
            numeric("a date is YYMMDD")?;
            let month: u32 = value[2..4].parse().unwrap_or(0);
            let day: u32 = value[4..6].parse().unwrap_or(99);
            if !(1..=12).contains(&month) || day > 31 {
                return Err(ScanError::BadField { ai: ai.to_string(), value: value.to_string(), why: "not a date (YYMMDD)" });
            }
            Ok(())
        }
        "31" | "32" | "33" | "34" | "35" | "36" | "37" | "39" | "20" | "30" => numeric("digits only"),
        _ => {
            if value.chars().any(|c| c.is_control()) {
                return Err(ScanError::BadField { ai: ai.to_string(), value: value.to_string(), why: "control characters" });
            }
            Ok(())
        }
    }
}

fn sscc_check(value: &str) -> Result<(), GtinError> {
    let digits: Vec<u8> = value.bytes().map(|b| b - b'0').collect();
    let (body, last) = digits.split_at(17);
    let expected = gtin_check_digit(body);
    if expected == last[0] { Ok(()) } else { Err(GtinError::CheckDigit { expected, found: last[0] }) }
}

/// Understands a scanned code.
pub fn parse_scan(code: &str, layout: &ScaleLayout) -> Result<Scan, ScanError> {
    if code.is_empty() {
        return Err(ScanError::NotACode("empty"));
    }
    if code.len() > 512 {
        return Err(ScanError::NotACode("longer than 512 characters"));
    }
    let gs1_like = code.starts_with(']') || code.starts_with("(") || code.contains(GS);
    if gs1_like {
        return parse_gs1(code).map(Scan::Gs1);
    }
    // A GS1-128 read by a scanner that sends neither the symbology identifier nor GS:
    // longer than any GTIN and starting with an SSCC or GTIN AI.
    if code.len() > 14 && matches!(code.get(..2), Some("00" | "01" | "02"))
        && let Ok(fields) = parse_gs1(code)
    {
        return Ok(Scan::Gs1(fields));
    }
    if code.bytes().all(|b| b.is_ascii_digit()) {
        return match code.len() {
            13 if matches!(&code[..2], "20" | "21" | "22" | "23" | "24" | "25" | "26" | "27" | "28" | "29") => {
                check_gtin(code)?;
                let prefix: u8 = code[..2].parse().unwrap_or(20);
                let plu_end = 2 + layout.plu_digits.clamp(3, 6);
                let value: i64 = code[plu_end..12].parse().unwrap_or(0);
                let body12 = format!("{}{}", &code[..plu_end], "0".repeat(12 - plu_end));
                let item_code = crate::barcode::ean13_with_check(&body12).unwrap_or_default();
                let value = if layout.price_prefixes.contains(&prefix) { ScaleValue::Price(value) } else { ScaleValue::Grams(value) };
                Ok(Scan::Scale { code: code.to_string(), item_code, plu: code[2..plu_end].to_string(), value })
            }
            8 | 12 | 13 | 14 => {
                if code.len() == 8 && check_gtin(code).is_err()
                    && let Some(upca) = expand_upce(code) {
                        return Ok(Scan::Gtin(format!("0{upca}")));
                    }
                check_gtin(code)?;
                // The catalog files 12-digit UPC-A as EAN-13 with a leading zero; GTIN-14 with
                // a zero indicator is the same item.
                Ok(Scan::Gtin(match code.len() {
                    12 => format!("0{code}"),
                    14 if code.starts_with('0') => code[1..].to_string(),
                    _ => code.to_string(),
                }))
            }
            _ => Ok(Scan::Other(code.to_string())),
        };
    }
    Ok(Scan::Other(code.to_string()))
}

/// The GTIN-13 a GS1 string names (AI 01 or 02), if any.
pub fn gs1_gtin(fields: &[(String, String)]) -> Option<String> {
    fields.iter().find(|(ai, _)| ai == "01" || ai == "02").map(|(_, v)| v.strip_prefix('0').unwrap_or(v).to_string())
}

/// Net weight in grams from AI 310n (kilograms with n decimals).
pub fn gs1_net_grams(fields: &[(String, String)]) -> Option<i64> {
    fields.iter().find(|(ai, _)| ai.starts_with("310")).and_then(|(ai, v)| {
        let decimals: u32 = ai[3..4].parse().ok()?;
        let raw: i64 = v.parse().ok()?;
        // kg × 1000 = grams, with n decimals in the value.
        Some(if decimals <= 3 { raw * 10i64.pow(3 - decimals) } else { raw / 10i64.pow(decimals - 3) })
    })
}

/// Price in minor units (two decimals) from AI 392n.
pub fn gs1_price_minor(fields: &[(String, String)]) -> Option<i64> {
    fields.iter().find(|(ai, _)| ai.starts_with("392")).and_then(|(ai, v)| {
        let decimals: u32 = ai[3..4].parse().ok()?;
        let raw: i64 = v.parse().ok()?;
        Some(if decimals <= 2 { raw * 10i64.pow(2 - decimals) } else { raw / 10i64.pow(decimals - 2) })
    })
}

/// A field by AI (10 batch, 17 expiry YYMMDD, 21 serial).
pub fn gs1_field<'a>(fields: &'a [(String, String)], ai: &str) -> Option<&'a str> {
    fields.iter().find(|(a, _)| a == ai).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn show(code: &str) -> String {
        let layout = ScaleLayout { plu_digits: 5, price_prefixes: vec![28, 29] };
        match parse_scan(code, &layout) {
            Ok(Scan::Gtin(g)) => format!("gtin {g}"),
            Ok(Scan::Scale { item_code, plu, value, .. }) => format!("scale plu {plu} item {item_code} {value:?}"),
            Ok(Scan::Gs1(fields)) => format!("gs1 {}", fields.iter().map(|(a, v)| format!("({a}){v}")).collect::<String>()),
            Ok(Scan::Other(t)) => format!("other {t}"),
            Err(e) => format!("error {e}"),
        }
    }

    #[test]
    fn understands_codes() {
        let cases = [
            ("6901234567892", "gtin 6901234567892"),
            ("036000291452", "gtin 0036000291452"),
            ("96385074", "gtin 96385074"),
            ("04252614", "gtin 0042100005264"),
            ("10614141000415", "gtin 10614141000415"),
            ("06901234567892", "gtin 6901234567892"),
            ("6901234567893", "error check digit is 3, should be 2"),
            ("2010001012344", "scale plu 10001 item 2010001000006 Grams(1234)"),
            ("2812345002506", "scale plu 12345 item 2812345000007 Price(250)"),
            ("2010001012340", "error check digit is 0, should be 4"),
            ("]C10109501101530003\u{1d}10AB-123\u{1d}1726013121SER42", "gs1 (01)09501101530003(10)AB-123(17)260131(21)SER42"),
            ("0109501101530003172601313103001250", "gs1 (01)09501101530003(17)260131(3103)001250"),
            ("(01)09501101530003(3922)1299(10)LOT7", "gs1 (01)09501101530003(3922)1299(10)LOT7"),
            ("]d20109501101530003", "gs1 (01)09501101530003"),
            ("(01)09501101530004", "error check digit is 4, should be 3"),
            ("(17)261341", "error GS1 (17) `261341`: not a date (YYMMDD)"),
            ("(88)123", "error unknown GS1 application identifier at `88`"),
            ("]C1019501101530003", "error GS1 (01) `9501101530003`: too short"),
            ("M1001-QR-PASS", "other M1001-QR-PASS"),
            ("12345", "other 12345"),
        ];
        for (code, expected) in cases {
            let code = code.replace("\\u{1d}", "\u{1d}");
            assert_eq!(show(&code), expected, "{code:?}");
        }
        let fields = parse_gs1("0109501101530003172601313103001250\u{1d}39221299").unwrap();
        assert_eq!(gs1_gtin(&fields).as_deref(), Some("9501101530003"));
        assert_eq!(gs1_net_grams(&fields), Some(1250));
        assert_eq!(gs1_price_minor(&fields), Some(1299));
        assert_eq!(gs1_field(&fields, "17"), Some("260131"));
        assert!(parse_scan(&"9".repeat(600), &ScaleLayout::default()).is_err());
        assert!(parse_scan("", &ScaleLayout::default()).is_err());
    }

    proptest! {
        #[test]
        fn every_single_digit_error_is_rejected(body in "[0-9]{12}", pos in 0usize..13, delta in 1u8..10) {
            let code = crate::barcode::ean13_with_check(&body).unwrap();
            prop_assert!(check_gtin(&code).is_ok());
            let mut bytes = code.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            prop_assert!(check_gtin(std::str::from_utf8(&bytes).unwrap()).is_err());
        }

        #[test]
        fn gs1_round_trips(gtin_body in "[0-9]{13}", batch in "[A-Z0-9]{1,20}", yy in 0u32..100, mm in 1u32..13, dd in 1u32..29, grams in 0u32..999_999) {
            let digits: Vec<u8> = gtin_body.bytes().map(|b| b - b'0').collect();
            let gtin = format!("{gtin_body}{}", gtin_check_digit(&digits));
            let date = format!("{yy:02}{mm:02}{dd:02}");
            let weight = format!("{grams:06}");
            let raw = format!("01{gtin}17{date}3103{weight}10{batch}");
            let fields = parse_gs1(&raw).unwrap();
            prop_assert_eq!(gs1_field(&fields, "01"), Some(gtin.as_str()));
            prop_assert_eq!(gs1_field(&fields, "10"), Some(batch.as_str()));
            prop_assert_eq!(gs1_net_grams(&fields), Some(i64::from(grams)));
            let bracketed: String = fields.iter().map(|(a, v)| format!("({a}){v}")).collect();
            prop_assert_eq!(parse_gs1(&bracketed).unwrap(), fields);
        }

        #[test]
        fn garbage_is_an_error_not_a_panic(text in "\\PC{0,80}") {
            let _ = parse_scan(&text, &ScaleLayout::default());
            let _ = parse_gs1(&text);
        }
    }
}
