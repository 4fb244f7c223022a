//! Barcode scanners: splitting a scanner's byte stream into codes, and telling a
//! keyboard-wedge scan from a person typing.

/// What ends a code on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Terminator {
    /// Carriage return (the usual factory setting); a following LF is ignored.
    #[default]
    Cr,
    /// Line feed.
    Lf,
    /// Tab.
    Tab,
}

impl Terminator {
    /// `cr`, `lf`, `crlf` (same as `cr`), `tab`.
    pub fn parse(text: &str) -> Option<Terminator> {
        match text.to_ascii_lowercase().as_str() {
            "cr" | "crlf" => Some(Terminator::Cr),
            "lf" => Some(Terminator::Lf),
            "tab" => Some(Terminator::Tab),
            _ => None,
        }
    }
}

/// Longest code accepted; anything longer is garbage (a stuck scanner, line noise).
pub const MAX_CODE: usize = 512;

/// Why a frame was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// More than [`MAX_CODE`] bytes without a terminator; they were dropped up to the next one.
    #[error("a code longer than {MAX_CODE} bytes was dropped")]
    TooLong,
    /// Bytes that are not text.
    #[error("a code with non-text bytes was dropped")]
    NotText,
}

/// Splits a byte stream into codes. Fed in any chunks; memory stays under [`MAX_CODE`].
#[derive(Debug, Default)]
pub struct Framer {
    terminator: Terminator,
    buf: Vec<u8>,
    overflowed: bool,
}

impl Framer {
    /// A framer for a terminator.
    pub fn new(terminator: Terminator) -> Framer {
        Framer { terminator, ..Framer::default() }
    }

    /// Feeds bytes; returns the codes (or rejections) they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<String, FrameError>> {
        let mut out = Vec::new();
        for &b in bytes {
            let ends = match self.terminator {
                Terminator::Cr => b == b'\r' || b == b'\n',
                Terminator::Lf => b == b'\n',
                Terminator::Tab => b == b'\t',
            };
            if ends {
                if self.overflowed {
                    out.push(Err(FrameError::TooLong));
                } else if !self.buf.is_empty() {
                    out.push(match std::str::from_utf8(&self.buf) {
                        Ok(text) if !text.chars().any(char::is_control) => Ok(text.trim().to_string()),
                        _ => Err(FrameError::NotText),
                    });
                }
                self.buf.clear();
                self.overflowed = false;
            } else if self.buf.len() >= MAX_CODE {
                self.overflowed = true;
                self.buf.clear();
            } else if !self.overflowed {
                self.buf.push(b);
            }
        }
        out
    }
}

/// The rule the UI uses to tell a keyboard-wedge scanner from typing: a scanner "types"
/// a whole code with at most `max_gap_ms` between keys (scanners send 1 to 10 ms apart;
/// people rarely type faster than 80 ms per key) and ends it with Enter; codes shorter
/// than `min_len` are left to the focused field.
#[derive(Debug, Clone)]
pub struct WedgeRule {
    /// Largest gap between keys of one scan.
    pub max_gap_ms: i64,
    /// Shortest code taken as a scan.
    pub min_len: usize,
    keys: Vec<(char, i64)>,
}

impl Default for WedgeRule {
    fn default() -> Self {
        WedgeRule { max_gap_ms: 35, min_len: 4, keys: Vec::new() }
    }
}

/// What a key press turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WedgeEvent {
    /// A complete scan: swallow the keys and ring it up.
    Scan(String),
    /// Typing: give the keys to the focused field.
    Typed(String),
}

impl WedgeRule {
    /// Feeds one key (`'\n'` for Enter) with its timestamp in ms.
    pub fn key(&mut self, key: char, at_ms: i64) -> Option<WedgeEvent> {
        if let Some(&(_, last)) = self.keys.last()
            && at_ms - last > self.max_gap_ms
        {
            let typed: String = self.keys.drain(..).map(|(c, _)| c).collect();
            let next = self.key(key, at_ms);
            return match next {
                Some(WedgeEvent::Typed(more)) => Some(WedgeEvent::Typed(typed + &more)),
                None => {
                    // The slow keys were typing; the new key starts afresh.
                    Some(WedgeEvent::Typed(typed))
                }
                scan => scan,
            };
        }
        if key == '\n' {
            let code: String = self.keys.drain(..).map(|(c, _)| c).collect();
            return Some(if code.chars().count() >= self.min_len { WedgeEvent::Scan(code) } else { WedgeEvent::Typed(code + "\n") });
        }
        self.keys.push((key, at_ms));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_codes_in_any_chunks() {
        let mut framer = Framer::new(Terminator::Cr);
        assert_eq!(framer.feed(b"69012345"), vec![]);
        assert_eq!(framer.feed(b"67892\r\n2000001012345\r"), vec![Ok("6901234567892".into()), Ok("2000001012345".into())]);
        assert_eq!(framer.feed(&[b'9'; 2000]), vec![]);
        assert_eq!(framer.feed(b"\r123\r"), vec![Err(FrameError::TooLong), Ok("123".into())]);
        assert_eq!(framer.feed(&[0xff, 0xfe, b'\r']), vec![Err(FrameError::NotText)]);
        let mut tab = Framer::new(Terminator::Tab);
        assert_eq!(tab.feed(b"A1\tB2\t"), vec![Ok("A1".into()), Ok("B2".into())]);
    }

    #[test]
    fn wedge_scans_are_fast_typing_is_not() {
        let mut rule = WedgeRule::default();
        let mut events = Vec::new();
        for (i, c) in "6901234567892\n".chars().enumerate() {
            events.extend(rule.key(c, 1000 + i as i64 * 8));
        }
        assert_eq!(events, vec![WedgeEvent::Scan("6901234567892".into())]);
        let mut events = Vec::new();
        for (i, c) in "1234\n".chars().enumerate() {
            events.extend(rule.key(c, 5000 + i as i64 * 150));
        }
        assert_eq!(events.concat_typed(), "1234\n");
    }

    trait Concat {
        fn concat_typed(&self) -> String;
    }

    impl Concat for Vec<WedgeEvent> {
        fn concat_typed(&self) -> String {
            self.iter().map(|e| if let WedgeEvent::Typed(t) = e { t.clone() } else { panic!("a scan: {e:?}") }).collect()
        }
    }
}
