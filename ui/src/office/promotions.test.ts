import { describe, expect, it } from 'vitest';
import { addMemberPrice, addToBundle, buildCoupon, buildPromotion, count, type CouponForm, hhmm, kindDetails, minuteOf, percentText, percentToBp, type PromoForm, scopeOf, stateGroup, storeMidnight, zhe } from './promotions';

const CHINA = 480;
const form = (patch: Partial<PromoForm> = {}): PromoForm => ({
  id: 'SNACKS-20', kind: 'percent', percent: '20', price: '', buy: '2', get: '1', tiers: [{ spend: '', off: '' }],
  bundle: [], memberPrices: [], cap: '', perOrder: '',
  scope: 'categories', skus: [], categories: ['snacks'], from: '2026-11-22', to: '2026-11-28', dailyFrom: '', dailyTo: '',
  membersOnly: false, exclusive: false, ...patch,
});
const built = (f: PromoForm) => {
  const b = buildPromotion(f, CHINA, () => 'P-NEW');
  return b.ok ? b.json : b.problem;
};

describe('percent and 折', () => {
  it('reads a percentage off as basis points, integers only', () => {
    expect(['15', '12.5', '0.05', '100', '8.75 %', '33.33'].map(percentToBp)).toEqual([1500, 1250, 5, 10_000, 875, 3333]);
    expect(['0', '', '101', '12.345', '-5', 'abc', '1e2'].map(percentToBp)).toEqual([null, null, null, null, null, null, null]);
  });
  it('writes it as 折 and as a percentage, as the shelf labels do', () => {
    expect([1500, 2000, 1250, 5, 10_000, 3333].map(zhe)).toEqual(['8.5', '8', '8.75', '9.995', '0', '6.667']);
    expect([1500, 1250, 5, 10_000].map(percentText)).toEqual(['15', '12.5', '0.05', '100']);
  });
});

describe('store dates and times', () => {
  it('starts a store day at its midnight in the store zone', () => {
    // 2026-11-22 00:00 in Shanghai is 2026-11-21 16:00 UTC.
    expect(storeMidnight('2026-11-22', CHINA)).toBe(Date.UTC(2026, 10, 21, 16));
    expect(storeMidnight('2026-11-22', -480)).toBe(Date.UTC(2026, 10, 22, 8));
    expect(storeMidnight('2026-02-30', CHINA)).toBeNull();
    expect(storeMidnight('22/11/2026', CHINA)).toBeNull();
  });
  it('reads and writes times of day', () => {
    expect(['18:00', '9:30', '24:00', '00:00'].map(minuteOf)).toEqual([1080, 570, 1440, 0]);
    expect(['24:01', '18:60', '18', ''].map(minuteOf)).toEqual([null, null, null, null]);
    expect([1080, 570, 1440].map(hhmm)).toEqual(['18:00', '09:30', '24:00']);
  });
});

