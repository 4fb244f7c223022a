//! The optimiser: the allowed combination that saves the customer the most.
//!
//! **Candidates.** Only item promotions that can save something on some line, and only
//! order-level offers whose best case (every line of their scope at its gross amount)
//! saves something, are considered. On a line no order-level offer covers, only the best
//! per-line promotion is kept (nothing else depends on that line's choice); elsewhere,
//! per-line options that block the same offers and save the same are merged.
//!
//! **Components.** Lines are joined when a pooled item promotion (买N送M, bundle, flash
//! sale) could take both, when an order-level offer covers both, or when two coupons of
//! one coupon group cover them. Components share nothing, so each is searched alone and
//! their savings add up.
//!
//! **Search.** In a component, a depth-first branch and bound first chooses the order-level
//! offers: the conflict graph is covered by cliques (at most one offer of a clique
//! applies), and each clique in turn takes one compatible offer or none, children visited
//! best bound first. For each full choice it then chooses one item option per line
//! (pooled lines first). Every bound is an upper bound on what any completion saves, in
//! units of 1/10,000 fen:
//! - decided lines count exactly, undecided lines at their best option;
//! - a percentage coupon counts as `rate × line amount`, per line, so that giving up an
//!   item discount is seen to raise the coupon;
//! - a 满减 or step coupon gets a fractional-knapsack bound on the trade-off between the
//!   item savings of the lines it owns and keeping its base above each tier (every fen of
//!   item saving lowers the base by at least a fen); a line is owned by the covering offer
//!   with the least room above its top reachable tier, where the trade-off can bite;
//! - a 满减 whose lines all sit under a chosen percentage coupon counts `1 - rate` of its
//!   reduction, which also lowers the coupon's base;
//! - the lines of a pooled promotion add, over their best other options, at most the most
//!   the promotion saves on any subset of them (enumerated for pools of up to eight lines);
//! - a clique not decided yet adds its best compatible offer at gross. This holds for any
//!   offers added later, because they only lower the chosen offers' bases.
//!
//! Leaves are priced by [`Problem::evaluate`], the same function that prices the result.
//! The search does at most a budget of work; past it, the best combination found so far
//! (the first one is the greedy choice: best offers first, best item options) is returned
//! with `proven = false` and, as the upper bound, the highest bound among the parts of the
//! search left unexplored.

use std::collections::HashMap;

use super::config::{CouponKind, PromoKind};
use super::eval::{OfferRef, Outcome, Problem, RuleRef, Scratch, Selection};

/// Fixed-point scale of the line bounds: 1/10,000 fen, so that basis points multiply exactly.
const SCALE: i128 = 10_000;

/// How much work [`PromotionSet::price`](super::PromotionSet::price) lets the optimiser do
/// before it settles for the best combination found. Work counts search nodes; building the
/// bounds for a set of order-level offers and pricing a complete combination are charged
/// one per line, as they cost that much more. On the benchmark machine (2 cores, shared)
/// this keeps the 99th percentile of a 50-line basket under about 1.6 ms; see
/// BENCHMARKS.md.
pub const DEFAULT_WORK_LIMIT: u64 = 6_000;
/// Work charged per line for building an item search.
const STATE_COST: u64 = 1;
/// Work charged per line for pricing a leaf.
const LEAF_COST: u64 = 1;

/// One item option of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Opt {
    promo: Option<u32>,
    /// Index into the pooled promotions, for 买N送M, bundles and flash sales.
    pooled: Option<usize>,
    /// Exact saving (per-line promotions) or an upper bound (pooled ones).
    saving: i64,
    /// What the option is expected to save, to try the likeliest options first: the
    /// saving, or for a pooled one the line's share in the pool's best subset of lines
    /// (negative for a line outside it, so that the pool is tried last).
    estimate: i64,
}

const NONE: Opt = Opt { promo: None, pooled: None, saving: 0, estimate: 0 };

#[derive(Debug, Clone)]
struct Pooled {
    promo: u32,
    lines: Vec<u16>,
    /// The most it saves over any subset of its lines, when small enough to enumerate.
    best: Option<i64>,
}

/// Pools of at most this many lines get their best subset enumerated.
const POOL_ENUMERATE: usize = 8;

/// The optimiser's answer.
#[derive(Debug, Clone)]
pub(crate) struct Searched {
    pub selection: Selection,
    pub proven: bool,
    pub upper_bound: i64,
    pub work: u64,
    /// Per order-level offer: whether it could save anything at all on this basket.
    pub reachable: Vec<bool>,
}

