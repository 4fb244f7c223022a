// The back office's rule settings as forms edit them: the member program (Members tab)
// and the commission rules (Reports tab). Amounts are yuan and rates are multipliers or
// percentages on screen, minor units and basis points on the wire; every conversion is
// integer arithmetic on the digits typed, so `1.2` is exactly 12000 bp.
import type { CommissionRules, MemberProgram } from '../api/client';
import { parseMoney } from '../i18n';

/** Minor units as yuan for a field: 200000 is `2000`, 150 is `1.5`, 5 is `0.05`. */
export function yuanText(minor: number): string {
  const abs = Math.abs(Math.trunc(minor));
  const frac = String(abs % 100).padStart(2, '0').replace(/0+$/, '');
  return `${minor < 0 ? '-' : ''}${Math.floor(abs / 100)}${frac ? '.' + frac : ''}`;
}

/** A multiplier (`1.2`, `×1.5`, `2`) to basis points (12000, 15000, 20000), up to four
 *  decimals; null when it is not one. */
export function timesToBp(text: string): number | null {
  const m = text.trim().replace(/^[×xX]\s*/, '').match(/^(\d{1,4})(?:\.(\d{0,4}))?$/);
  if (!m) return null;
  return Number(m[1]) * 10_000 + Number((m[2] ?? '').padEnd(4, '0'));
}

/** Basis points as a multiplier: 12000 is `1.2`, 10000 is `1`, 12345 is `1.2345`. */
export function bpTimes(bp: number): string {
  const frac = String(bp % 10_000).padStart(4, '0').replace(/0+$/, '');
  return `${Math.floor(bp / 10_000)}${frac ? '.' + frac : ''}`;
}

/** A rate in percent (`1.5`, `3 %`, `0`) to basis points (150, 300, 0), up to two
 *  decimals; null when it is not one. Over 100 % is left to the till service to refuse. */
