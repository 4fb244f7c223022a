import { describe, expect, it } from 'vitest';
import { buildCoupon, buildPromotion, type CouponForm, hhmm, minuteOf, percentText, percentToBp, type PromoForm, scopeOf, stateGroup, storeMidnight, zhe } from './promotions';

const CHINA = 480;
const form = (patch: Partial<PromoForm> = {}): PromoForm => ({
  id: 'SNACKS-20', kind: 'percent', percent: '20', price: '', buy: '2', get: '1', tiers: [{ spend: '', off: '' }],
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
  it('groups by state', () => {
    expect(['running', 'not_started', 'outside_hours', 'other_weekday', 'ended'].map(stateGroup)).toEqual(['running', 'scheduled', 'scheduled', 'scheduled', 'ended']);
  });
});
