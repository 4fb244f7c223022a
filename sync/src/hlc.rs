//! Hybrid logical clocks: the order of edits to shared documents.
//!
//! Two people changing one price while their stores are offline is a conflict automerge
//! would settle by actor id, which is arbitrary. OpenTill settles it by a hybrid logical
//! clock instead: every edit carries an [`Hlc`], the largest wins. An HLC is the wall
//! clock when clocks behave, and never goes backwards when they do not: a node that has
//! seen an edit stamped later than its own clock stamps its next edit after it. So an edit
//! made *after* seeing another one always wins over it, whatever the two wall clocks say,
//! and concurrent edits are ordered by wall time, then counter, then node id (a total
//! order, the same on every replica).
//!
//! ```
//! use opentill_sync::hlc::{Hlc, HlcClock};
//! let mut fast = HlcClock::new("till-a", Hlc::ZERO_STAMP);
//! let mut slow = HlcClock::new("till-b", Hlc::ZERO_STAMP);
//! let first = fast.stamp(2_000_000); // till-a's clock runs an hour ahead
//! slow.observe(&first);
//! let second = slow.stamp(2_000_000 - 3_600_000);
//! assert!(second > first, "the edit made after seeing the first one wins");
//! ```

use std::cmp::Ordering;
use std::fmt;

/// One timestamp: wall milliseconds, a counter for events in the same millisecond (or
/// while the wall clock is behind), and the node that made it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hlc {
    /// Unix milliseconds (logical: at least the largest ever seen).
    pub wall_ms: i64,
    /// Events after `wall_ms` with no newer wall time.
    pub counter: u32,
    /// The node; breaks ties between concurrent edits.
    pub node: String,
}

impl Hlc {
    /// The stamp before any other.
    pub const ZERO_STAMP: (i64, u32) = (0, 0);

    /// The text form: fixed-width digits, so text order is time order
    /// (`0001763900000000.000000.till-1`).
    pub fn encode(&self) -> String {
        format!("{:016}.{:06}.{}", self.wall_ms, self.counter, self.node)
    }

    /// Parses [`Hlc::encode`]'s form.
    pub fn parse(text: &str) -> Option<Hlc> {
        let mut parts = text.splitn(3, '.');
        let wall = parts.next()?;
        let counter = parts.next()?;
        let node = parts.next()?;
        if wall.len() != 16 || counter.len() != 6 || node.is_empty() || !wall.bytes().all(|b| b.is_ascii_digit()) || !counter.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Hlc { wall_ms: wall.parse().ok()?, counter: counter.parse().ok()?, node: node.to_string() })
    }

    /// The `(wall_ms, counter)` part.
    pub fn stamp(&self) -> (i64, u32) {
        (self.wall_ms, self.counter)
    }
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.wall_ms, self.counter, &self.node).cmp(&(other.wall_ms, other.counter, &other.node))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// A node's clock. The caller passes the wall time in (no clock is read here) and keeps
/// [`HlcClock::last`] durable between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlcClock {
    node: String,
    last: (i64, u32),
}

impl HlcClock {
    /// A clock for `node` that has already issued or seen `last`.
    pub fn new(node: &str, last: (i64, u32)) -> HlcClock {
        HlcClock { node: node.to_string(), last }
    }

    /// A stamp for a new edit, later than every stamp issued or seen before.
    pub fn stamp(&mut self, wall_ms: i64) -> Hlc {
        self.last = if wall_ms > self.last.0 { (wall_ms, 0) } else { (self.last.0, self.last.1.saturating_add(1)) };
        Hlc { wall_ms: self.last.0, counter: self.last.1, node: self.node.clone() }
    }

    /// Takes note of a stamp seen in a merged edit, so this node's next edit comes after it.
    pub fn observe(&mut self, seen: &Hlc) {
        self.last = self.last.max(seen.stamp());
    }

    /// The largest stamp issued or seen, to persist.
    pub fn last(&self) -> (i64, u32) {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order_and_parses_back() {
        let stamps = [
            Hlc { wall_ms: 5, counter: 0, node: "b".into() },
            Hlc { wall_ms: 5, counter: 1, node: "a".into() },
            Hlc { wall_ms: 1_763_900_000_000, counter: 0, node: "a".into() },
            Hlc { wall_ms: 1_763_900_000_000, counter: 0, node: "b.2".into() },
        ];
        for pair in stamps.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(pair[0].encode() < pair[1].encode(), "{} < {}", pair[0], pair[1]);
        }
        for stamp in &stamps {
            assert_eq!(Hlc::parse(&stamp.encode()).as_ref(), Some(stamp));
        }
        for bad in ["", "12.000000.a", "0000000000000005.000000.", "000000000000000x.000000.a", "0000000000000005.00000.a"] {
            assert_eq!(Hlc::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_clock_never_goes_backwards_and_follows_what_it_saw() {
        let mut clock = HlcClock::new("n", (0, 0));
        let a = clock.stamp(100);
        let b = clock.stamp(100);
        let c = clock.stamp(50); // the wall clock was set back
        assert!(a < b && b < c);
        assert_eq!(c.stamp(), (100, 2));
        clock.observe(&Hlc { wall_ms: 10_000, counter: 7, node: "m".into() });
        assert_eq!(clock.stamp(200).stamp(), (10_000, 8));
        assert_eq!(clock.stamp(20_000).stamp(), (20_000, 0));
    }
}