/// Finds the best selection, doing about `work_limit` work at most (see
/// [`DEFAULT_WORK_LIMIT`]).
pub(crate) fn optimise(problem: &Problem, work_limit: u64) -> Searched {
    let n = problem.lines.len();
    let lines = problem.lines;

    // Order-level candidates: those that save something in their best case.
    let relaxed: Vec<i64> = (0..problem.order.len())
        .map(|o| {
            let base: i64 = problem.order[o].scope_lines.iter().map(|&l| lines[l as usize].gross).sum();
            problem.declared(o, base).min(base).max(0)
        })
        .collect();
    let reachable: Vec<bool> = relaxed.iter().map(|&v| v > 0).collect();
    let candidates: Vec<usize> = (0..problem.order.len()).filter(|&o| reachable[o]).collect();
    let mut covered = vec![false; n];
    for &o in &candidates {
        for &l in &problem.order[o].scope_lines {
            covered[l as usize] = true;
        }
    }

    // Item options.
    let mut options: Vec<Vec<Opt>> = vec![vec![NONE]; n];
    let mut pooled: Vec<Pooled> = Vec::new();
    let mut pooled_at: HashMap<u32, usize> = HashMap::new();
    let mut scratch = Vec::new();
    for pos in 0..n {
        if !lines[pos].sane() {
            continue;
        }
        problem.set.index.candidates(&lines[pos], &mut scratch);
        scratch.sort_unstable();
        scratch.dedup();
        let mut separable: Vec<Opt> = Vec::new();
        for &p in &scratch {
            let promotion = &problem.set.promotions[p as usize];
            if promotion.kind.is_order_level() || !problem.item_eligible(p, pos) {
                continue;
            }
            let Some(saving) = problem.line_saving(p, pos) else {
                let at = *pooled_at.entry(p).or_insert_with(|| {
                    pooled.push(Pooled { promo: p, lines: Vec::new(), best: None });
                    pooled.len() - 1
                });
                pooled[at].lines.push(pos as u16);
                continue;
            };
            if saving > 0 {
                separable.push(Opt { promo: Some(p), pooled: None, saving, estimate: saving });
            }
        }
        // Best first; ties go to the higher priority, then the earlier promotion.
        let prio = |o: &Opt| o.promo.map_or(0, |p| problem.set.promotions[p as usize].priority);
        separable.sort_by(|a, b| b.saving.cmp(&a.saving).then(prio(b).cmp(&prio(a))).then(a.promo.cmp(&b.promo)));
        if covered[pos] {
            let class = |o: &Opt| o.promo.map(|p| (problem.set.promotions[p as usize].exclusive, problem.set.group_of[p as usize]));
            let mut kept: Vec<Opt> = Vec::new();
            for o in separable {
                if !kept.iter().any(|k| k.saving == o.saving && class(k) == class(&o)) {
                    kept.push(o);
                }
            }
            options[pos].extend(kept);
        } else {
            options[pos].extend(separable.into_iter().take(1));
        }
    }
    // Pooled promotions: keep those that can save something, with per-line upper bounds.
    let mut kept_pooled = Vec::new();
    for mut pool in pooled {
        let exact = problem.item_savings(pool.promo, &pool.lines);
        if exact.iter().sum::<i64>() == 0 && !matches!(problem.set.promotions[pool.promo as usize].kind, PromoKind::BuyGet { .. }) {
            continue;
        }
        let bounds = pooled_bounds(problem, &pool);
        if bounds.iter().all(|&b| b == 0) {
            continue;
        }
        // The best subset of lines for the pool alone (all of them if too many to try).
        let mut members: Vec<u16> = pool.lines.clone();
        if pool.lines.len() <= POOL_ENUMERATE {
            let mut subset = Vec::with_capacity(pool.lines.len());
            let (mut best, mut best_bits) = (-1, 0u32);
            for bits in 1u32..1 << pool.lines.len() {
                subset.clear();
                subset.extend((0..pool.lines.len()).filter(|i| bits & (1 << i) != 0).map(|i| pool.lines[i]));
                let saving = problem.item_savings(pool.promo, &subset).iter().sum::<i64>();
                if saving > best {
                    (best, best_bits) = (saving, bits);
                }
            }
            pool.best = Some(best);
            members = (0..pool.lines.len()).filter(|i| best_bits & (1 << i) != 0).map(|i| pool.lines[i]).collect();
        }
        let shares = problem.item_savings(pool.promo, &members);
        let at = kept_pooled.len();
        for (&l, &ub) in pool.lines.iter().zip(&bounds) {
            let estimate = members.iter().position(|&m| m == l).map_or(-1, |i| shares[i]);
            options[l as usize].push(Opt { promo: Some(pool.promo), pooled: Some(at), saving: ub, estimate });
        }
        kept_pooled.push(pool);
    }
    let pooled = kept_pooled;

    // Components.
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], x: usize) -> usize {
        let mut root = x;
        while parent[root] != root {
            root = parent[root];
        }
        let mut x = x;
        while parent[x] != root {
            let next = parent[x];
            parent[x] = root;
            x = next;
        }
        root
    }
    let union = |parent: &mut Vec<usize>, group: &mut dyn Iterator<Item = usize>| {
        if let Some(first) = group.next() {
            let a = find(parent, first);
            for x in group {
                let b = find(parent, x);
                parent[b] = a;
            }
        }
    };
    for pool in &pooled {
        union(&mut parent, &mut pool.lines.iter().map(|&l| l as usize));
    }
    for &o in &candidates {
        union(&mut parent, &mut problem.order[o].scope_lines.iter().map(|&l| l as usize));
    }
    let mut coupon_groups: HashMap<&str, usize> = HashMap::new();
    for &o in &candidates {
        if let OfferRef::Coupon(c) = problem.order[o].offer {
            let first = problem.order[o].scope_lines[0] as usize;
            let anchor = *coupon_groups.entry(problem.set.coupons[c as usize].group.as_str()).or_insert(first);
            union(&mut parent, &mut [anchor, first].into_iter());
        }
    }
    let mut components: HashMap<usize, Component> = HashMap::new();
    for pos in 0..n {
        let root = find(&mut parent, pos);
        components.entry(root).or_default().lines.push(pos as u16);
    }
    for (at, pool) in pooled.iter().enumerate() {
        let root = find(&mut parent, pool.lines[0] as usize);
        components.get_mut(&root).expect("component of a pooled line").pooled.push(at);
    }
    for &o in &candidates {
        let root = find(&mut parent, problem.order[o].scope_lines[0] as usize);
        components.get_mut(&root).expect("component of an offer").offers.push(o);
    }
    let mut components: Vec<Component> = components.into_values().collect();
    components.sort_by_key(|c| c.lines[0]);

    let mut search = Search { problem, selection: Selection::default(), outcome: Outcome::default(), scratch: Scratch::default(), options: &options, pooled: &pooled, relaxed: &relaxed, work: 0, limit: work_limit, aborted: false, open: 0 };
    let mut selection = Selection { item: vec![None; n], order: Vec::new() };
    let mut proven = true;
    let mut upper_bound = 0;
    for component in &components {
        let (best, comp_proven, comp_bound) = search.component(component);
        for (pos, choice) in best.item {
            selection.item[pos as usize] = choice;
        }
        selection.order.extend(best.order.iter().map(|&o| o as u32));
        proven &= comp_proven;
        upper_bound += if comp_proven { best.value } else { comp_bound.max(best.value) };
    }
    selection.order.sort_unstable();
    Searched { selection, proven, upper_bound, work: search.work, reachable }
}