export function rateToBp(text: string): number | null {
  const m = text.trim().replace(/\s*%$/, '').match(/^(\d{1,4})(?:\.(\d{0,2}))?$/);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** Basis points as a percentage for a field: 150 is `1.5`, 300 is `3`, 5 is `0.05`. */
export function rateText(bp: number): string {
  const frac = String(bp % 100).padStart(2, '0').replace(/0+$/, '');
  return `${Math.floor(bp / 100)}${frac ? '.' + frac : ''}`;
}

/** A whole number of 0 or more (points); null otherwise. */
function wholeNumber(text: string): number | null {
  const m = text.trim().match(/^\d{1,9}$/);
  return m ? Number(m[0]) : null;
}

/** One tier as the form holds it. */
export interface TierForm { id: string; name_zh: string; name_en: string; spend: string; times: string }
/** One reward (a product members take for points) as the form holds it. */
export interface RewardForm { sku: string; points: string }
/** The member program as the form holds it. */
export interface ProgramForm { tiers: TierForm[]; points_per_yuan: string; birthday: string; referral_points: string; rewards: RewardForm[] }

export function programForm(p: MemberProgram): ProgramForm {
  return {
    tiers: p.tiers.map((t) => ({ id: t.id, name_zh: t.name_zh, name_en: t.name_en, spend: yuanText(t.min_spend), times: bpTimes(t.points_bp) })),
    points_per_yuan: String(p.points_per_yuan),
    birthday: bpTimes(p.birthday_points_bp),
    referral_points: String(p.referral_points),
    rewards: (p.rewards ?? []).map((r) => ({ sku: r.sku, points: String(r.points) })),
  };
}

/** What the form cannot send, and where (a tier's row from 0). The till service checks
 *  the rest (the first tier at 0, spends rising, ids unique) and says why. */
export type ProgramProblem = { field: 'id' | 'name' | 'spend' | 'times' | 'rewardSku' | 'rewardPoints' | 'rewardTwice'; row: number } | { field: 'tiers' | 'points' | 'birthday' | 'referral'; row?: undefined };

export function programFromForm(f: ProgramForm): { program: MemberProgram } | { problem: ProgramProblem } {
  if (f.tiers.length === 0) return { problem: { field: 'tiers' } };
  const tiers: MemberProgram['tiers'] = [];
  for (const [row, t] of f.tiers.entries()) {
    const id = t.id.trim();
    if (!id) return { problem: { field: 'id', row } };
    if (!t.name_zh.trim() || !t.name_en.trim()) return { problem: { field: 'name', row } };
    const min_spend = parseMoney(t.spend);
    if (min_spend === null) return { problem: { field: 'spend', row } };
    const points_bp = timesToBp(t.times);
    if (points_bp === null) return { problem: { field: 'times', row } };
    tiers.push({ id, name_zh: t.name_zh.trim(), name_en: t.name_en.trim(), min_spend, points_bp });
  }
  const points_per_yuan = wholeNumber(f.points_per_yuan);
  if (points_per_yuan === null) return { problem: { field: 'points' } };
  const birthday_points_bp = timesToBp(f.birthday);
  if (birthday_points_bp === null) return { problem: { field: 'birthday' } };
  const referral_points = wholeNumber(f.referral_points);
  if (referral_points === null) return { problem: { field: 'referral' } };
  const rewards: NonNullable<MemberProgram['rewards']> = [];
  for (const [row, r] of f.rewards.entries()) {
    const sku = r.sku.trim();
    if (!sku) return { problem: { field: 'rewardSku', row } };
    if (rewards.some((x) => x.sku === sku)) return { problem: { field: 'rewardTwice', row } };
    const points = wholeNumber(r.points);
    if (points === null || points < 1) return { problem: { field: 'rewardPoints', row } };
    rewards.push({ sku, points });
  }
  return { program: { tiers, points_per_yuan, birthday_points_bp, referral_points, rewards } };
}

/** The commission rules as the form holds them: rates in percent. */
export interface RulesForm { default_rate: string; rows: { category: string; rate: string }[] }

export function rulesForm(r: CommissionRules): RulesForm {
  return { default_rate: rateText(r.default_bp), rows: Object.entries(r.by_category).map(([category, bp]) => ({ category, rate: rateText(bp ?? 0) })) };
}

/** The rules to send, or the row (from 0; -1 the default rate) that is not a rate or
 *  names no category or one already named. */
export function rulesFromForm(f: RulesForm): { rules: CommissionRules } | { problem: number } {
  const default_bp = rateToBp(f.default_rate);
  if (default_bp === null) return { problem: -1 };
  const by_category: Record<string, number> = {};
  for (const [row, r] of f.rows.entries()) {
    const category = r.category.trim();
    const bp = rateToBp(r.rate);
    if (!category || category in by_category || bp === null) return { problem: row };
    by_category[category] = bp;
  }
  return { rules: { default_bp, by_category } };
}

/** The rewards a member with `points` can take at least one of, cheapest first, each with
 *  the most pieces their points cover. */
export function affordable(rewards: { sku: string; points: number }[], points: number): { sku: string; points: number; most: number }[] {
  return rewards.filter((r) => r.points > 0 && r.points <= points).map((r) => ({ ...r, most: Math.floor(points / r.points) })).sort((a, b) => a.points - b.points || a.sku.localeCompare(b.sku));
}

/** The lines a redemption form sends (pieces typed per SKU; blank or 0 left out), and the
 *  points they take; null when a quantity is not a whole number. */
export function redeemLines(rewards: { sku: string; points: number }[], qty: Record<string, string>): { lines: { sku: string; qty: number }[]; points: number } | null {
  const lines: { sku: string; qty: number }[] = [];
  let points = 0;
  for (const r of rewards) {
    const text = (qty[r.sku] ?? '').trim();
    if (!text) continue;
    if (!/^\d{1,4}$/.test(text)) return null;
    const n = Number(text);
    if (n === 0) continue;
    lines.push({ sku: r.sku, qty: n });
    points += n * r.points;
  }
  return { lines, points };
}