describe('buildPromotion', () => {
  it('makes the JSON the till service takes, the last day included', () => {
    expect(built(form())).toEqual({
      id: 'SNACKS-20',
      kind: { PercentOff: { scope: { Categories: ['snacks'] }, percent_bp: 2000 } },
      window: { from_ms: Date.UTC(2026, 10, 21, 16), to_ms: Date.UTC(2026, 10, 28, 16), weekdays: [] },
      exclusive: false,
      members_only: false,
    });
  });
  it('builds each kind over each scope', () => {
    const kind = (f: PromoForm) => (built(f) as { kind: unknown }).kind;
    expect(kind(form({ kind: 'fixed', price: '9.9', scope: 'skus', skus: ['DRK-1'] }))).toEqual({ FixedPrice: { scope: { Skus: ['DRK-1'] }, price: 990 } });
    expect(kind(form({ kind: 'buyget', buy: '1', get: '1', scope: 'all' }))).toEqual({ BuyGet: { scope: 'All', buy: 1, get: 1 } });
    expect(kind(form({ kind: 'threshold', tiers: [{ spend: '100', off: '20' }, { spend: '', off: '' }, { spend: '200', off: '50' }], scope: 'all' })))
      .toEqual({ Threshold: { scope: 'All', rule: { Tiers: [{ spend: 10_000, off: 2_000 }, { spend: 20_000, off: 5_000 }] } } });
  });
  it('carries daily hours, members only, exclusive, and makes an id when none is given', () => {
    const json = built(form({ id: ' ', dailyFrom: '18:00', dailyTo: '21:00', membersOnly: true, exclusive: true })) as Record<string, unknown>;
    expect(json.id).toBe('P-NEW');
    expect((json.window as { daily: unknown }).daily).toEqual({ from_minute: 1080, to_minute: 1260 });
    expect([json.members_only, json.exclusive]).toEqual([true, true]);
  });
  it('says what is wrong instead of sending it', () => {
    expect(built(form({ percent: '120' }))).toBe('percent');
    expect(built(form({ percent: '' }))).toBe('percent');
    expect(built(form({ kind: 'fixed', price: '9.999' }))).toBe('price');
    expect(built(form({ kind: 'buyget', get: '0' }))).toBe('buyGet');
    expect(built(form({ kind: 'threshold', tiers: [{ spend: '100', off: '' }] }))).toBe('tiers');
    expect(built(form({ categories: [] }))).toBe('scope');
    expect(built(form({ scope: 'skus' }))).toBe('scope');
    expect(built(form({ to: '' }))).toBe('dates');
    expect(built(form({ dailyFrom: '18:00' }))).toBe('hours');
    expect(built(form({ id: 'no spaces' }))).toBe('id');
  });
  it('leaves the rules to the till service: 满10减20 is sent, and refused there', () => {
    expect(built(form({ kind: 'threshold', tiers: [{ spend: '10', off: '20' }], scope: 'all' }))).toHaveProperty('kind.Threshold');
  });
});

