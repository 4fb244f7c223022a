// Promotions and coupons: what is stored (running, scheduled, ended; described by the till
// service in the current language; dates in the store's zone), removed with a confirm, and
// a form for the common kinds (折扣, 特价, 买N送M, 满减) over products (typed or scanned),
// categories or the whole store; coupons with their uses. The till service checks what is
// sent and refuses with the reason; this screen only builds the JSON from the form.
import { useEffect, useState } from 'preact/hooks';
import type { MemberProgram } from '../api/client';
import type { components } from '../api/schema';
import { categoryName, parseMoney, type Locale, type MessageKey } from '../i18n';
import { storeDate } from '../storetime';
import { Dialog, type T } from '../widgets';
import type { TabProps } from './index';

type Promotion = components['schemas']['PromotionDto'];
type Coupon = components['schemas']['CouponDto'];
type SetAside = components['schemas']['SetAsideDto'];
type MemberTier = MemberProgram['tiers'][number];
type Product = components['schemas']['ProductDto'];

// ---- pure helpers (unit-tested) ----

/** `15` or `12.5` (percent off) to basis points; null unless more than 0 and at most 100. */
export function percentToBp(text: string): number | null {
  const m = text.trim().replace(/%$/, '').trim().match(/^(\d{1,3})(?:\.(\d{1,2}))?$/);
  if (!m) return null;
  const bp = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return bp > 0 && bp <= 10_000 ? bp : null;
}

