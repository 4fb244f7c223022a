//! Shrink on a smart shelf: items that left the shelf and were never paid for.
//!
//! A pick (weight left a slot: `qty` items at `ts`) is covered by sales of the same SKU
//! made within `window_ms` after it (or up to `window_ms / 10` before it, since a reading
//! can arrive a little after the till rang the item up). Picks are matched oldest first,
//! each item to the earliest sale item not yet taken, so the result does not depend on
//! when it is computed; a pick whose window has closed with items still uncovered is
//! shrink.

/// Items that left a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    /// When (unix ms).
    pub ts: i64,
    /// How many items.
    pub qty: i64,
}

/// A pick with items no sale covers, once its window has closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shrink {
    /// Index of the pick in the input.
    pub pick: usize,
    /// Items not paid for.
    pub missing: i64,
}

/// Picks whose window closed before `now` with items uncovered by `sales` (time, items
/// sold), both in any order.
pub fn find_shrink(picks: &[Pick], sales: &[(i64, i64)], window_ms: i64, now: i64) -> Vec<Shrink> {
    let lead = window_ms / 10;
    let mut order: Vec<usize> = (0..picks.len()).collect();
    order.sort_by_key(|&i| (picks[i].ts, i));
    let mut sold: Vec<(i64, i64)> = sales.iter().copied().filter(|(_, q)| *q > 0).collect();
    sold.sort();
    let mut out = Vec::new();
    for i in order {
        let pick = picks[i];
        let mut need = pick.qty;
        for (ts, left) in sold.iter_mut() {
            if need == 0 {
                break;
            }
            if *left == 0 || *ts < pick.ts - lead || *ts > pick.ts + window_ms {
                continue;
            }
            let take = need.min(*left);
            *left -= take;
            need -= take;
        }
        if need > 0 && pick.ts + window_ms < now {
            out.push(Shrink { pick: i, missing: need });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: i64 = 600_000;

    #[test]
    fn picks_against_sales() {
        let p = |ts, qty| Pick { ts, qty };
        // (what happened, picks, sales, now, shrink as (pick, missing))
        type Case = (&'static str, Vec<Pick>, Vec<(i64, i64)>, i64, Vec<(usize, i64)>);
        let cases: &[Case] = &[
            ("paid within the window", vec![p(0, 1)], vec![(120_000, 1)], 10 * W, vec![]),
            ("never paid", vec![p(0, 2)], vec![], 10 * W, vec![(0, 2)]),
            ("window still open", vec![p(0, 1)], vec![], W - 1, vec![]),
            ("paid too late", vec![p(0, 1)], vec![(W + 1, 1)], 10 * W, vec![(0, 1)]),
            ("rung up just before the reading", vec![p(100_000, 1)], vec![(50_000, 1)], 10 * W, vec![]),
            ("one sale covers one of two picks", vec![p(0, 1), p(1_000, 1)], vec![(2_000, 1)], 10 * W, vec![(1, 1)]),
            ("part of a pick paid", vec![p(0, 3)], vec![(5_000, 2)], 10 * W, vec![(0, 1)]),
            ("a sale is used once", vec![p(0, 1), p(W / 2, 1)], vec![(W / 2 + 1, 1)], 10 * W, vec![(1, 1)]),
            ("order of input does not matter", vec![p(1_000, 1), p(0, 1)], vec![(2_000, 1)], 10 * W, vec![(0, 1)]),
        ];
        for (what, picks, sales, now, want) in cases {
            let got: Vec<(usize, i64)> = find_shrink(picks, sales, W, *now).into_iter().map(|s| (s.pick, s.missing)).collect();
            assert_eq!(&got, want, "{what}");
        }
    }
}