describe('bundles, member prices and flash sales', () => {
  const kind = (f: PromoForm) => {
    const json = built(f);
    return typeof json === 'string' ? json : json.kind;
  };
  // A cola and two bags of chips for ¥9.90; the scope of the form plays no part.
  const bundle = (patch: Partial<PromoForm> = {}) => form({ kind: 'bundle', scope: 'skus', skus: [], price: '9.9', bundle: [{ sku: 'DRK-00001', qty: '1' }, { sku: 'SNK-00001', qty: '2' }], ...patch });
  const member = (patch: Partial<PromoForm> = {}) => form({ kind: 'member', memberPrices: [{ sku: 'DRK-00001', tier: '', price: '3.20' }, { sku: 'DRK-00001', tier: 'gold', price: '2.9' }, { sku: 'SNK-00001', tier: 'silver', price: '4' }], ...patch });
  const flash = (patch: Partial<PromoForm> = {}) => form({ kind: 'flash', scope: 'skus', skus: ['DRK-00006'], price: '1', cap: '100', perOrder: '2', dailyFrom: '10:00', dailyTo: '12:00', ...patch });

  it.each([
    ['a bundle: its set and the price of one set', bundle(), { Bundle: { items: [{ sku: 'DRK-00001', qty: 1 }, { sku: 'SNK-00001', qty: 2 }], price: 990 } }],
    ['a bundle of one product, six pieces', bundle({ bundle: [{ sku: 'INS-00001', qty: ' 6 ' }], price: '¥15' }), { Bundle: { items: [{ sku: 'INS-00001', qty: 6 }], price: 1500 } }],
    ['member prices for every member and per tier', member(), { MemberPrice: { prices: [{ sku: 'DRK-00001', tier: null, price: 320 }, { sku: 'DRK-00001', tier: 'gold', price: 290 }, { sku: 'SNK-00001', tier: 'silver', price: 400 }] } }],
    ['a flash sale over products, limited per sale', flash(), { FlashSale: { scope: { Skus: ['DRK-00006'] }, price: 100, cap: 100, per_order_limit: 2 } }],
    ['a flash sale over a category, no limit per sale', flash({ scope: 'categories', categories: ['drinks'], price: '0.99', cap: '500', perOrder: ' ' }), { FlashSale: { scope: { Categories: ['drinks'] }, price: 99, cap: 500, per_order_limit: null } }],
    ['a flash sale over the whole store at ¥0 (0元抢购)', flash({ scope: 'all', price: '0', cap: '20' }), { FlashSale: { scope: 'All', price: 0, cap: 20, per_order_limit: 2 } }],
  ])('%s', (_, f, expected) => {
    expect(kind(f)).toEqual(expected);
  });

  it.each([
    ['a bundle with no products', bundle({ bundle: [] }), 'bundle'],
    ['a bundle with a piece count of 0', bundle({ bundle: [{ sku: 'DRK-00001', qty: '0' }] }), 'bundleQty'],
    ['a bundle with half a piece', bundle({ bundle: [{ sku: 'DRK-00001', qty: '1.5' }] }), 'bundleQty'],
    ['a bundle over the most pieces a line holds', bundle({ bundle: [{ sku: 'DRK-00001', qty: '10000' }] }), 'bundleQty'],
    ['a bundle with no price', bundle({ price: '' }), 'price'],
    ['a bundle priced in fen fractions', bundle({ price: '9.999' }), 'price'],
    ['member prices with no product', member({ memberPrices: [] }), 'memberPrices'],
    ['a member price left empty', member({ memberPrices: [{ sku: 'DRK-00001', tier: '', price: '' }] }), 'memberPrices'],
    ['a member price that is not an amount', member({ memberPrices: [{ sku: 'DRK-00001', tier: '', price: '3,20' }] }), 'memberPrices'],
    ['two prices for the same product and tier', member({ memberPrices: [{ sku: 'DRK-00001', tier: 'gold', price: '3' }, { sku: 'DRK-00001', tier: 'gold', price: '2.5' }] }), 'memberTwice'],
    ['a flash sale with no products', flash({ skus: [] }), 'scope'],
    ['a flash sale with no price', flash({ price: '' }), 'price'],
    ['a flash sale with nothing on offer', flash({ cap: '0' }), 'cap'],
    ['a flash sale with no cap', flash({ cap: '' }), 'cap'],
    ['a flash sale limited to 0 per sale', flash({ perOrder: '0' }), 'perOrder'],
    ['a flash sale limited to "two" per sale', flash({ perOrder: 'two' }), 'perOrder'],
  ])('refuses %s', (_, f, problem) => {
    expect(built(f)).toBe(problem);
  });

  it('needs no scope for a bundle or member prices, and marks member prices members only', () => {
    expect(built(bundle({ scope: 'categories', categories: [] }))).toMatchObject({ members_only: false });
    expect(built(member({ scope: 'skus', skus: [] }))).toMatchObject({ members_only: true });
    expect(built(flash({ membersOnly: true, exclusive: true }))).toMatchObject({ members_only: true, exclusive: true, window: { daily: { from_minute: 600, to_minute: 720 } } });
  });

  it('adds a scanned product: a bundle counts the pieces, member prices list it once', () => {
    let set = addToBundle([], 'DRK-00001');
    set = addToBundle(set, 'SNK-00001');
    set = addToBundle(set, 'SNK-00001');
    expect(set).toEqual([{ sku: 'DRK-00001', qty: '1' }, { sku: 'SNK-00001', qty: '2' }]);
    expect(addToBundle([{ sku: 'DRK-00001', qty: '9999' }], 'DRK-00001')).toEqual([{ sku: 'DRK-00001', qty: '9999' }]);
    expect(addToBundle([{ sku: 'DRK-00001', qty: 'x' }], 'DRK-00001')).toEqual([{ sku: 'DRK-00001', qty: 'x' }]);
    const prices = addMemberPrice(addMemberPrice([], 'DRK-00001'), 'DRK-00001');
    expect(prices).toEqual([{ sku: 'DRK-00001', tier: '', price: '' }]);
  });

  it('reads whole counts', () => {
    expect(['1', ' 12 ', '999'].map((x) => count(x))).toEqual([1, 12, 999]);
    expect(['0', '1000', '1.5', '-1', '', 'abc'].map((x) => count(x))).toEqual([null, null, null, null, null, null]);
    expect([count('500000', 1_000_000), count('1000001', 1_000_000)]).toEqual([500_000, null]);
  });
});

