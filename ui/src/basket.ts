// The sale in progress, kept in the browser (and in localStorage, so a reload or a crash
// of the page loses nothing) until the till service records it in one request.
// Amounts are integer minor units; the till service computes the final total (tax mode,
// 抹零), this estimate uses the same rule for weighed lines (half up to the fen).
import type { Product, SaleRequest, Tender } from './api/client';

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
}

export interface Member {
  account: string;
  balance_minor: number;
  /** When the account is a registered member: their tier's name and points. */
  tier_name?: string | null;
  points?: number | null;
}

/** What the till service says the current lines cost with the store's promotions. */
export interface Quote {
  /** The lines and member it priced ([`priceKey`]); a quote for other lines is ignored. */
  key: string;
  total_minor: number;
  saving_minor: number;
  offers: { text_zh: string; text_en: string; saving_minor: number }[];
}

export interface Draft {
  /** Made when the sale starts: resending it can never record the sale twice. */
  sale_id: string;
  lines: Line[];
  member: Member | null;
  tenders: Tender[];
  /** The till service's price for these lines (promotions), when it answered. */
  quote?: Quote | null;
}

export function newDraft(id: () => string = () => crypto.randomUUID()): Draft {
  return { sale_id: id(), lines: [], member: null, tenders: [] };
}

export function lineAmount(line: Line): number {
  if (line.label_price_minor != null) return line.label_price_minor;
  if (line.unit === 'kg') return Math.floor((line.price_minor * line.qty + 500) / 1000);
  return line.price_minor * line.qty;
}

/** The lines and member a quote is for. */
export function priceKey(draft: Draft): string {
  return JSON.stringify([saleRequest(draft).items, draft.member?.account ?? null]);
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
  return currentQuote(draft)?.total_minor ?? draft.lines.reduce((sum, l) => sum + lineAmount(l), 0);
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
  };
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
