// The sale in progress, kept in the browser (and in localStorage, so a reload or a crash
// of the page loses nothing) until the till service records it in one request.
// Amounts are integer minor units; the till service computes the final total (tax mode,
// 抹零), this estimate uses the same rule for weighed lines (half up to the fen).
import type { Product, Resumed, SaleRequest, SuspendRequest, Tender } from './api/client';

export interface Line {
  sku: string;
  barcode: string;
  name: string;
  name_zh: string;
  unit: string;
  price_minor: number;
  /** Pieces, or grams for weighed products. */
  qty: number;
  /** The weight came from the scanned label (scale label, GS1): the label is sent as is. */
  label?: boolean;
  /** The price printed on a price label, charged as is. */
  label_price_minor?: number | null;
  /** Changed by hand, with the sale's approval (`Draft.approval`). */
  override?: Override | null;
}

/** A line's price changed by hand: a new unit price, and/or a discount (percent or amount). */
export interface Override {
  price_minor?: number | null;
  /** Basis points off: 1000 = 10 % off. */
  percent_bp?: number | null;
  amount_minor?: number | null;
}

/** A supervisor's approval of this sale's hand-made changes: the token, never the PIN. */
export interface Approval {
  user_id: string;
  token: string;
}

export interface Member {
  account: string;
  balance_minor: number;
  /** When the account is a registered member: their tier's name and points. */
  tier_name?: string | null;
  points?: number | null;
  /** The registered member's id, which a points tender names. */
  member_id?: string | null;
}

/** What one point pays, minor units (`POINT_VALUE_MINOR` in the core: 100 points = ¥1). */
export const POINT_VALUE_MINOR = 1;

/** The member's points not yet put towards this sale, or null when no registered member is on it. */
export function pointsLeft(draft: Draft): number | null {
  const points = draft.member?.points;
  if (points == null) return null;
  const used = draft.tenders.filter((t) => t.kind === 'points').reduce((s, t) => s + Math.floor(t.amount_minor / POINT_VALUE_MINOR), 0);
  return Math.max(0, points - used);
}

/** The amount a points tender starts at: the smaller of what the member's points are worth and what is left to pay. */
export function pointsAmount(draft: Draft): number {
  const left = pointsLeft(draft) ?? 0;
  return Math.min(left * POINT_VALUE_MINOR, tenderState(draft).remaining);
}

/** What the till service says the current lines cost with the store's promotions. */
export interface Quote {
  /** The lines and member it priced ([`priceKey`]); a quote for other lines is ignored. */
  key: string;
  total_minor: number;
  saving_minor: number;
  offers: { text_zh: string; text_en: string; saving_minor: number }[];
  /** Coupons presented that this sale cannot take, with why (in the screen's language). */
  refused?: { coupon_id: string; message: string }[];
}

export interface Draft {
  /** Made when the sale starts: resending it can never record the sale twice. */
  sale_id: string;
  lines: Line[];
  member: Member | null;
  tenders: Tender[];
  /** The till service's price for these lines (promotions), when it answered. */
  quote?: Quote | null;
  /** Who allowed the lines' hand-made changes. */
  approval?: Approval | null;
  /** Coupon ids the customer presented, in order. */
  coupons?: string[];
  /** A discount on the whole sale by hand, with the sale's approval (`approval`). */
  basket_discount?: Override | null;
  /** The staff member who served the customer (导购), for their commission: a user id. */
  served_by?: string | null;
}

export function newDraft(id: () => string = () => crypto.randomUUID()): Draft {
  return { sale_id: id(), lines: [], member: null, tenders: [] };
}

/** A line's amount: an estimate until the till service prices it (the quote). */
export function lineAmount(line: Line): number {
  const o = line.override;
  const price = o?.price_minor ?? line.price_minor;
  let amount = line.label_price_minor != null && o?.price_minor == null ? line.label_price_minor
    : line.unit === 'kg' ? Math.floor((price * line.qty + 500) / 1000) : price * line.qty;
  if (o?.percent_bp) amount -= Math.floor((amount * o.percent_bp + 5000) / 10000);
  if (o?.amount_minor) amount -= Math.min(amount, o.amount_minor);
  return amount;
}

