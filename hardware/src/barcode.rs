//! GTIN barcodes: EAN-13, EAN-8, UPC-A, GTIN-14.

/// Why a code is not a valid GTIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    /// Something other than digits.
    #[error("a barcode has only digits")]
    NotDigits,
    /// Not 8, 12, 13 or 14 digits long.
    #[error("{0} digits: a GTIN has 8, 12, 13 or 14")]
    BadLength(usize),
    /// The last digit does not match.
    #[error("check digit is {found}, should be {expected}")]
    CheckDigit {
        /// The correct digit.
        expected: u8,
        /// The digit given.
        found: u8,
    },
}

/// The GS1 check digit for the digits of a GTIN without its last digit.
pub fn gtin_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Checks an EAN-8, UPC-A (12), EAN-13 or GTIN-14 code, check digit included.
pub fn check_gtin(code: &str) -> Result<(), GtinError> {
    if !code.bytes().all(|b| b.is_ascii_digit()) || code.is_empty() {
        return Err(GtinError::NotDigits);
    }
    if ![8, 12, 13, 14].contains(&code.len()) {
        return Err(GtinError::BadLength(code.len()));
    }
    let digits: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
    let (body, last) = digits.split_at(digits.len() - 1);
    let expected = gtin_check_digit(body);
    if expected != last[0] {
        return Err(GtinError::CheckDigit { expected, found: last[0] });
    }
    Ok(())
}

/// Completes a 12-digit EAN-13 body with its check digit.
pub fn ean13_with_check(body12: &str) -> Option<String> {
    if body12.len() != 12 || !body12.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: Vec<u8> = body12.bytes().map(|b| b - b'0').collect();
    Some(format!("{body12}{}", gtin_check_digit(&digits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_real_codes() {
        for ok in ["6901234567892", "4006381333931", "96385074", "036000291452", "10614141000415"] {
            assert_eq!(check_gtin(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_gtin("4006381333932"), Err(GtinError::CheckDigit { expected: 1, found: 2 }));
        assert_eq!(check_gtin("12345"), Err(GtinError::BadLength(5)));
        assert_eq!(check_gtin("69012345678a2"), Err(GtinError::NotDigits));
        assert_eq!(check_gtin(""), Err(GtinError::NotDigits));
        assert_eq!(ean13_with_check("690123456789").as_deref(), Some("6901234567892"));
    }
}