describe('buildCoupon', () => {
  const coupon = (patch: Partial<CouponForm> = {}): CouponForm => ({ id: 'WELCOME5', kind: 'amount', off: '5', percent: '', spend: '', maxOff: '', uses: 'single', limit: '', from: '2026-11-22', to: '2026-11-22', ...patch });
  const json = (f: CouponForm) => {
    const b = buildCoupon(f, CHINA);
    return b.ok ? b.json : b.problem;
  };
  it('amount off, with or without a minimum spend, or percent off with a cap', () => {
    expect(json(coupon())).toEqual({ id: 'WELCOME5', kind: { Cash: { off: 500 } }, scope: 'All', window: { from_ms: Date.UTC(2026, 10, 21, 16), to_ms: Date.UTC(2026, 10, 22, 16), weekdays: [] }, group: 'store', uses: 'Single' });
    expect(json(coupon({ spend: '50', uses: 'limited', limit: '100' }))).toMatchObject({ kind: { Threshold: { spend: 5000, off: 500 } }, uses: { Limited: 100 } });
    expect(json(coupon({ kind: 'percent', percent: '10', maxOff: '20', uses: 'unlimited' }))).toMatchObject({ kind: { Percent: { percent_bp: 1000, spend: 0, max_off: 2000 } }, uses: 'Unlimited' });
  });
  it('refuses what is not a coupon', () => {
    expect([json(coupon({ id: '' })), json(coupon({ off: '0' })), json(coupon({ spend: 'x' })), json(coupon({ uses: 'limited', limit: '0' })), json(coupon({ kind: 'percent', percent: '0' }))])
      .toEqual(['id', 'off', 'spend', 'limit', 'percent']);
  });
});

describe('the list', () => {
  it('reads the scope of any stored kind', () => {
    expect(scopeOf({ kind: { PercentOff: { scope: 'All', percent_bp: 1 } } })).toEqual({ all: true });
    expect(scopeOf({ kind: { BuyGet: { scope: { Skus: ['A'] } } } })).toEqual({ skus: ['A'] });
    expect(scopeOf({ kind: { Threshold: { scope: { Categories: ['drinks'] } } } })).toEqual({ categories: ['drinks'] });
    expect(scopeOf({ kind: { Bundle: { items: [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }], price: 900 } } })).toEqual({ skus: ['A', 'B'] });
  });
  it('reads what a bundle, member prices and a flash sale hold', () => {
    expect(kindDetails({ kind: { Bundle: { items: [{ sku: 'DRK-00001', qty: 1 }, { sku: 'SNK-00001', qty: 2 }], price: 990 } } }))
      .toEqual({ bundle: [{ sku: 'DRK-00001', qty: 1 }, { sku: 'SNK-00001', qty: 2 }] });
    expect(kindDetails({ kind: { MemberPrice: { prices: [{ sku: 'DRK-00001', price: 320 }, { sku: 'DRK-00001', tier: 'gold', price: 290 }] } } }))
      .toEqual({ memberPrices: [{ sku: 'DRK-00001', tier: null, price: 320 }, { sku: 'DRK-00001', tier: 'gold', price: 290 }] });
    expect(kindDetails({ kind: { FlashSale: { scope: 'All', price: 100, cap: 100, per_order_limit: 2 } } })).toEqual({ flash: { cap: 100, perOrder: 2 } });
    expect(kindDetails({ kind: { FlashSale: { scope: 'All', price: 100, cap: 50 } } })).toEqual({ flash: { cap: 50, perOrder: null } });
    expect(kindDetails({ kind: { PercentOff: { scope: 'All', percent_bp: 1500 } } })).toBeNull();
    expect(scopeOf({ kind: { MemberPrice: { prices: [{ sku: 'A', price: 1 }, { sku: 'A', tier: 'gold', price: 1 }, { sku: 'B', price: 2 }] } } })).toEqual({ skus: ['A', 'B'] });
    expect(scopeOf({ kind: { FlashSale: { scope: { Skus: ['DRK-00006'] }, price: 100, cap: 100 } } })).toEqual({ skus: ['DRK-00006'] });
  });
  it('groups by state', () => {
    expect(['running', 'not_started', 'outside_hours', 'other_weekday', 'ended'].map(stateGroup)).toEqual(['running', 'scheduled', 'scheduled', 'scheduled', 'ended']);
  });
});
