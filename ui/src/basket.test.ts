import { describe, expect, it } from 'vitest';
import type { Product } from './api/client';
import { addCoupon, addLabel, addProduct, removeCoupon, setBasketDiscount, addTender, currentQuote, lineAmount, loadDraft, newDraft, pointsAmount, pointsLeft, priceKey, quickCash, saleRequest, saveDraft, setOverride, setQty, suspendRequest, tenderState, total, withQuote, withShopper } from './basket';

const cola: Product = { sku: 'DRK-1', barcodes: ['6901234567892'], name: 'Coca-Cola 330ml', name_zh: '可口可乐 330ml', category: 'drinks', unit: 'each', price_minor: 350, tax_rate_bp: 1300 };
const banana: Product = { sku: 'PRD-1', barcodes: ['2000001000007'], name: 'Banana', name_zh: '香蕉', category: 'produce', unit: 'kg', price_minor: 698, tax_rate_bp: 900 };
const draft = () => newDraft(() => 'sale-1');

describe('basket', () => {
  it('puts a sale aside with its member, coupons and who served, and takes them back', () => {
    const member = { account: '13800138000', balance_minor: 5000, tier_name: 'Silver', points: 12 };
    let d = addProduct(draft(), cola, '6901234567892', 2);
    d = addCoupon({ ...d, member, served_by: 'c02' }, 'NEW2');
    const req = suspendRequest(d);
    expect(req).toEqual({ items: [{ barcode: '6901234567892', qty: 2 }], label: '13800138000', member: '13800138000', coupons: ['NEW2'], served_by: 'c02' });
    expect(suspendRequest(addProduct(draft(), cola, '6901234567892', 1))).toEqual({ items: [{ barcode: '6901234567892', qty: 1 }], label: '', member: null, coupons: [], served_by: null });
    // Resumed: the lines rung up again, then the shopper put back; the quote is for the member.
    const back = withShopper(addProduct(newDraft(() => 'sale-2'), cola, '6901234567892', 2), member, { coupons: req.coupons ?? [], served_by: req.served_by });
    expect([back.member, back.coupons, back.served_by]).toEqual([member, ['NEW2'], 'c02']);
    expect(priceKey(back)).toBe(priceKey(d));
    expect(saleRequest(back)).toMatchObject({ member: '13800138000', coupons: ['NEW2'], served_by: 'c02' });
    // An old suspended sale comes back with nobody.
    const bare = withShopper(draft(), null, { coupons: [], served_by: null });
    expect([bare.member, bare.coupons, bare.served_by]).toEqual([null, [], null]);
  });
  it('merges pieces, keeps weighed lines apart, rounds weight half up', () => {
    let d = addProduct(draft(), cola, '6901234567892', 1);
    d = addProduct(d, cola, '6901234567892', 1);
    d = addProduct(d, banana, '2000001000007', 532);
    expect(d.lines.map((l) => l.qty)).toEqual([2, 532]);
    expect(lineAmount(d.lines[1])).toBe(371); // 6.98 × 0.532 = 3.71336
    expect(total(d)).toBe(1071);
    expect(setQty(d, 0, 0).lines.length).toBe(1);
  });
  it('sends hand-made changes with the approval, never dropped, and re-prices on a change', () => {
    let d = addProduct(draft(), cola, '6901234567892', 2);
    d = addProduct(d, banana, '2000001000007', 1000);
    const key = priceKey(d);
    const approval = { user_id: 's01', token: 'tok' };
    d = setOverride(d, 1, { price_minor: 500 }, approval);
    d = setOverride(d, 0, { percent_bp: 1000 }, null);
    expect(priceKey(d)).not.toBe(key);
    expect(lineAmount(d.lines[0])).toBe(630); // 7.00 less 10 %
    expect(lineAmount(d.lines[1])).toBe(500); // 1 kg at 5.00
    const req = saleRequest(d);
    expect(req.overrides).toEqual([{ line: 1, price_minor: null, discount: { percent_bp: 1000 } }, { line: 2, price_minor: 500, discount: null }]);
    expect(req.authorized_by).toEqual({ user_id: 's01', approval: 'tok' });
    // Without an approval the changes still go, and the till service refuses them.
    const bare = saleRequest({ ...d, approval: null });
    expect(bare.overrides?.length).toBe(2);
    expect(bare.authorized_by).toBeNull();
    // Undoing the last change drops the approval; a removed line takes its change along.
    expect(setOverride(setOverride(d, 0, null, null), 1, null, null).approval).toBeNull();
    expect(saleRequest(setQty(d, 0, 0)).overrides).toEqual([{ line: 1, price_minor: 500, discount: null }]);
  });
  it('sends a whole-sale discount with the approval and estimates it until the quote', () => {
    let d = addProduct(draft(), cola, '6901234567892', 2); // ¥7.00
    d = setBasketDiscount(d, { percent_bp: 1000 }, { user_id: 's01', token: 'tok' });
    expect(total(d)).toBe(630);
    expect(saleRequest(d).basket_discount).toEqual({ percent_bp: 1000 });
    expect(saleRequest(d).authorized_by).toEqual({ user_id: 's01', approval: 'tok' });
    const off = setBasketDiscount(d, null, null);
    expect([off.basket_discount, off.approval, saleRequest(off).basket_discount]).toEqual([null, null, undefined]);
  });
  it('names who served the customer, kept with the draft', () => {
    const d = { ...addProduct(draft(), cola, '6901234567892', 1), served_by: 'c02' };
    expect(saleRequest(d).served_by).toBe('c02');
    expect(saleRequest({ ...d, served_by: null }).served_by).toBeUndefined();
    const storage = new Map<string, string>();
    const fake = { setItem: (k: string, v: string) => storage.set(k, v), getItem: (k: string) => storage.get(k) ?? null } as unknown as Storage;
    saveDraft(fake, d);
    expect(loadDraft(fake)?.served_by).toBe('c02');
  });
  it('presents coupons once each, in order, and re-prices when they change', () => {
    let d = addProduct(draft(), cola, '6901234567892', 1);
    const key = priceKey(d);
    d = addCoupon(addCoupon(addCoupon(d, ' NEW2 '), 'NEW2'), 'WELCOME');
    expect(saleRequest(d).coupons).toEqual(['NEW2', 'WELCOME']);
    expect(priceKey(d)).not.toBe(key);
    expect(saleRequest(removeCoupon(d, 'NEW2')).coupons).toEqual(['WELCOME']);
    expect(addCoupon(d, '  ')).toBe(d);
  });
  it('plans split tenders and change', () => {
    let d = addProduct(draft(), cola, '6901234567892', 4); // ¥14.00
    d = addTender(d, { kind: 'card', amount_minor: 5000, reference: 'POS1' });
    expect(d.tenders[0].amount_minor).toBe(1400); // capped at what is due
    d = addTender(draft(), { kind: 'cash', amount_minor: 0 });
    d = addProduct(draft(), cola, '6901234567892', 4);
    d = addTender(d, { kind: 'mobile', amount_minor: 400, reference: '1345' });
    expect(tenderState(d).remaining).toBe(1000);
    d = addTender(d, { kind: 'cash', amount_minor: 2000 });
    expect(tenderState(d)).toEqual({ due: 1400, paid: 2400, remaining: 0, change: 1000 });
    expect(saleRequest(d).tenders.map((t) => t.kind)).toEqual(['mobile', 'cash']);
  });
  it('offers the exact amount and round notes', () => {
    expect(quickCash(1071)).toEqual([1071, 2000, 5000, 10000]);
    expect(quickCash(2000)).toEqual([2000, 5000, 10000]);
    expect(quickCash(0)).toEqual([]);
  });
  it('survives a reload through storage', () => {
    const mem = new Map<string, string>();
    const storage = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => void mem.set(k, v) } as Storage;
    const d = addProduct(draft(), banana, '2000001000007', 1000);
    saveDraft(storage, d);
    expect(loadDraft(storage)).toEqual(d);
    mem.set('opentill.draft', '{broken');
    expect(loadDraft(storage)).toBeNull();
  });
  it('sends grams for weighed lines and pieces otherwise', () => {
    let d = addProduct(draft(), banana, '2000001000007', 532);
    d = addProduct(d, cola, '6901234567892', 2);
    expect(saleRequest(d).items).toEqual([{ barcode: '2000001000007', grams: 532 }, { barcode: '6901234567892', qty: 2 }]);
  });
});