/// Per-line upper bounds of what a pooled promotion can save on each of its lines.
fn pooled_bounds(problem: &Problem, pool: &Pooled) -> Vec<i64> {
    let line = |l: u16| &problem.lines[l as usize];
    let promotion = &problem.set.promotions[pool.promo as usize];
    match &promotion.kind {
        PromoKind::BuyGet { buy, get, .. } => {
            // A line's pieces are free only as the cheapest of the deal. With `a` pieces at
            // least as dear as the line's (its own included) and `b` cheaper ones in the
            // deal, the cheaper ones go first: at most ⌊(a+b)/g⌋·get − b of the line's are
            // free. More `a` never hurts; more than g − 1 cheaper pieces never helps.
            let (get, group) = (i64::from(*get), i64::from(*buy) + i64::from(*get));
            let pieces: i64 = pool.lines.iter().map(|&l| line(l).pieces()).sum();
            pool.lines
                .iter()
                .map(|&l| {
                    let dearer: i64 = pool.lines.iter().filter(|&&m| line(m).unit_price >= line(l).unit_price).map(|&m| line(m).pieces()).sum();
                    let cheaper = pieces - dearer;
                    let free = (0..=cheaper.min(group - 1)).map(|b| (dearer + b) / group * get - b).max().unwrap_or(0).max(0);
                    free.min(line(l).pieces()) * line(l).unit_price
                })
                .collect()
        }
        PromoKind::Bundle { items, .. } => {
            // Never more than the saving with every candidate line, which is the most any
            // subset can form (more lines never form fewer sets or cheaper ones). When each
            // component is on one line, every set splits its saving in the same proportion.
            let all: i64 = problem.item_savings(pool.promo, &pool.lines).iter().sum();
            let sets = items.iter().map(|i| pool.lines.iter().filter(|&&l| line(l).sku == i.sku).map(|&l| line(l).pieces()).sum::<i64>() / i.qty).min().unwrap_or(0);
            let one_line_each = items.iter().all(|i| pool.lines.iter().filter(|&&l| line(l).sku == i.sku).count() == 1);
            let weight = |l: u16| items.iter().find(|i| i.sku == line(l).sku).map_or(0, |i| i.qty * line(l).unit_price);
            let total: i64 = pool.lines.iter().map(|&l| weight(l)).sum();
            pool.lines
                .iter()
                .map(|&l| {
                    let need = items.iter().find(|i| i.sku == line(l).sku).map_or(0, |i| i.qty * sets);
                    let mut bound = (need.min(line(l).pieces()) * line(l).unit_price).min(all);
                    if one_line_each && total > 0 {
                        bound = bound.min(ceil_div(i128::from(all) * i128::from(weight(l)), i128::from(total)) as i64);
                    }
                    bound
                })
                .collect()
        }
        PromoKind::FlashSale { price, cap, per_order_limit, .. } => {
            let remaining = problem.ctx.flash_remaining.get(&promotion.id).copied().unwrap_or(0);
            let grant = remaining.min(*cap).min(per_order_limit.unwrap_or(i64::MAX)).max(0);
            pool.lines.iter().map(|&l| grant.min(line(l).pieces()) * (line(l).unit_price - price).max(0)).collect()
        }
        _ => vec![0; pool.lines.len()],
    }
}

