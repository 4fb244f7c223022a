//! Retail scales: the Mettler Toledo 8217 protocol (the one most POS scales speak).
//!
//! The host sends `W`; a stable scale answers `STX` + the weight in kilograms with three
//! decimals (`01.234`) + `CR`. A scale that cannot give a weight answers `STX ? s CR`,
//! where the status byte `s` says why: bit 0 in motion, bit 1 over capacity, bit 2 under
//! zero. A pure parser here; the serial I/O is in [`crate::serial`].

/// The request byte.
pub const REQUEST_WEIGHT: u8 = b'W';
const STX: u8 = 0x02;
const CR: u8 = 0x0d;

/// What the scale said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// A stable net weight in grams.
    Stable(i64),
    /// Still moving: ask again.
    InMotion,
    /// More than the scale can weigh.
    OverCapacity,
    /// Below zero: re-zero the scale.
    UnderZero,
}

/// Why a reply could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScaleError {
    /// Not `STX … CR`, or an unreadable weight.
    #[error("scale reply not understood: {0:?}")]
    Garbled(Vec<u8>),
    /// No reply in time.
    #[error("scale did not answer")]
    NoReply,
}

/// Parses one reply frame (`STX … CR`).
pub fn parse_reply(frame: &[u8]) -> Result<Reading, ScaleError> {
    let garbled = || ScaleError::Garbled(frame.iter().copied().take(32).collect());
    let body = frame.strip_prefix(&[STX]).and_then(|f| f.strip_suffix(&[CR])).ok_or_else(garbled)?;
    if let [b'?', status] = body {
        return Ok(if status & 0x02 != 0 {
            Reading::OverCapacity
        } else if status & 0x04 != 0 {
            Reading::UnderZero
        } else {
            Reading::InMotion
        });
    }
    let text = std::str::from_utf8(body).map_err(|_| garbled())?;
    let (kg, frac) = text.split_once('.').ok_or_else(garbled)?;
    if frac.len() != 3 || kg.is_empty() || kg.len() > 3 || !kg.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(garbled());
    }
    Ok(Reading::Stable(kg.parse::<i64>().map_err(|_| garbled())? * 1000 + frac.parse::<i64>().map_err(|_| garbled())?))
}

/// The reply a scale in this state sends (used by the simulator).
pub fn reply(reading: Reading) -> Vec<u8> {
    let body = match reading {
        Reading::Stable(grams) => format!("{:02}.{:03}", grams / 1000, grams % 1000).into_bytes(),
        Reading::InMotion => vec![b'?', 0x01],
        Reading::OverCapacity => vec![b'?', 0x02],
        Reading::UnderZero => vec![b'?', 0x04],
    };
    let mut out = vec![STX];
    out.extend(body);
    out.push(CR);
    out
}

/// Finds the first complete frame in `buf`: returns it and how many bytes it used (bytes
/// before an STX are noise and are skipped).
pub fn take_frame(buf: &[u8]) -> Option<(&[u8], usize)> {
    let start = buf.iter().position(|b| *b == STX)?;
    let end = buf[start..].iter().position(|b| *b == CR)? + start;
    Some((&buf[start..=end], end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_round_trip_and_garbage_is_refused() {
        for reading in [Reading::Stable(532), Reading::Stable(12_345), Reading::Stable(0), Reading::InMotion, Reading::OverCapacity, Reading::UnderZero] {
            assert_eq!(parse_reply(&reply(reading)), Ok(reading));
        }
        assert_eq!(reply(Reading::Stable(1234)), b"\x0201.234\r");
        for bad in [&b"01.234\r"[..], b"\x0201.23\r", b"\x02ab.cde\r", b"\x02\r", b"\x0201.234"] {
            assert!(parse_reply(bad).is_err(), "{bad:?}");
        }
        assert_eq!(take_frame(b"noise\x0200.532\rrest"), Some((&b"\x0200.532\r"[..], 13)));
        assert_eq!(take_frame(b"\x0200.5"), None);
    }
}