/** Sets or (with null) removes a line's hand-made change; `approval` is who allowed it. */
export function setOverride(draft: Draft, index: number, override: Override | null, approval: Approval | null): Draft {
  const lines = draft.lines.map((l, i) => (i === index ? { ...l, override } : l));
  const any = lines.some((l) => l.override) || !!draft.basket_discount;
  return { ...draft, lines, tenders: [], approval: any ? approval ?? draft.approval ?? null : null };
}

/** Sets or (with null) removes the discount on the whole sale (a percentage or an
 *  amount; a price does not apply to a sale); `approval` is who allowed it. */
export function setBasketDiscount(draft: Draft, discount: Override | null, approval: Approval | null): Draft {
  const d = discount && (discount.percent_bp || discount.amount_minor) ? { percent_bp: discount.percent_bp ?? null, amount_minor: discount.amount_minor ?? null } : null;
  const any = draft.lines.some((l) => l.override) || !!d;
  return { ...draft, basket_discount: d, tenders: [], approval: any ? approval ?? draft.approval ?? null : null };
}

/** The lines, member, changes and coupons a quote is for. */
export function priceKey(draft: Draft): string {
  const req = saleRequest(draft);
  return JSON.stringify([req.items, draft.member?.account ?? null, req.overrides ?? [], req.basket_discount ?? null, req.coupons ?? []]);
}

/** Presents a coupon (by its id, as typed or scanned); presenting it twice changes nothing. */
export function addCoupon(draft: Draft, id: string): Draft {
  const coupon = id.trim();
  const coupons = draft.coupons ?? [];
  if (!coupon || coupons.includes(coupon)) return draft;
  return { ...draft, coupons: [...coupons, coupon], tenders: [] };
}

export function removeCoupon(draft: Draft, id: string): Draft {
  return { ...draft, coupons: (draft.coupons ?? []).filter((c) => c !== id), tenders: [] };
}

/** The quote, if it is for the lines as they are now. */
export function currentQuote(draft: Draft): Quote | null {
  return draft.quote && draft.quote.key === priceKey(draft) ? draft.quote : null;
}

/** Attaches a quote if the lines have not changed since it was asked for. */
export function withQuote(draft: Draft, quote: Quote): Draft {
  return quote.key === priceKey(draft) ? { ...draft, quote } : draft;
}

/** What to pay: the till service's quote (promotions taken off) when it is current,
 *  else the sum of the lines. */
export function total(draft: Draft): number {
  const quoted = currentQuote(draft)?.total_minor;
  if (quoted !== undefined) return quoted;
  let sum = draft.lines.reduce((s, l) => s + lineAmount(l), 0);
  const d = draft.basket_discount;
  if (d?.percent_bp) sum -= Math.floor((sum * d.percent_bp + 5000) / 10000);
  if (d?.amount_minor) sum -= Math.min(sum, d.amount_minor);
  return sum;
}

export function itemCount(draft: Draft): number {
  return draft.lines.reduce((n, l) => n + (l.unit === 'kg' ? 1 : l.qty), 0);
}

/** Adds a scale or GS1 label: its own line, with the weight (and price) the label carries. */
export function addLabel(draft: Draft, p: Product, code: string, grams: number, labelPrice: number | null): Draft {
  const line: Line = { sku: p.sku, barcode: code, name: p.name, name_zh: p.name_zh, unit: p.unit, price_minor: p.price_minor, qty: grams, label: true, label_price_minor: labelPrice };
  return { ...draft, lines: [...draft.lines, line], tenders: [] };
}

/** Adds a product: pieces join an existing line of the same product; weighed items are their own line. */
export function addProduct(draft: Draft, p: Product, barcode: string, qty: number): Draft {
  const lines = [...draft.lines];
  const same = p.unit === 'each' ? lines.findIndex((l) => l.sku === p.sku && l.unit === 'each') : -1;
  if (same >= 0) {
    lines[same] = { ...lines[same], qty: lines[same].qty + qty };
  } else {
    lines.push({ sku: p.sku, barcode, name: p.name, name_zh: p.name_zh, unit: p.unit, price_minor: p.price_minor, qty });
  }
  return { ...draft, lines, tenders: [] };
}

export function setQty(draft: Draft, index: number, qty: number): Draft {
  const lines = draft.lines.map((l, i) => (i === index ? { ...l, qty } : l)).filter((l) => l.qty > 0);
  return { ...draft, lines, tenders: [] };
}

export interface TenderState {
  due: number;
  paid: number;
  /** Still to pay (0 when covered). */
  remaining: number;
  /** Cash to give back. */
  change: number;
}