#[derive(Debug, Default)]
struct Component {
    lines: Vec<u16>,
    pooled: Vec<usize>,
    /// Indices into `Problem::order`.
    offers: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
struct Best {
    value: i64,
    item: Vec<(u16, Option<u32>)>,
    order: Vec<usize>,
}

struct Search<'a, 'p> {
    problem: &'a Problem<'p>,
    /// Buffers for pricing leaves.
    selection: Selection,
    outcome: Outcome,
    scratch: Scratch,
    options: &'a [Vec<Opt>],
    pooled: &'a [Pooled],
    relaxed: &'a [i64],
    /// Work done so far, and the budget.
    work: u64,
    limit: u64,
    aborted: bool,
    /// Once aborted: the highest bound (scaled) of the parts of the current component left
    /// unexplored, so that the reported upper bound covers them.
    open: i128,
}

/// How a step offer's reduction depends on its base, for the knapsack bound.
#[derive(Debug, Clone)]
enum Levels {
    /// `(spend, off)`, ascending: from `spend` on, at most `off`.
    Steps(Vec<(i64, i64)>),
    /// No trade-off modelled: the reduction at the optimistic base.
    Constant,
}

/// What the search of one component knows of its order-level offers, computed once.
/// Offers are numbered locally, best gross-case value first.
struct Prep {
    /// Local index to `Problem::order` index.
    offers: Vec<usize>,
    /// `conflict[a * k + b]`.
    conflict: Vec<bool>,
    /// `subset[a * k + b]`: every line of `a`'s scope is in `b`'s.
    subset: Vec<bool>,
    /// Gross amount of each offer's scope.
    top: Vec<i64>,
    levels: Vec<Levels>,
    /// Gross base above the highest tier reachable; small room means item savings can cost a tier.
    room: Vec<i64>,
    /// Percentage coupons bounded per line (`rate × amount`), with their basis points.
    linear_bp: Vec<Option<i128>>,
    /// A cover of the conflict graph by cliques: at most one offer of each applies.
    cliques: Vec<Vec<usize>>,
}

impl Prep {
    fn new(search: &Search, comp: &Component) -> Prep {
        let problem = search.problem;
        let mut offers = comp.offers.clone();
        offers.sort_by(|&a, &b| search.relaxed[b].cmp(&search.relaxed[a]).then(a.cmp(&b)));
        let k = offers.len();
        let mut conflict = vec![false; k * k];
        for a in 0..k {
            for b in a + 1..k {
                let c = problem.conflict(offers[a], offers[b]);
                conflict[a * k + b] = c;
                conflict[b * k + a] = c;
            }
        }
        let top: Vec<i64> = offers.iter().map(|&o| problem.order[o].scope_lines.iter().map(|&l| problem.lines[l as usize].gross).sum()).collect();
        let mut levels = Vec::with_capacity(k);
        let mut linear_bp = Vec::with_capacity(k);
        for (i, &o) in offers.iter().enumerate() {
            let (level, linear) = match problem.rule(o) {
                RuleRef::Threshold(rule) => (Levels::Steps(rule.steps(top[i])), None),
                RuleRef::Coupon(CouponKind::Cash { off }) => (Levels::Steps(vec![(1, *off)]), None),
                RuleRef::Coupon(CouponKind::Threshold { spend, off }) => (Levels::Steps(vec![(*spend, *off)]), None),
                // A percentage coupon whose cap is not reached at gross is bounded per line;
                // one capped even at gross is worth at most its cap.
                RuleRef::Coupon(CouponKind::Percent { percent_bp, max_off, .. }) => {
                    if max_off.is_none_or(|cap| search.relaxed[o] < cap) {
                        (Levels::Constant, Some(i128::from(*percent_bp)))
                    } else {
                        (Levels::Constant, None)
                    }
                }
            };
            levels.push(level);
            linear_bp.push(linear);
        }
        // Only a 满减 under a percentage coupon bounded per line needs to know whether the
        // coupon's scope holds all its lines.
        let mut subset = vec![false; k * k];
        for a in (0..k).filter(|&a| matches!(problem.order[offers[a]].offer, OfferRef::Promotion(_))) {
            for b in (0..k).filter(|&b| linear_bp[b].is_some()) {
                subset[a * k + b] = is_subset(&problem.order[offers[a]].scope_lines, &problem.order[offers[b]].scope_lines);
            }
        }
        let room = (0..k)
            .map(|i| match &levels[i] {
                Levels::Steps(steps) => steps.last().map_or(i64::MAX, |&(spend, _)| top[i] - spend),
                Levels::Constant => i64::MAX,
            })
            .collect();
        let mut cliques: Vec<Vec<usize>> = Vec::new();
        for o in 0..k {
            match cliques.iter_mut().find(|q| q.iter().all(|&m| conflict[m * k + o])) {
                Some(q) => q.push(o),
                None => cliques.push(vec![o]),
            }
        }
        Prep { offers, conflict, subset, top, levels, room, linear_bp, cliques }
    }

    fn k(&self) -> usize {
        self.offers.len()
    }

    fn compatible(&self, o: usize, chosen: &[usize]) -> bool {
        chosen.iter().all(|&c| !self.conflict[c * self.k() + o])
    }

    /// Upper bound (scaled) on what the cliques from `from` on add to the offers `chosen`:
    /// the best compatible offer of each at its gross-case value. A 满减 added later also
    /// lowers the base of each chosen percentage coupon bounded per line whose scope holds
    /// all its lines, so together they are worth at most `1 - rates` of it.
    fn rest(&self, search: &Search, chosen: &[usize], from: usize) -> i128 {
        self.cliques[from..].iter().map(|q| q.iter().filter(|&&o| self.compatible(o, chosen)).map(|&o| self.rest_of(search, chosen, o)).max().unwrap_or(0)).sum()
    }

    /// Upper bound (scaled) on what offer `o` adds to the offers `chosen`, whatever else
    /// is added: its gross-case value, weighted as in [`Prep::rest`].
    fn rest_of(&self, search: &Search, chosen: &[usize], o: usize) -> i128 {
        let k = self.k();
        let weight = if matches!(search.problem.order[self.offers[o]].offer, OfferRef::Promotion(_)) {
            let rates: i128 = chosen.iter().filter(|&&c| self.subset[o * k + c]).filter_map(|&c| self.linear_bp[c]).sum();
            (SCALE - rates).max(0)
        } else {
            SCALE
        };
        weight * i128::from(search.relaxed[self.offers[o]])
    }
}

impl Search<'_, '_> {
    /// Best selection of a component, whether it is proven, and an upper bound.
    fn component(&mut self, comp: &Component) -> (Best, bool, i64) {
        if comp.offers.is_empty() && comp.pooled.is_empty() {
            // Nothing depends on anything else: each line takes its best option.
            let item: Vec<(u16, Option<u32>)> = comp.lines.iter().map(|&l| (l, self.options[l as usize].iter().max_by_key(|o| o.saving).and_then(|o| o.promo))).collect();
            let value = item.iter().map(|&(l, _)| self.options[l as usize].iter().map(|o| o.saving).max().unwrap_or(0)).sum();
            return (Best { value, item, order: Vec::new() }, true, value);
        }
        let prep = Prep::new(self, comp);
        let root = ItemSearch::new(self, comp, &prep, &[]);
        let root_bound = root.bound(0) + prep.rest(self, &[], 0);
        let mut best: Option<Best> = None;
        let was_aborted = self.aborted;
        self.aborted = false;
        self.open = 0;
        let mut chosen = Vec::new();
        self.offer_dfs(comp, &prep, 0, &mut chosen, root, root_bound, &mut best);
        let proven = !self.aborted;
        self.aborted |= was_aborted;
        let best = best.expect("the first descent always reaches a leaf");
        let bound = if proven { best.value } else { best.value.max((self.open / SCALE) as i64) };
        (best, proven, bound)
    }

