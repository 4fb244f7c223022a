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
/** The member program as the form holds it. */
export interface ProgramForm { tiers: TierForm[]; points_per_yuan: string; birthday: string; referral_points: string }

export function programForm(p: MemberProgram): ProgramForm {
  return {
    tiers: p.tiers.map((t) => ({ id: t.id, name_zh: t.name_zh, name_en: t.name_en, spend: yuanText(t.min_spend), times: bpTimes(t.points_bp) })),
    points_per_yuan: String(p.points_per_yuan),
    birthday: bpTimes(p.birthday_points_bp),
    referral_points: String(p.referral_points),
  };
}

/** What the form cannot send, and where (a tier's row from 0). The till service checks
 *  the rest (the first tier at 0, spends rising, ids unique) and says why. */
export type ProgramProblem = { field: 'id' | 'name' | 'spend' | 'times'; row: number } | { field: 'tiers' | 'points' | 'birthday' | 'referral'; row?: undefined };

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
  return { program: { tiers, points_per_yuan, birthday_points_bp, referral_points } };
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