/** Basis points off as 折: 1500 is `8.5`, 1250 is `8.75`, 2000 is `8` (integers only). */
export function zhe(bp: number): string {
  const left = 10_000 - Math.min(Math.max(bp, 0), 10_000);
  const whole = Math.floor(left / 1000);
  const frac = String(left % 1000).padStart(3, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/** Basis points as a percentage: 1500 is `15`, 1250 is `12.5`. */
export function percentText(bp: number): string {
  const frac = String(bp % 100).padStart(2, '0').replace(/0+$/, '');
  return frac ? `${Math.floor(bp / 100)}.${frac}` : String(Math.floor(bp / 100));
}

/** Midnight starting a store date (`YYYY-MM-DD`), in ms since the epoch; null when it is not a date. */
export function storeMidnight(date: string, offsetMin: number): number | null {
  const m = date.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (storeDate(ms, 0) !== date) return null;
  return ms - offsetMin * 60_000;
}

/** `18:30` to minutes since midnight (`24:00` is 1440); null when it is not a time. */
export function minuteOf(text: string): number | null {
  const m = text.trim().match(/^(\d{1,2}):(\d{2})$/);
  if (!m) return null;
  const minute = Number(m[1]) * 60 + Number(m[2]);
  return Number(m[2]) < 60 && minute <= 1440 ? minute : null;
}

/** Minutes since midnight as `18:30`. */
export function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Later than any promotion runs: the CLI's "always" ends here too. */
export const NO_END_MS = 4_102_444_800_000;

export type PromoKindChoice = 'percent' | 'fixed' | 'buyget' | 'threshold' | 'bundle' | 'member' | 'flash';
/** The kinds in the order the form offers them. */
export const KIND_CHOICES: readonly PromoKindChoice[] = ['percent', 'fixed', 'buyget', 'threshold', 'bundle', 'member', 'flash'];
/** Whether a kind covers products, categories or the whole store; a bundle and member
 *  prices list their products instead, each with its own quantity or price. */
export const hasScope = (kind: PromoKindChoice) => kind !== 'bundle' && kind !== 'member';
export type ScopeChoice = 'skus' | 'categories' | 'all';
/** One product of a bundle (组合价): how many pieces of it one set holds. */
export interface BundleRow { sku: string; qty: string }
/** One member price (会员价): a product's price for every member (`tier` empty) or one tier. */
export interface MemberPriceRow { sku: string; tier: string; price: string }
export interface PromoForm {
  id: string;
  kind: PromoKindChoice;
  percent: string;
  /** 特价's price each, a flash sale's price each, or a bundle's price for the set. */
  price: string;
  buy: string;
  get: string;
  tiers: { spend: string; off: string }[];
  bundle: BundleRow[];
  memberPrices: MemberPriceRow[];
  /** A flash sale's pieces on offer in all, and the most one sale may take (may be empty). */
  cap: string;
  perOrder: string;
  scope: ScopeChoice;
  skus: string[];
  categories: string[];
  from: string;
  to: string;
  dailyFrom: string;
  dailyTo: string;
  membersOnly: boolean;
  exclusive: boolean;
}
/** What is wrong with a form, as the last part of an `office.promos.bad.*` key. */
export type FormProblem = 'id' | 'percent' | 'price' | 'buyGet' | 'tiers' | 'scope' | 'dates' | 'hours' | 'off' | 'limit' | 'spend'
  | 'bundle' | 'bundleQty' | 'memberPrices' | 'memberTwice' | 'cap' | 'perOrder';
export type Built = { ok: true; json: Record<string, unknown> } | { ok: false; problem: FormProblem };

/** The most pieces of one product a line holds (`MAX_EACH_QTY` in core/src/basket.rs). */
export const MAX_EACH_QTY = 9_999;

/** The window from two store dates (the last day included) and optional daily hours. */
function windowOf(from: string, to: string, dailyFrom: string, dailyTo: string, offsetMin: number): Record<string, unknown> | FormProblem {
  const start = storeMidnight(from, offsetMin);
  const lastDay = storeMidnight(to, offsetMin);
  if (start === null || lastDay === null) return 'dates';
  const window: Record<string, unknown> = { from_ms: start, to_ms: lastDay + 86_400_000, weekdays: [] };
  if (dailyFrom.trim() || dailyTo.trim()) {
    const a = minuteOf(dailyFrom);
    const b = minuteOf(dailyTo);
    if (a === null || b === null || a === b || a >= 1440) return 'hours';
    window.daily = { from_minute: a, to_minute: b };
  }
  return window;
}

/** A whole number from 1 to `max`, or null. */
export function count(text: string, max = 999): number | null {
  const m = text.trim().match(/^\d{1,9}$/);
  return m && Number(m[0]) >= 1 && Number(m[0]) <= max ? Number(m[0]) : null;
}

/** A product scanned or typed onto a bundle: one already in it gets one piece more. */
export function addToBundle(rows: BundleRow[], sku: string): BundleRow[] {
  const i = rows.findIndex((r) => r.sku === sku);
  if (i < 0) return [...rows, { sku, qty: '1' }];
  const had = count(rows[i].qty, MAX_EACH_QTY);
  return had === null || had >= MAX_EACH_QTY ? rows : rows.map((r, j) => (j === i ? { ...r, qty: String(had + 1) } : r));
}

/** A product scanned or typed onto the member prices: a row for every member, unless the
 *  product already has one (a second tier's row is added with its row's button). */
export function addMemberPrice(rows: MemberPriceRow[], sku: string): MemberPriceRow[] {
  return rows.some((r) => r.sku === sku) ? rows : [...rows, { sku, tier: '', price: '' }];
}

/** The bundle's items and price for one set. */
function bundleOf(f: PromoForm): Record<string, unknown> | FormProblem {
  if (f.bundle.length === 0) return 'bundle';
  const items = [];
  for (const row of f.bundle) {
    const qty = count(row.qty, MAX_EACH_QTY);
    if (qty === null) return 'bundleQty';
    items.push({ sku: row.sku, qty });
  }
  const price = parseMoney(f.price);
  if (price === null) return 'price';
  return { Bundle: { items, price } };
}

/** The member prices, each for every member (`tier: null`) or one tier; one price per
 *  product and tier. */
function memberPricesOf(f: PromoForm): Record<string, unknown> | FormProblem {
  if (f.memberPrices.length === 0) return 'memberPrices';
  const seen = new Set<string>();
  const prices = [];
  for (const row of f.memberPrices) {
    const price = parseMoney(row.price);
    if (price === null) return 'memberPrices';
    const key = `${row.sku}\n${row.tier}`;
    if (seen.has(key)) return 'memberTwice';
    seen.add(key);
    prices.push({ sku: row.sku, tier: row.tier || null, price });
  }
  return { MemberPrice: { prices } };
}

/** The promotion JSON the till service takes (docs/promotions.md), from the form. */
export function buildPromotion(f: PromoForm, offsetMin: number, makeId: () => string): Built {
  const id = f.id.trim() || makeId();
  if (!ID.test(id)) return { ok: false, problem: 'id' };
  let scope: unknown;
  if (f.scope === 'all') scope = 'All';
  else if (f.scope === 'skus') scope = { Skus: f.skus };
  else scope = { Categories: f.categories };
  if (hasScope(f.kind) && f.scope !== 'all' && (f.scope === 'skus' ? f.skus : f.categories).length === 0) return { ok: false, problem: 'scope' };
  let kind: unknown;
  if (f.kind === 'percent') {
    const percent_bp = percentToBp(f.percent);
    if (percent_bp === null) return { ok: false, problem: 'percent' };
    kind = { PercentOff: { scope, percent_bp } };
  } else if (f.kind === 'fixed') {
    const price = parseMoney(f.price);
    if (price === null) return { ok: false, problem: 'price' };
    kind = { FixedPrice: { scope, price } };
  } else if (f.kind === 'buyget') {
    const buy = count(f.buy);
    const get = count(f.get);
    if (buy === null || get === null) return { ok: false, problem: 'buyGet' };
    kind = { BuyGet: { scope, buy, get } };
  } else if (f.kind === 'bundle' || f.kind === 'member') {
    const made = f.kind === 'bundle' ? bundleOf(f) : memberPricesOf(f);
    if (typeof made === 'string') return { ok: false, problem: made };
    kind = made;
  } else if (f.kind === 'flash') {
    const price = parseMoney(f.price);
    if (price === null) return { ok: false, problem: 'price' };
    const cap = count(f.cap, 1_000_000);
    if (cap === null) return { ok: false, problem: 'cap' };
    const per_order_limit = f.perOrder.trim() ? count(f.perOrder, MAX_EACH_QTY) : null;
    if (f.perOrder.trim() && per_order_limit === null) return { ok: false, problem: 'perOrder' };
    kind = { FlashSale: { scope, price, cap, per_order_limit } };
  } else {
    const tiers = f.tiers.filter((x) => x.spend.trim() || x.off.trim()).map((x) => ({ spend: parseMoney(x.spend), off: parseMoney(x.off) }));
    if (tiers.length === 0 || tiers.some((x) => x.spend === null || x.off === null || x.spend === 0 || x.off === 0)) return { ok: false, problem: 'tiers' };
    kind = { Threshold: { scope, rule: { Tiers: tiers } } };
  }
  const window = windowOf(f.from, f.to, f.dailyFrom, f.dailyTo, offsetMin);
  if (typeof window === 'string') return { ok: false, problem: window };
  // Member prices only ever apply to members: the flag says so in the list.
  const members_only = f.kind === 'member' ? true : f.membersOnly;
  return { ok: true, json: { id, kind, window, exclusive: f.exclusive, members_only } };
}

export interface CouponForm {
  id: string;
  kind: 'amount' | 'percent';
  off: string;
  percent: string;
  spend: string;
  maxOff: string;
  uses: 'single' | 'limited' | 'unlimited';
  limit: string;
  from: string;
  to: string;
}

/** The coupon JSON the till service takes, from the form: an amount off (with a minimum
 *  spend, 满X减Y) or a percentage off; whole store; one group, so a sale takes one. */
export function buildCoupon(f: CouponForm, offsetMin: number): Built {
  const id = f.id.trim();
  if (!ID.test(id)) return { ok: false, problem: 'id' };
  const spend = f.spend.trim() ? parseMoney(f.spend) : 0;
  if (spend === null) return { ok: false, problem: 'spend' };
  let kind: unknown;
  if (f.kind === 'amount') {
    const off = parseMoney(f.off);
    if (off === null || off === 0) return { ok: false, problem: 'off' };
    kind = spend > 0 ? { Threshold: { spend, off } } : { Cash: { off } };
  } else {
    const percent_bp = percentToBp(f.percent);
    if (percent_bp === null) return { ok: false, problem: 'percent' };
    const max_off = f.maxOff.trim() ? parseMoney(f.maxOff) : null;
    if (f.maxOff.trim() && !max_off) return { ok: false, problem: 'off' };
    kind = { Percent: { percent_bp, spend, max_off } };
  }
  let uses: unknown = f.uses === 'single' ? 'Single' : 'Unlimited';
  if (f.uses === 'limited') {
    const n = count(f.limit, 1_000_000);
    if (n === null) return { ok: false, problem: 'limit' };
    uses = { Limited: n };
  }
  const window = windowOf(f.from, f.to, '', '', offsetMin);
  if (typeof window === 'string') return { ok: false, problem: window };
  return { ok: true, json: { id, kind, scope: 'All', window, group: 'store', uses } };
}

/** What a stored promotion covers, read from its JSON. */
export function scopeOf(promotion: Record<string, unknown>): { all: true } | { skus: string[] } | { categories: string[] } | { brands: string[] } {
  const kind = (promotion.kind ?? {}) as Record<string, Record<string, unknown>>;
  const body = Object.values(kind)[0] ?? {};
  const scope = body.scope as unknown;
  if (scope === 'All') return { all: true };
  if (scope && typeof scope === 'object') {
    const s = scope as { Skus?: string[]; Categories?: string[]; Brands?: string[] };
    if (s.Skus) return { skus: s.Skus };
    if (s.Categories) return { categories: s.Categories };
    if (s.Brands) return { brands: s.Brands };
  }
  const items = (body.items ?? body.prices ?? []) as { sku: string }[];
  return { skus: [...new Set(items.map((x) => x.sku))] };
}

/** What a stored bundle, member price or flash sale holds beyond the till service's
 *  description (`Bundle for ¥9.90`, `Member price`, `Flash sale ¥1.00`): the set, the
 *  prices per product and tier, the pieces on offer. Null for the other kinds. */
export type KindDetails =
  | { bundle: { sku: string; qty: number }[] }
  | { memberPrices: { sku: string; tier: string | null; price: number }[] }
  | { flash: { cap: number; perOrder: number | null } }
  | null;

export function kindDetails(promotion: Record<string, unknown>): KindDetails {
  const kind = (promotion.kind ?? {}) as { Bundle?: { items?: { sku: string; qty: number }[] }; MemberPrice?: { prices?: { sku: string; tier?: string | null; price: number }[] }; FlashSale?: { cap: number; per_order_limit?: number | null } };
  if (kind.Bundle) return { bundle: (kind.Bundle.items ?? []).map((x) => ({ sku: x.sku, qty: x.qty })) };
  if (kind.MemberPrice) return { memberPrices: (kind.MemberPrice.prices ?? []).map((x) => ({ sku: x.sku, tier: x.tier ?? null, price: x.price })) };
  if (kind.FlashSale) return { flash: { cap: kind.FlashSale.cap, perOrder: kind.FlashSale.per_order_limit ?? null } };
  return null;
}

/** Which list a promotion or coupon goes in. */
export function stateGroup(state: string): 'running' | 'scheduled' | 'ended' {
  return state === 'running' ? 'running' : state === 'ended' ? 'ended' : 'scheduled';
}

// ---- the tab ----

const GROUPS = ['running', 'scheduled', 'ended'] as const;

export function PromotionsTab(p: TabProps) {
  const { t, locale, client, attempt, manager } = p;
  const [promotions, setPromotions] = useState<Promotion[] | null>(null);
  const [coupons, setCoupons] = useState<Coupon[] | null>(null);
  const [setAside, setSetAside] = useState<SetAside[]>([]);
  const [mode, setMode] = useState<'promotion' | 'coupon'>('promotion');
  const [removing, setRemoving] = useState<{ what: 'promotion' | 'coupon'; id: string; text: string } | null>(null);
  // The member program's tiers, for member prices (named in the list, chosen in the form).
  const [tiers, setTiers] = useState<MemberTier[]>([]);
  useEffect(() => { client.memberProgram().then((x) => setTiers(x.tiers), () => {}); }, []);
  const reload = () => {
    attempt(() => client.promotions()).then((x) => x && setPromotions(x));
    attempt(() => client.coupons()).then((x) => x && setCoupons(x));
    client.offersSetAside().then(setSetAside, () => {});
  };
  useEffect(reload, [locale]);
  const remove = async () => {
    if (!removing) return;
    const { what, id } = removing;
    setRemoving(null);
    if (what === 'promotion') {
      const left = await attempt(() => client.removePromotion(id, manager.user_id, manager.pin));
      if (left) setPromotions(left);
    } else {
      const left = await attempt(() => client.removeCoupon(id, manager.user_id, manager.pin));
      if (left) setCoupons(left);
    }
    // Removing one side of a clash lets the other run.
    client.offersSetAside().then(setSetAside, () => {});
  };
  return (
    <div class="promos-office" data-testid="promotions-tab">
      <section class="card promos-lists">
        <h1>{t('office.promos.title')}</h1>
        {setAside.length > 0 && (
          <div class="notice warn" role="status" data-testid="offers-set-aside">
            <strong>{t('office.promos.setAside.title')}</strong>
            <ul>
              {setAside.map((a) => (
                <li data-id={a.id}><span class="sku">{a.id}</span>{a.head_office && <span class="promo-flag">{t('office.promos.headOffice')}</span>} {a.reason}</li>
              ))}
            </ul>
            <p class="muted">{t('office.promos.setAside.hint')}</p>
          </div>
        )}
        {promotions && promotions.length === 0 && <p class="muted" data-testid="promos-empty">{t('office.promos.none')}</p>}
        {promotions && GROUPS.map((g) => {
          const rows = promotions.filter((x) => stateGroup(x.state) === g);
          if (rows.length === 0) return null;
          return (
            <div class="promos-group" data-group={g}>
              <h2>{t(`office.promos.group.${g}` as MessageKey)} <span class="muted">{rows.length}</span></h2>
              <ul class="promos-items">
                {rows.map((x) => (
                  <li class={'promo-item ' + g} data-testid="promo" data-id={x.id} data-state={x.state}>
                    <div class="promo-main">
                      <div class="promo-title"><strong data-testid="promo-desc">{x.description}</strong>
                        {!x.description.startsWith(t(`office.promos.kind.${x.kind}` as MessageKey)) && <span class="promo-kind">{t(`office.promos.kind.${x.kind}` as MessageKey)}</span>}
                        {x.promotion.members_only === true && <span class="promo-flag">{t('office.promos.membersOnly')}</span>}
                        {x.promotion.exclusive === true && <span class="promo-flag">{t('office.promos.exclusive')}</span>}
                        {x.head_office && <span class="promo-flag head-office" data-testid="promo-head-office">{t('office.promos.headOffice')}</span>}</div>
                      <div class="promo-scope" data-testid="promo-scope">{coverText(t, locale, p.money, x.promotion, tiers)}</div>
                      <div class="muted promo-when"><span class={'promo-state ' + x.state} data-testid="promo-state">{stateText(t, x.state, x.window.from_ms, p.offsetMin)}</span> · {windowText(t, locale, x.window, p.offsetMin)} · <span class="sku">{x.id}</span></div>
                    </div>
                    {x.head_office
                      ? <span class="muted promo-locked" title={t('office.promos.headOfficeHint')}>{t('office.promos.headOfficeHint')}</span>
                      : <button class="btn danger" data-testid="promo-remove" onClick={() => setRemoving({ what: 'promotion', id: x.id, text: x.description })}>{t('office.promos.remove')}</button>}
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
        <h1 class="promos-coupons-title">{t('office.promos.coupons')}</h1>
        {coupons && coupons.length === 0 && <p class="muted" data-testid="coupons-empty">{t('office.promos.noCoupons')}</p>}
        {coupons && coupons.length > 0 && (
          <ul class="promos-items">
            {coupons.map((c) => (
              <li class={'promo-item ' + stateGroup(c.state)} data-testid="coupon" data-id={c.id} data-state={c.state}>
                <div class="promo-main">
                  <div class="promo-title"><strong data-testid="coupon-desc">{c.description}</strong><span class="promo-code">{c.id}</span>{c.head_office && <span class="promo-flag head-office">{t('office.promos.headOffice')}</span>}</div>
                  <div class="promo-scope" data-testid="coupon-uses">{c.limit == null ? t('office.promos.usedUnlimited', { used: c.used }) : t('office.promos.used', { used: c.used, limit: c.limit })}</div>
                  <div class="muted promo-when"><span class={'promo-state ' + c.state}>{stateText(t, c.state, c.window.from_ms, p.offsetMin)}</span> · {windowText(t, locale, c.window, p.offsetMin)}</div>
                </div>
                {c.head_office
                  ? <span class="muted promo-locked">{t('office.promos.headOfficeHint')}</span>
                  : <button class="btn danger" data-testid="coupon-remove" onClick={() => setRemoving({ what: 'coupon', id: c.id, text: c.description })}>{t('office.promos.remove')}</button>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card promos-form">
        <nav class="promos-mode" role="tablist">
          <button class={'btn tab' + (mode === 'promotion' ? ' active' : '')} role="tab" aria-selected={mode === 'promotion'} onClick={() => setMode('promotion')} data-testid="mode-promotion">{t('office.promos.newPromotion')}</button>
          <button class={'btn tab' + (mode === 'coupon' ? ' active' : '')} role="tab" aria-selected={mode === 'coupon'} onClick={() => setMode('coupon')} data-testid="mode-coupon">{t('office.promos.newCoupon')}</button>
        </nav>
        {mode === 'promotion'
          ? <PromotionFormView {...p} tiers={tiers} onStored={reload} />
          : <CouponFormView {...p} onStored={reload} />}
      </section>
      {removing && (
        <Dialog onClose={() => setRemoving(null)}>
          <div data-testid="promo-confirm">
            <h2>{t(removing.what === 'promotion' ? 'office.promos.confirmPromotion' : 'office.promos.confirmCoupon', { text: removing.text, id: removing.id })}</h2>
            <p class="muted">{t('office.promos.confirmHint')}</p>
            <div class="row">
              <button class="btn grow" onClick={() => setRemoving(null)}>{t('common.cancel')}</button>
              <button class="btn danger grow" onClick={remove} data-testid="promo-confirm-remove">{t('office.promos.remove')}</button>
            </div>
          </div>
        </Dialog>
      )}
    </div>
  );
}

/** Up to four items of a list, as the locale writes a list. */
function few(locale: Locale, xs: string[]): string {
  return xs.slice(0, 4).join(locale === 'zh-CN' ? '、' : ', ') + (xs.length > 4 ? '…' : '');
}

function tierName(locale: Locale, tiers: MemberTier[], id: string): string {
  const tier = tiers.find((x) => x.id === id);
  return tier ? (locale === 'zh-CN' ? tier.name_zh : tier.name_en) : id;
}

/** What a stored promotion covers, with what the description leaves out: a bundle's
 *  set, the member prices, a flash sale's pieces on offer. */
function coverText(t: T, locale: Locale, money: (minor: number) => string, promotion: Record<string, unknown>, tiers: MemberTier[]): string {
  const details = kindDetails(promotion);
  if (details && 'bundle' in details) return t('office.promos.bundleItems', { list: details.bundle.map((x) => `${x.qty} × ${x.sku}`).join(' + ') });
  if (details && 'memberPrices' in details) {
    return few(locale, details.memberPrices.map((x) => `${x.sku} ` + (x.tier ? t('office.promos.tierPrice', { price: money(x.price), tier: tierName(locale, tiers, x.tier) }) : money(x.price))));
  }
  const scope = scopeText(t, locale, scopeOf(promotion));
  if (details && 'flash' in details) {
    const { cap, perOrder } = details.flash;
    return `${scope} · ${perOrder === null ? t('office.promos.flashCap', { cap }) : t('office.promos.flashCapLimit', { cap, limit: perOrder })}`;
  }
  return scope;
}

function scopeText(t: T, locale: Locale, scope: ReturnType<typeof scopeOf>): string {
  const list = (xs: string[]) => few(locale, xs);
  if ('all' in scope) return t('office.promos.scope.all');
  if ('skus' in scope) return t('office.promos.scopeSkus', { list: list(scope.skus) });
  if ('categories' in scope) return t('office.promos.scopeCategories', { list: list(scope.categories.map((c) => categoryName(locale, c))) });
  return t('office.promos.scopeBrands', { list: list(scope.brands) });
}

function stateText(t: T, state: string, fromMs: number, offsetMin: number): string {
  if (state === 'not_started') return t('office.promos.state.not_started', { date: storeDate(fromMs, offsetMin) });
  return t(`office.promos.state.${state}` as MessageKey);
}

function windowText(t: T, locale: Locale, w: Promotion['window'], offsetMin: number): string {
  const from = w.from_ms > 0 ? storeDate(w.from_ms, offsetMin) : null;
  const to = w.to_ms < NO_END_MS ? storeDate(w.to_ms - 1, offsetMin) : null;
  let text = from === null && to === null ? t('office.promos.always') : `${from ?? '…'} – ${to ?? t('office.promos.noEnd')}`;
  if (w.daily_from_minute != null && w.daily_to_minute != null) text += ` · ${hhmm(w.daily_from_minute)}–${hhmm(w.daily_to_minute)}`;
  if (w.weekdays.length > 0) {
    // 2024-01-01 was a Monday.
    text += ' · ' + w.weekdays.map((d) => new Date(Date.UTC(2024, 0, d)).toLocaleDateString(locale, { weekday: 'short', timeZone: 'UTC' })).join(' ');
  }
  return text;
}

/** Today and a week from today, in the store's dates. */
function defaultDates(offsetMin: number) {
  const now = Date.now();
  return { from: storeDate(now, offsetMin), to: storeDate(now + 6 * 86_400_000, offsetMin) };
}

function PromotionFormView(p: TabProps & { tiers: MemberTier[]; onStored: () => void }) {
  const { t, locale, client, attempt, manager, money } = p;
  const blank = (): PromoForm => ({ id: '', kind: 'percent', percent: '', price: '', buy: '2', get: '1', tiers: [{ spend: '', off: '' }], bundle: [], memberPrices: [], cap: '', perOrder: '', scope: 'skus', skus: [], categories: [], ...defaultDates(p.offsetMin), dailyFrom: '', dailyTo: '', membersOnly: false, exclusive: false });
  const [f, setF] = useState<PromoForm>(blank);
  const [products, setProducts] = useState<Record<string, Product>>({});
  const [code, setCode] = useState('');
  const [categories, setCategories] = useState<string[]>([]);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [stored, setStored] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  useEffect(() => { client.categories().then((c) => setCategories(c.map((x) => x.category)), () => {}); }, []);
  const set = (patch: Partial<PromoForm>) => (setF((old) => ({ ...old, ...patch })), setProblem(null), setStored(null));
  const nameOf = (sku: string) => {
    const product = products[sku];
    return !product ? sku : locale === 'zh-CN' ? product.name_zh || product.name : product.name;
  };
  const unitPrice = (sku: string) => {
    const product = products[sku];
    return product ? money(product.price_minor) + (product.unit === 'kg' ? t('sale.perKg') : '') : '';
  };
  // A product typed (SKU or barcode) or scanned anywhere on the tab joins the form's
  // products: the bundle's set, the member prices, or the products the offer covers.
  const addProduct = async (text: string) => {
    const typed = text.trim();
    if (!typed) return;
    const product = (await client.catalogEntry(typed).then((e) => e.product, () => null)) ?? (await attempt(() => client.scan(typed)))?.product;
    if (!product) return;
    setProducts((known) => ({ ...known, [product.sku]: product }));
    setF((old) => {
      if (old.kind === 'bundle') return { ...old, bundle: addToBundle(old.bundle, product.sku) };
      if (old.kind === 'member') return { ...old, memberPrices: addMemberPrice(old.memberPrices, product.sku) };
      return { ...old, scope: 'skus', skus: old.skus.includes(product.sku) ? old.skus : [...old.skus, product.sku] };
    });
    setProblem(null);
    setCode('');
  };
  p.scanInto.current = (scanned) => { addProduct(scanned); };
  const bp = percentToBp(f.percent);
  const field = (k: 'id' | 'percent' | 'price' | 'buy' | 'get' | 'cap' | 'perOrder' | 'from' | 'to' | 'dailyFrom' | 'dailyTo') => ({ name: 'promo-' + k, value: f[k], autocomplete: 'off', onInput: (e: { currentTarget: HTMLInputElement }) => set({ [k]: e.currentTarget.value }) });
  const setBundleRow = (i: number, qty: string) => set({ bundle: f.bundle.map((x, j) => (j === i ? { ...x, qty } : x)) });
  const setMemberRow = (i: number, patch: Partial<MemberPriceRow>) => set({ memberPrices: f.memberPrices.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  // What the set costs bought separately, at today's prices: a guide for its price, shown
  // only when every product is sold by the piece and every quantity is whole.
  const separately = f.bundle.reduce<number | null>((sum, row) => {
    const qty = count(row.qty, MAX_EACH_QTY);
    const product = products[row.sku];
    return sum === null || qty === null || !product || product.unit === 'kg' ? null : sum + qty * product.price_minor;
  }, 0);
  const picker = (hint: MessageKey) => (
    <div>
      <div class="row">
        <label class="grow">{t('office.promos.product')}<input name="promo-product" value={code} onInput={(e) => setCode(e.currentTarget.value)} onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); addProduct(code); } }} autocomplete="off" /></label>
        <button type="button" class="btn" disabled={!code.trim()} onClick={() => addProduct(code)} data-testid="promo-add-product">{t('office.promos.addProduct')}</button>
      </div>
      <p class="muted promos-hint">{t(hint)}</p>
    </div>
  );
  return (
    <form class="promos-new" data-testid="promo-form" onSubmit={async (e) => {
      e.preventDefault();
      if (sending) return;
      const built = buildPromotion(f, p.offsetMin, () => 'P-' + Date.now().toString(36).toUpperCase());
      if (!built.ok) return setProblem(built.problem);
      setSending(true);
      const done = await attempt(() => client.putPromotion(built.json, manager.user_id, manager.pin));
      setSending(false);
      if (!done) return;
      setF(blank());
      setStored(t('office.promos.stored', { text: done.description, id: done.id }));
      p.onStored();
    }}>
      <div class="promos-kinds kinds" role="group" aria-label={t('office.promos.kind')}>
        {KIND_CHOICES.map((k) => (
          <button type="button" class={'btn tab' + (f.kind === k ? ' active' : '')} aria-pressed={f.kind === k} onClick={() => set({ kind: k })} data-testid={'promo-kind-' + k}>{t(`office.promos.form.${k}` as MessageKey)}</button>
        ))}
      </div>
      {f.kind === 'percent' && (
        <div class="row">
          <label class="grow">{t('office.promos.percent')}<input {...field('percent')} inputMode="decimal" placeholder="15" /></label>
          <p class="promos-zhe" data-testid="promo-zhe">{bp !== null ? t('office.promos.zhe', { percent: percentText(bp), zhe: zhe(bp) }) : ''}</p>
        </div>
      )}
      {f.kind === 'fixed' && <label>{t('office.promos.price')}<input {...field('price')} inputMode="decimal" placeholder="9.90" /></label>}
      {f.kind === 'buyget' && (
        <div class="row">
          <label class="grow">{t('office.promos.buy')}<input {...field('buy')} inputMode="numeric" /></label>
          <label class="grow">{t('office.promos.get')}<input {...field('get')} inputMode="numeric" /></label>
        </div>
      )}
      {f.kind === 'threshold' && (
        <div class="promos-tiers">
          {f.tiers.map((tier, i) => (
            <div class="row">
              <label class="grow">{t('office.promos.spend')}<input name={`promo-spend-${i}`} inputMode="decimal" value={tier.spend} onInput={(e) => set({ tiers: f.tiers.map((x, j) => (j === i ? { ...x, spend: e.currentTarget.value } : x)) })} placeholder="100" /></label>
              <label class="grow">{t('office.promos.off')}<input name={`promo-off-${i}`} inputMode="decimal" value={tier.off} onInput={(e) => set({ tiers: f.tiers.map((x, j) => (j === i ? { ...x, off: e.currentTarget.value } : x)) })} placeholder="20" /></label>
              {f.tiers.length > 1 && <button type="button" class="btn" aria-label={t('office.promos.removeTier')} onClick={() => set({ tiers: f.tiers.filter((_, j) => j !== i) })}>✕</button>}
            </div>
          ))}
          {f.tiers.length < 5 && <button type="button" class="btn" onClick={() => set({ tiers: [...f.tiers, { spend: '', off: '' }] })} data-testid="promo-add-tier">{t('office.promos.addTier')}</button>}
        </div>
      )}
      {f.kind === 'bundle' && (
        <div class="promos-bundle">
          {picker('office.promos.bundleScanHint')}
          {f.bundle.length === 0
            ? <p class="muted">{t('office.promos.bundleEmpty')}</p>
            : (
              <ul class="promos-lines" data-testid="promo-bundle">
                {f.bundle.map((row, i) => (
                  <li class="promos-line" data-testid="promo-bundle-item" data-sku={row.sku}>
                    <div class="promos-line-name">{nameOf(row.sku)}<small class="muted">{row.sku} · {unitPrice(row.sku)}</small></div>
                    <label class="narrow-field">{t('office.promos.pieces')}<input name={`promo-qty-${row.sku}`} class={'qty-input' + (count(row.qty, MAX_EACH_QTY) === null ? ' invalid' : '')} inputMode="numeric" value={row.qty} autocomplete="off" onInput={(e) => setBundleRow(i, e.currentTarget.value)} /></label>
                    <button type="button" class="btn" aria-label={t('office.promos.remove')} onClick={() => set({ bundle: f.bundle.filter((_, j) => j !== i) })}>✕</button>
                  </li>
                ))}
              </ul>
            )}
          {separately !== null && f.bundle.length > 0 && <p class="promos-separately" data-testid="promo-bundle-separately">{t('office.promos.separately', { price: money(separately) })}</p>}
          <label>{t('office.promos.bundlePrice')}<input {...field('price')} inputMode="decimal" placeholder="9.90" /></label>
        </div>
      )}
      {f.kind === 'member' && (
        <div class="promos-member">
          {picker('office.promos.scanHint')}
          {f.memberPrices.length === 0
            ? <p class="muted">{t('office.promos.memberEmpty')}</p>
            : (
              <ul class="promos-lines" data-testid="promo-member-prices">
                {f.memberPrices.map((row, i) => (
                  <li class="promos-line" data-testid="promo-member-price" data-sku={row.sku}>
                    <div class="promos-line-name">{nameOf(row.sku)}<small class="muted">{row.sku} · {t('office.promos.regular', { price: unitPrice(row.sku) })}</small></div>
                    <div class="promos-line-fields">
                      <label class="grow">{t('office.promos.tier')}
                        <select name={`promo-tier-${i}`} value={row.tier} onChange={(e) => setMemberRow(i, { tier: e.currentTarget.value })}>
                          <option value="">{t('office.promos.everyMember')}</option>
                          {p.tiers.map((tier) => <option value={tier.id}>{locale === 'zh-CN' ? tier.name_zh : tier.name_en}</option>)}
                          {row.tier && !p.tiers.some((x) => x.id === row.tier) && <option value={row.tier}>{row.tier}</option>}
                        </select>
                      </label>
                      <label class="narrow-field">{t('office.promos.memberPrice')}<input name={`promo-member-price-${i}`} class={'qty-input' + (row.price.trim() && parseMoney(row.price) === null ? ' invalid' : '')} inputMode="decimal" value={row.price} placeholder="0.00" autocomplete="off" onInput={(e) => setMemberRow(i, { price: e.currentTarget.value })} /></label>
                      {p.tiers.length > 0 && <button type="button" class="btn" title={t('office.promos.anotherTierLong')} data-testid="promo-another-tier"
                        onClick={() => set({ memberPrices: [...f.memberPrices.slice(0, i + 1), { sku: row.sku, tier: '', price: '' }, ...f.memberPrices.slice(i + 1)] })}>{t('office.promos.anotherTier')}</button>}
                      <button type="button" class="btn" aria-label={t('office.promos.remove')} onClick={() => set({ memberPrices: f.memberPrices.filter((_, j) => j !== i) })}>✕</button>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          <p class="muted promos-hint">{t('office.promos.memberHint')}</p>
        </div>
      )}
      {f.kind === 'flash' && (
        <div class="promos-flash">
          <div class="row">
            <label class="grow">{t('office.promos.flashPrice')}<input {...field('price')} inputMode="decimal" placeholder="1.00" /></label>
            <label class="grow">{t('office.promos.cap')}<input {...field('cap')} inputMode="numeric" placeholder="100" /></label>
            <label class="grow">{t('office.promos.perOrder')}<input {...field('perOrder')} inputMode="numeric" placeholder="2" /></label>
          </div>
          <p class="muted promos-hint">{t('office.promos.flashHint')}</p>
        </div>
      )}
      {hasScope(f.kind) && <>
        <h2>{t('office.promos.appliesTo')}</h2>
        <div class="promos-kinds" role="group">
          {(['skus', 'categories', 'all'] as const).map((s) => (
            <button type="button" class={'btn tab' + (f.scope === s ? ' active' : '')} aria-pressed={f.scope === s} onClick={() => set({ scope: s })} data-testid={'promo-scope-' + s}>{t(`office.promos.scope.${s}` as MessageKey)}</button>
          ))}
        </div>
        {f.scope === 'skus' && (
          <div>
            {picker('office.promos.scanHint')}
            <ul class="promos-chips">
              {f.skus.map((sku) => (
                <li class="promos-chip" data-testid="promo-sku"><span>{nameOf(sku)} <small class="muted">{sku}</small></span>
                  <button type="button" class="btn" aria-label={t('office.promos.remove')} onClick={() => set({ skus: f.skus.filter((x) => x !== sku) })}>✕</button></li>
              ))}
            </ul>
          </div>
        )}
        {f.scope === 'categories' && (
          <div class="promos-categories">
            {categories.map((c) => (
              <button type="button" class={'btn tab' + (f.categories.includes(c) ? ' active' : '')} aria-pressed={f.categories.includes(c)} data-category={c}
                onClick={() => set({ categories: f.categories.includes(c) ? f.categories.filter((x) => x !== c) : [...f.categories, c] })}>{categoryName(locale, c)}</button>
            ))}
          </div>
        )}
      </>}
      <h2>{t('office.promos.when')}</h2>
      <div class="row">
        <label class="grow">{t('office.promos.from')}<input {...field('from')} type="date" /></label>
        <label class="grow">{t('office.promos.to')}<input {...field('to')} type="date" /></label>
      </div>
      <div class="row">
        <label class="grow">{t('office.promos.dailyFrom')}<input {...field('dailyFrom')} type="time" /></label>
        <label class="grow">{t('office.promos.dailyTo')}<input {...field('dailyTo')} type="time" /></label>
      </div>
      <div class="promos-checks">
        {f.kind !== 'member' && <label class="check"><input type="checkbox" name="promo-members" checked={f.membersOnly} onChange={(e) => set({ membersOnly: e.currentTarget.checked })} />{t('office.promos.membersOnly')}</label>}
        <label class="check"><input type="checkbox" name="promo-exclusive" checked={f.exclusive} onChange={(e) => set({ exclusive: e.currentTarget.checked })} />{t('office.promos.exclusiveLong')}</label>
      </div>
      <label>{t('office.promos.id')}<input {...field('id')} placeholder={t('office.promos.idHint')} /></label>
      {problem && <p class="field-problem" role="alert" data-testid="promo-problem">{t(`office.promos.bad.${problem}` as MessageKey)}</p>}
      {stored && <p class="good-note" data-testid="promo-stored">{stored}</p>}
      <button class="btn primary wide" disabled={sending} data-testid="promo-submit">{t('office.promos.add')}</button>
    </form>
  );
}

function CouponFormView(p: TabProps & { onStored: () => void }) {
  const { t, client, attempt, manager } = p;
  const blank = (): CouponForm => ({ id: '', kind: 'amount', off: '', percent: '', spend: '', maxOff: '', uses: 'single', limit: '', ...defaultDates(p.offsetMin) });
  const [f, setF] = useState<CouponForm>(blank);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [stored, setStored] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  p.scanInto.current = () => {};
  const set = (patch: Partial<CouponForm>) => (setF((old) => ({ ...old, ...patch })), setProblem(null), setStored(null));
  const field = (k: 'id' | 'off' | 'percent' | 'spend' | 'maxOff' | 'limit' | 'from' | 'to') => ({ name: 'coupon-' + k, value: f[k], autocomplete: 'off', onInput: (e: { currentTarget: HTMLInputElement }) => set({ [k]: e.currentTarget.value }) });
  const bp = percentToBp(f.percent);
  return (
    <form class="promos-new" data-testid="coupon-form" onSubmit={async (e) => {
      e.preventDefault();
      if (sending) return;
      const built = buildCoupon(f, p.offsetMin);
      if (!built.ok) return setProblem(built.problem);
      setSending(true);
      const done = await attempt(() => client.putCoupon(built.json, manager.user_id, manager.pin));
      setSending(false);
      if (!done) return;
      setF(blank());
      setStored(t('office.promos.stored', { text: done.description, id: done.id }));
      p.onStored();
    }}>
      <label>{t('office.promos.code')}<input {...field('id')} placeholder="WELCOME5" /></label>
      <div class="promos-kinds two" role="group">
        {(['amount', 'percent'] as const).map((k) => (
          <button type="button" class={'btn tab' + (f.kind === k ? ' active' : '')} aria-pressed={f.kind === k} onClick={() => set({ kind: k })} data-testid={'coupon-kind-' + k}>{t(`office.promos.coupon.${k}` as MessageKey)}</button>
        ))}
      </div>
      {f.kind === 'amount'
        ? <label>{t('office.promos.off')}<input {...field('off')} inputMode="decimal" placeholder="5" /></label>
        : (
          <div class="row">
            <label class="grow">{t('office.promos.percent')}<input {...field('percent')} inputMode="decimal" placeholder="10" /></label>
            <p class="promos-zhe">{bp !== null ? t('office.promos.zhe', { percent: percentText(bp), zhe: zhe(bp) }) : ''}</p>
          </div>
        )}
      <div class="row">
        <label class="grow">{t('office.promos.minSpend')}<input {...field('spend')} inputMode="decimal" placeholder="0" /></label>
        {f.kind === 'percent' && <label class="grow">{t('office.promos.maxOff')}<input {...field('maxOff')} inputMode="decimal" /></label>}
      </div>
      <h2>{t('office.promos.uses')}</h2>
      <div class="promos-kinds" role="group">
        {(['single', 'limited', 'unlimited'] as const).map((u) => (
          <button type="button" class={'btn tab' + (f.uses === u ? ' active' : '')} aria-pressed={f.uses === u} onClick={() => set({ uses: u })} data-testid={'coupon-uses-' + u}>{t(`office.promos.uses.${u}` as MessageKey)}</button>
        ))}
      </div>
      {f.uses === 'limited' && <label>{t('office.promos.limit')}<input {...field('limit')} inputMode="numeric" placeholder="100" /></label>}
      <h2>{t('office.promos.when')}</h2>
      <div class="row">
        <label class="grow">{t('office.promos.from')}<input {...field('from')} type="date" /></label>
        <label class="grow">{t('office.promos.to')}<input {...field('to')} type="date" /></label>
      </div>
      {problem && <p class="field-problem" role="alert" data-testid="coupon-problem">{t(`office.promos.bad.${problem}` as MessageKey)}</p>}
      {stored && <p class="good-note" data-testid="coupon-stored">{stored}</p>}
      <button class="btn primary wide" disabled={sending} data-testid="coupon-submit">{t('office.promos.addCoupon')}</button>
    </form>
  );
}