describe('points as payment', () => {
  it('starts at the smaller of what the points are worth and what is left, less points already tendered', () => {
    let d = addProduct(draft(), cola, '6901234567892', 2); // 7.00
    expect(pointsLeft(d)).toBeNull();
    expect(pointsAmount(d)).toBe(0);
    d = { ...d, member: { account: '13800138000', balance_minor: 0, points: 250, member_id: 'M1' } };
    expect([pointsLeft(d), pointsAmount(d)]).toEqual([250, 250]);
    d = addTender(d, { kind: 'points', amount_minor: 100, reference: 'M1' });
    expect([pointsLeft(d), pointsAmount(d)]).toEqual([150, 150]);
    d = addTender(d, { kind: 'card', amount_minor: 500, reference: 'POS1' });
    expect([pointsLeft(d), pointsAmount(d)]).toEqual([150, 100]); // only 1.00 is left to pay
    d = { ...d, member: { ...d.member!, points: 50 } };
    expect([pointsLeft(d), pointsAmount(d)]).toEqual([0, 0]); // never below zero
    expect(saleRequest(d).tenders.map((t) => t.kind)).toEqual(['points', 'card']);
  });
});

describe('labels', () => {
  it('sends a scale label as scanned and charges a printed price as is', () => {
    let d = addLabel(draft(), banana, '2000001012345', 1234, null);
    d = addLabel(d, banana, '2000001000502', 717, 500);
    expect(d.lines.map(lineAmount)).toEqual([861, 500]);
    expect(saleRequest(d).items).toEqual([{ barcode: '2000001012345' }, { barcode: '2000001000502' }]);
  });
});

describe('promotion quotes', () => {
  const noodles: Product = { sku: 'INS-1', barcodes: ['6953931935283'], name: 'Noodles', name_zh: '方便面', category: 'instant', unit: 'each', price_minor: 320, tax_rate_bp: 1300 };
  it('uses the till service\'s price only for the lines it priced', () => {
    const d = addProduct(newDraft(() => 'sale-1'), noodles, '6953931935283', 3);
    expect(total(d)).toBe(960);
    const quoted = withQuote(d, { key: priceKey(d), total_minor: 640, saving_minor: 320, offers: [{ text_zh: '买2送1', text_en: 'Buy 2 get 1 free', saving_minor: 320 }] });
    expect(total(quoted)).toBe(640);
    expect(tenderState(quoted).due).toBe(640);
    // A fourth packet: the quote is for three, so the plain sum is shown until a new one comes.
    const more = addProduct(quoted, noodles, '6953931935283', 1);
    expect(currentQuote(more)).toBeNull();
    expect(total(more)).toBe(1280);
    // A quote that arrives for lines that have since changed is not attached.
    expect(withQuote(more, quoted.quote!)).toBe(more);
    expect(saleRequest({ ...more, member: { account: 'M001', balance_minor: 0 } }).member).toBe('M001');
  });
});