    fn out_of_budget(&mut self, best: &Option<Best>) -> bool {
        if self.work > self.limit && best.is_some() {
            self.aborted = true;
        }
        self.aborted
    }

    /// Chooses, clique by clique, which order-level offer applies (or none), then
    /// searches the item options for the chosen set. `state` is the item search for the
    /// offers chosen so far: its root bound still holds whatever offers are added later
    /// (they only lower its offers' bases), and each later clique adds at most its best
    /// compatible offer's gross-case value. Children are visited best bound first.
    ///
    /// `bound` bounds this node's subtree; if the budget runs out, the bounds of what is
    /// left unexplored go into `open`.
    #[allow(clippy::too_many_arguments)]
    fn offer_dfs<'c>(&mut self, comp: &'c Component, prep: &'c Prep, at: usize, chosen: &mut Vec<usize>, state: ItemSearch<'c>, bound: i128, best: &mut Option<Best>) {
        self.work += 1;
        if self.out_of_budget(best) {
            self.open = self.open.max(bound);
            return;
        }
        let floor = |best: &Option<Best>| (i128::from(best.as_ref().map_or(-1, |b| b.value)) + 1) * SCALE;
        if at == prep.cliques.len() {
            let mut state = state;
            let bound = state.bound(0);
            if bound >= floor(best) {
                state.dfs(self, 0, best);
                if self.aborted {
                    self.open = self.open.max(bound);
                }
            }
            return;
        }
        // A child's bound before building its item search: this state's bound holds for
        // any offers added, and the added offer is worth at most its gross-case value
        // (less the rates of chosen coupons it lowers, as in `Prep::rest`).
        let here = state.bound(0);
        let mut children: Vec<(i128, Option<usize>)> = Vec::new();
        for &o in &prep.cliques[at] {
            if !prep.compatible(o, chosen) {
                continue;
            }
            let alone = prep.rest_of(self, chosen, o);
            chosen.push(o);
            let bound = here + alone + prep.rest(self, chosen, at + 1);
            chosen.pop();
            children.push((bound, Some(o)));
        }
        children.push((here + prep.rest(self, chosen, at + 1), None));
        children.sort_by_key(|c| std::cmp::Reverse(c.0));
        let mut state = Some(state);
        for (i, &(bound, offer)) in children.iter().enumerate() {
            if self.aborted {
                // What is left unexplored here is bounded by its children's bounds.
                if let Some(&(rest, _)) = children[i..].iter().find(|c| c.0 >= floor(best)) {
                    self.open = self.open.max(rest);
                }
                return;
            }
            if bound < floor(best) {
                continue;
            }
            match offer {
                Some(o) => {
                    chosen.push(o);
                    self.work += STATE_COST * comp.lines.len() as u64;
                    let child = ItemSearch::new(self, comp, prep, chosen);
                    let child_bound = child.bound(0) + prep.rest(self, chosen, at + 1);
                    if child_bound >= floor(best) {
                        self.offer_dfs(comp, prep, at + 1, chosen, child, child_bound, best);
                    }
                    chosen.pop();
                }
                None => {
                    let state = state.take().expect("one none-child");
                    self.offer_dfs(comp, prep, at + 1, chosen, state, bound, best);
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Step {
    /// `Problem::order` index and local index.
    offer: usize,
    local: usize,
    /// `SCALE` minus the rates of the chosen percentage coupons whose scope holds all its lines.
    weight: i128,
    /// Most bound value per fen of base given up by the lines it owns.
    density: i128,
}

const NO_OWNER: u16 = u16::MAX;

/// Order in which lines are decided: pooled lines first (grouped by pool), then owned
/// lines, biggest stakes first, then the rest.
type DecideKey = (usize, bool, std::cmp::Reverse<i128>, u16);

/// The search over item options for one set of order-level offers.
struct ItemSearch<'c> {
    prep: &'c Prep,
    comp: &'c Component,
    /// The chosen offers, as `Problem::order` indices.
    offers: Vec<usize>,
    /// Lines decided by search, in order; the options of `decide[k]` (best first) are
    /// `opts[starts[k]..starts[k + 1]]`.
    decide: Vec<u16>,
    starts: Vec<u32>,
    opts: Vec<Opt>,
    /// Lines with a single sensible option.
    fixed: Vec<(u16, Opt)>,
    /// Percentage coupons bounded per line: (offer, basis points).
    linear: Vec<(usize, i128)>,
    steps: Vec<Step>,
    /// Per position, the linear offers and the steps covering it (compressed rows).
    linear_at: Vec<u32>,
    linear_of: Vec<u16>,
    step_at: Vec<u32>,
    step_of: Vec<u16>,
    /// Per position: the step that owns it, and for owned lines the most their item
    /// choice adds beyond the "none" term.
    owner: Vec<u16>,
    extra: Vec<i128>,
    /// Suffix sums over `decide` of what undecided lines can add outside the knapsacks.
    rest: Vec<i128>,
    acc: i128,
    base: Vec<i64>,
    owned_left: Vec<i128>,
    pooled_left: Vec<u32>,
    pooled_taken: Vec<Vec<u16>>,
    /// Per pool: what its undecided lines can add over their best other option, and per
    /// position the part of that from the line (for lines whose only pooled option it is).
    pool_extra_left: Vec<i128>,
    pool_extra: Vec<i128>,
    /// Each step's current bound term and their sum, and the sum of the pool caps, kept
    /// up to date as lines are decided so that `bound` is cheap.
    step_value: Vec<i128>,
    steps_total: i128,
    pools_total: i128,
    choice: Vec<Opt>,
}

/// Compressed rows: for each position, the indices of the sets (given by their scope
/// lines) that contain it.
fn cover<'a>(n: usize, scopes: impl Iterator<Item = (usize, &'a [u16])> + Clone) -> (Vec<u32>, Vec<u16>) {
    let mut at = vec![0u32; n + 1];
    for (_, lines) in scopes.clone() {
        for &l in lines {
            at[l as usize + 1] += 1;
        }
    }
    for i in 0..n {
        at[i + 1] += at[i];
    }
    let mut fill = at.clone();
    let mut of = vec![0u16; at[n] as usize];
    for (i, lines) in scopes {
        for &l in lines {
            of[fill[l as usize] as usize] = i as u16;
            fill[l as usize] += 1;
        }
    }
    (at, of)
}

impl<'c> ItemSearch<'c> {
    fn new(search: &Search, comp: &'c Component, prep: &'c Prep, chosen: &[usize]) -> ItemSearch<'c> {
        let problem = search.problem;
        let n = problem.lines.len();
        let k = prep.k();
        let mut linear = Vec::new();
        let mut steps = Vec::new();
        for &c in chosen {
            let offer = prep.offers[c];
            match prep.linear_bp[c] {
                Some(bp) => linear.push((offer, bp)),
                None => {
                    // A 满减's reduction also lowers the base of every chosen percentage coupon
                    // (bounded per line) whose scope holds all its lines.
                    let rho: i128 = match problem.order[offer].offer {
                        OfferRef::Promotion(_) => chosen.iter().filter(|&&l| prep.subset[c * k + l]).filter_map(|&l| prep.linear_bp[l]).sum(),
                        OfferRef::Coupon(_) => 0,
                    };
                    steps.push(Step { offer, local: c, weight: (SCALE - rho).max(0), density: 0 });
                }
            }
        }
        let (linear_at, linear_of) = cover(n, linear.iter().enumerate().map(|(i, &(o, _))| (i, problem.order[o].scope_lines.as_slice())));
        let (step_at, step_of) = cover(n, steps.iter().enumerate().map(|(i, s)| (i, problem.order[s.offer].scope_lines.as_slice())));
        // A line is owned by the covering step with the least room above the highest tier
        // its gross base reaches: that is where giving up item savings to keep a tier can
        // matter. A step far above its top tier gains nothing from owning lines.
        let mut rank = vec![0usize; steps.len()];
        {
            let mut order: Vec<usize> = (0..steps.len()).collect();
            order.sort_by_key(|&s| (prep.room[steps[s].local], s));
            for (r, s) in order.into_iter().enumerate() {
                rank[s] = r;
            }
        }
        let mut me = ItemSearch {
            prep,
            comp,
            offers: chosen.iter().map(|&c| prep.offers[c]).collect(),
            decide: Vec::with_capacity(comp.lines.len()),
            starts: Vec::with_capacity(comp.lines.len() + 1),
            opts: Vec::with_capacity(3 * comp.lines.len()),
            fixed: Vec::with_capacity(comp.lines.len()),
            linear,
            steps: Vec::new(),
            linear_at,
            linear_of,
            step_at,
            step_of,
            owner: vec![NO_OWNER; n],
            extra: vec![0; n],
            rest: Vec::new(),
            acc: 0,
            base: Vec::new(),
            owned_left: Vec::new(),
            pooled_left: vec![0; search.pooled.len()],
            pooled_taken: vec![Vec::new(); search.pooled.len()],
            pool_extra_left: vec![0; search.pooled.len()],
            pool_extra: vec![0; n],
            step_value: Vec::new(),
            steps_total: 0,
            pools_total: 0,
            choice: vec![NONE; n],
        };
        me.starts.push(0);
        let mut owned_total = vec![0i128; steps.len()];
        let mut free_term = vec![0i128; n];
        // (sort key, position, range of its options in `scratch`)
        let mut undecided: Vec<(DecideKey, u16, usize, usize)> = Vec::with_capacity(comp.lines.len());
        let mut scratch: Vec<Opt> = Vec::with_capacity(3 * comp.lines.len());
        let mut scored: Vec<(i128, i128, Opt)> = Vec::with_capacity(8);
        for &l in &comp.lines {
            let pos = l as usize;
            let all = &search.options[pos];
            let covered = me.linear_at[pos] < me.linear_at[pos + 1] || me.step_at[pos] < me.step_at[pos + 1];
            let has_pooled = all.iter().any(|o| o.pooled.is_some());
            if !(covered || has_pooled) || all.len() == 1 {
                // Only the line's own saving is at stake.
                let opt = *all.iter().filter(|o| o.pooled.is_none()).max_by_key(|o| o.saving).unwrap_or(&NONE);
                me.fixed.push((l, opt));
                continue;
            }
            let owner = if has_pooled { None } else { me.step_of[me.step_at[pos] as usize..me.step_at[pos + 1] as usize].iter().map(|&s| s as usize).min_by_key(|&s| rank[s]) };
            let none_term = me.term(problem, pos, NONE, false);
            // Options are tried in order of their expected term (with estimates); bounds
            // use their bound terms.
            scored.clear();
            scored.extend(all.iter().map(|&o| {
                let expected = me.term(problem, pos, Opt { saving: o.estimate.max(0), ..o }, false) + i128::from(o.estimate.min(0));
                (me.term(problem, pos, o, o.pooled.is_some()), expected, o)
            }));
            scored.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.saving.cmp(&a.2.saving)));
            let best_term = scored.iter().map(|s| s.0).max().unwrap_or(none_term);
            match owner {
                Some(s) => {
                    me.owner[pos] = s as u16;
                    let extra = (best_term - none_term).max(0);
                    me.extra[pos] = extra;
                    owned_total[s] += extra;
                    free_term[pos] = none_term;
                    let gross = i128::from(problem.lines[pos].gross);
                    for &(t, _, o) in &scored {
                        let reduction = if problem.blocked(o.promo, steps[s].offer) { gross } else { i128::from(o.saving) };
                        if t > none_term && reduction > 0 {
                            steps[s].density = steps[s].density.max(ceil_div(t - none_term, reduction));
                        }
                    }
                }
                None => {
                    // A line whose one pooled option is a pool with a known best counts its
                    // best other option here; what the pool adds is capped jointly in `bound`.
                    let pools: Vec<usize> = all.iter().filter_map(|o| o.pooled).collect();
                    let other = scored.iter().filter(|(_, _, o)| o.pooled.is_none()).map(|&(t, _, _)| t).max().unwrap_or(0);
                    if pools.len() == 1 && search.pooled[pools[0]].best.is_some() {
                        let extra = (best_term - other).max(0);
                        me.pool_extra[pos] = extra;
                        me.pool_extra_left[pools[0]] += extra;
                        free_term[pos] = other;
                    } else {
                        free_term[pos] = best_term;
                    }
                }
            }
            let first_pool = all.iter().filter_map(|o| o.pooled).min().unwrap_or(usize::MAX);
            let from = scratch.len();
            scratch.extend(scored.iter().map(|&(_, _, o)| o));
            undecided.push(((first_pool, owner.is_none(), std::cmp::Reverse(me.extra[pos]), l), l, from, scratch.len()));
        }
        // Pooled lines first, grouped by promotion, so their exact savings are known early;
        // then owned lines, biggest stakes first; then the rest.
        undecided.sort_by_key(|u| u.0);
        for &(_, l, from, to) in &undecided {
            for o in &scratch[from..to] {
                if let Some(p) = o.pooled {
                    me.pooled_left[p] += 1;
                }
            }
            me.decide.push(l);
            me.opts.extend_from_slice(&scratch[from..to]);
            me.starts.push(me.opts.len() as u32);
        }
        me.rest = vec![0; me.decide.len() + 1];
        for i in (0..me.decide.len()).rev() {
            me.rest[i] = me.rest[i + 1] + free_term[me.decide[i] as usize];
        }
        me.base = steps.iter().map(|s| prep.top[s.local]).collect();
        me.steps = steps;
        me.owned_left = owned_total;
        // Fixed lines first; the cached step terms are computed once, after them.
        me.step_value = vec![0; me.steps.len()];
        for i in 0..me.fixed.len() {
            let (l, opt) = me.fixed[i];
            me.apply_unrefreshed(problem, l as usize, opt, false, 1);
        }
        me.step_value = (0..me.steps.len()).map(|s| me.step_term(problem, s)).collect();
        me.steps_total = me.step_value.iter().sum();
        me.pools_total = (0..search.pooled.len()).map(|p| me.pool_term(search, p)).sum();
        me
    }

    /// A line's bound term for an option: `SCALE × item saving + Σ rate × amount left`,
    /// over the linear offers the option does not block; for a pooled option whose saving is
    /// not known yet, the most it can be for any saving up to the option's bound.
    fn term(&self, problem: &Problem, pos: usize, opt: Opt, provisional: bool) -> i128 {
        let gross = i128::from(problem.lines[pos].gross);
        let rate: i128 = self.linear_of[self.linear_at[pos] as usize..self.linear_at[pos + 1] as usize]
            .iter()
            .filter(|&&i| !problem.blocked(opt.promo, self.linear[i as usize].0))
            .map(|&i| self.linear[i as usize].1)
            .sum();
        let saving = i128::from(opt.saving);
        if provisional { rate * gross + ((SCALE - rate) * saving).max(0) } else { rate * (gross - saving) + SCALE * saving }
    }

    /// Adds (`sign = 1`) or removes (`-1`) a decided line's contribution. `provisional`:
    /// a pooled option whose exact saving is not known yet (`opt.saving` is its bound).
    fn apply(&mut self, problem: &Problem, pos: usize, opt: Opt, provisional: bool, sign: i128) {
        self.apply_unrefreshed(problem, pos, opt, provisional, sign);
        // The owner is one of the steps covering the line, so this refreshes it too.
        for i in self.step_at[pos] as usize..self.step_at[pos + 1] as usize {
            let s = self.step_of[i] as usize;
            let value = self.step_term(problem, s);
            self.steps_total += value - self.step_value[s];
            self.step_value[s] = value;
        }
    }

    /// [`ItemSearch::apply`] without refreshing the cached step terms.
    fn apply_unrefreshed(&mut self, problem: &Problem, pos: usize, opt: Opt, provisional: bool, sign: i128) {
        let gross = problem.lines[pos].gross;
        self.acc += sign * self.term(problem, pos, opt, provisional);
        if self.owner[pos] != NO_OWNER {
            self.owned_left[self.owner[pos] as usize] -= sign * self.extra[pos];
        }
        for i in self.step_at[pos] as usize..self.step_at[pos + 1] as usize {
            let s = self.step_of[i] as usize;
            let blocked = problem.blocked(opt.promo, self.steps[s].offer);
            let left = if blocked { 0 } else if provisional { gross } else { gross - opt.saving };
            self.base[s] += sign as i64 * (left - gross);
        }
    }

    /// Marks a line decided (`sign = 1`) or undecided (`-1`) for the pool caps.
    fn decide_pool_line(&mut self, search: &Search, pos: usize, sign: i128) {
        if self.pool_extra[pos] != 0 {
            let pool = search.options[pos].iter().find_map(|o| o.pooled).expect("a pooled line");
            self.pools_total -= self.pool_term(search, pool);
            self.pool_extra_left[pool] -= sign * self.pool_extra[pos];
            self.pools_total += self.pool_term(search, pool);
        }
    }

    /// What the undecided lines of a pool add at most: a line's term beyond its best other
    /// option is at most SCALE × its share of the saving, and the shares add up to at most
    /// what the pool saves at best.
    fn pool_term(&self, search: &Search, pool: usize) -> i128 {
        let left = self.pool_extra_left[pool];
        if left > 0 { left.min(SCALE * i128::from(search.pooled[pool].best.unwrap_or(i64::MAX))) } else { 0 }
    }

    /// A step offer's bound term: its knapsack bound over the levels it can still reach.
    fn step_term(&self, problem: &Problem, s: usize) -> i128 {
        let step = &self.steps[s];
        let base = self.base[s];
        let owned = self.owned_left[s];
        match &self.prep.levels[step.local] {
            Levels::Constant => step.weight * i128::from(problem.declared(step.offer, base).min(base).max(0)) + owned,
            Levels::Steps(levels) => {
                let mut best = owned;
                for &(spend, off) in levels {
                    if spend > base {
                        break;
                    }
                    let room = i128::from(base - spend);
                    best = best.max(step.weight * i128::from(off) + owned.min(step.density.saturating_mul(room)));
                }
                best
            }
        }
    }

    /// Once every candidate line of a pooled promotion is decided, replaces the provisional
    /// terms of the lines it took by their exact savings (`sign = 1`), or back (`-1`).
    fn settle_pool(&mut self, search: &Search, pool: usize, sign: i128) {
        let problem = search.problem;
        let taken = std::mem::take(&mut self.pooled_taken[pool]);
        let exact = if sign > 0 { problem.item_savings(search.pooled[pool].promo, &taken) } else { Vec::new() };
        for (n, &l) in taken.iter().enumerate() {
            let pos = l as usize;
            if sign > 0 {
                self.apply(problem, pos, self.choice[pos], true, -1);
                self.choice[pos].saving = exact[n];
                self.apply(problem, pos, self.choice[pos], false, 1);
            } else {
                let bound = search.options[pos].iter().find(|o| o.pooled == Some(pool)).map_or(0, |o| o.saving);
                self.apply(problem, pos, self.choice[pos], false, -1);
                self.choice[pos].saving = bound;
                self.apply(problem, pos, self.choice[pos], true, 1);
            }
        }
        self.pooled_taken[pool] = taken;
    }

    /// Upper bound, scaled, on any completion once the first `k` lines of `decide` are set.
    fn bound(&self, k: usize) -> i128 {
        self.acc + self.rest[k] + self.linear.len() as i128 * (SCALE / 2) + self.steps_total + self.pools_total
    }

    fn dfs(&mut self, search: &mut Search, k: usize, best: &mut Option<Best>) {
        search.work += 1;
        if search.out_of_budget(best) {
            return;
        }
        if k == self.decide.len() {
            self.leaf(search, best);
            return;
        }
        let pos = self.decide[k] as usize;
        let (from, to) = (self.starts[k] as usize, self.starts[k + 1] as usize);
        for i in from..to {
            let opt = self.opts[i];
            self.choice[pos] = opt;
            self.apply(search.problem, pos, opt, opt.pooled.is_some(), 1);
            self.decide_pool_line(search, pos, 1);
            if let Some(p) = opt.pooled {
                self.pooled_taken[p].push(pos as u16);
            }
            // The pools this line was the last undecided line of (allocates only then).
            let mut settled: Vec<usize> = Vec::new();
            for j in from..to {
                if let Some(p) = self.opts[j].pooled {
                    self.pooled_left[p] -= 1;
                    if self.pooled_left[p] == 0 {
                        settled.push(p);
                    }
                }
            }
            for &p in &settled {
                self.settle_pool(search, p, 1);
            }
            let floor = (i128::from(best.as_ref().map_or(-1, |b| b.value)) + 1) * SCALE;
            if self.bound(k + 1) >= floor {
                self.dfs(search, k + 1, best);
            }
            for &p in settled.iter().rev() {
                self.settle_pool(search, p, -1);
            }
            for j in from..to {
                if let Some(p) = self.opts[j].pooled {
                    self.pooled_left[p] += 1;
                }
            }
            if let Some(p) = opt.pooled {
                self.pooled_taken[p].pop();
            }
            self.apply(search.problem, pos, self.choice[pos], opt.pooled.is_some(), -1);
            self.decide_pool_line(search, pos, -1);
            self.choice[pos] = NONE;
            if search.aborted {
                return;
            }
        }
    }

    fn leaf(&mut self, search: &mut Search, best: &mut Option<Best>) {
        let problem = search.problem;
        search.work += LEAF_COST * problem.lines.len() as u64;
        let selection = &mut search.selection;
        selection.item.clear();
        selection.item.resize(problem.lines.len(), None);
        selection.order.clear();
        selection.order.extend(self.offers.iter().map(|&o| o as u32));
        for &(l, opt) in &self.fixed {
            selection.item[l as usize] = opt.promo;
        }
        for &l in &self.decide {
            selection.item[l as usize] = self.choice[l as usize].promo;
        }
        let value = problem.evaluate_into(selection, &mut search.outcome, &mut search.scratch, false);
        if best.as_ref().is_none_or(|b| value > b.value) {
            let item = self.comp.lines.iter().map(|&l| (l, selection.item[l as usize])).collect();
            *best = Some(Best { value, item, order: self.offers.clone() });
        }
    }
}

fn is_subset(small: &[u16], big: &[u16]) -> bool {
    small.iter().all(|x| big.binary_search(x).is_ok())
}

fn ceil_div(a: i128, b: i128) -> i128 {
    (a + b - 1) / b
}