export function tenderState(draft: Draft): TenderState {
  const due = total(draft);
  const paid = draft.tenders.reduce((s, t) => s + t.amount_minor, 0);
  const nonCash = draft.tenders.filter((t) => t.kind !== 'cash').reduce((s, t) => s + t.amount_minor, 0);
  const remaining = Math.max(0, due - paid);
  const change = paid > due ? Math.min(paid - due, paid - nonCash) : 0;
  return { due, paid, remaining, change };
}

/** The cash notes a customer is likely to hand over for `remaining`: exact, then round-ups. */
export function quickCash(remaining: number): number[] {
  if (remaining <= 0) return [];
  const out = [remaining];
  for (const step of [1000, 2000, 5000, 10000]) {
    const up = Math.ceil(remaining / step) * step;
    if (!out.includes(up)) out.push(up);
  }
  return out.slice(0, 5);
}

/** Adds a tender; non-cash tenders are capped at what is left to pay. */
export function addTender(draft: Draft, tender: Tender): Draft {
  const { remaining } = tenderState(draft);
  const amount = tender.kind === 'cash' ? tender.amount_minor : Math.min(tender.amount_minor, remaining);
  if (amount <= 0) return draft;
  return { ...draft, tenders: [...draft.tenders, { ...tender, amount_minor: amount }] };
}

/** The request that records the sale. Non-cash tenders go first, as the till settles them. */
export function saleRequest(draft: Draft): SaleRequest {
  return {
    sale_id: draft.sale_id,
    items: draft.lines.map((l) => (l.label ? { barcode: l.barcode } : l.unit === 'kg' ? { barcode: l.barcode, grams: l.qty } : { barcode: l.barcode, qty: l.qty })),
    tenders: [...draft.tenders.filter((t) => t.kind !== 'cash'), ...draft.tenders.filter((t) => t.kind === 'cash')],
    member: draft.member?.account ?? null,
    coupons: draft.coupons ?? [],
    ...(draft.served_by ? { served_by: draft.served_by } : {}),
    ...changes(draft),
  };
}

/** The request that puts the sale aside (挂单): its items and who it is for (the member,
 *  the coupons presented, who served the customer), so resuming it loses none of them.
 *  The label is the member's account, which the resume list shows. */
export function suspendRequest(draft: Draft): SuspendRequest {
  const req = saleRequest(draft);
  return { items: req.items, label: draft.member?.account ?? '', member: req.member ?? null, coupons: req.coupons ?? [], served_by: draft.served_by ?? null };
}

/** A resumed sale's shopper back on the draft: the member (looked up again for their
 *  balance and tier), the coupons presented and who served the customer. */
export function withShopper(draft: Draft, member: Member | null, resumed: Pick<Resumed, 'coupons' | 'served_by'>): Draft {
  return { ...draft, member, coupons: [...(resumed.coupons ?? [])], served_by: resumed.served_by ?? null, tenders: [] };
}

/** The hand-made changes as the API takes them (lines from 1), with the approval. */
function changes(draft: Draft): Pick<SaleRequest, 'overrides' | 'basket_discount' | 'authorized_by'> {
  const overrides = draft.lines.flatMap((l, i) => {
    const o = l.override;
    if (!o) return [];
    const discount = o.percent_bp ? { percent_bp: o.percent_bp } : o.amount_minor ? { amount_minor: o.amount_minor } : null;
    return [{ line: i + 1, price_minor: o.price_minor ?? null, discount }];
  });
  const d = draft.basket_discount;
  const basket_discount = d?.percent_bp ? { percent_bp: d.percent_bp } : d?.amount_minor ? { amount_minor: d.amount_minor } : null;
  // Changes without an approval are still sent (and refused): never dropped in silence.
  if (!overrides.length && !basket_discount) return {};
  return { overrides, basket_discount, authorized_by: draft.approval ? { user_id: draft.approval.user_id, approval: draft.approval.token } : null };
}

const KEY = 'opentill.draft';

export function saveDraft(storage: Storage, draft: Draft) {
  storage.setItem(KEY, JSON.stringify(draft));
}

export function loadDraft(storage: Storage): Draft | null {
  try {
    const raw = storage.getItem(KEY);
    const d = raw ? (JSON.parse(raw) as Draft) : null;
    return d && typeof d.sale_id === 'string' && Array.isArray(d.lines) ? d : null;
  } catch {
    return null;
  }
}
