import { describe, expect, it } from 'vitest';
import { affordable, bpTimes, programForm, redeemLines, programFromForm, rateText, rateToBp, rulesForm, rulesFromForm, timesToBp, yuanText } from './settings';

const program = {
  tiers: [
    { id: 'normal', name_zh: '普通会员', name_en: 'Member', min_spend: 0, points_bp: 10_000 },
    { id: 'silver', name_zh: '银卡', name_en: 'Silver', min_spend: 200_000, points_bp: 12_000 },
  ],
  points_per_yuan: 1,
  birthday_points_bp: 20_000,
  referral_points: 100,
  rewards: [{ sku: 'DRK-1', points: 300 }],
};

describe('yuan, multipliers and rates', () => {
  it('writes minor units as yuan and reads them back exactly', () => {
    expect([0, 200_000, 150, 5, 1_999_999, -250].map(yuanText)).toEqual(['0', '2000', '1.5', '0.05', '19999.99', '-2.5']);
  });
  it('reads a multiplier as basis points with no float rounding', () => {
    expect(['1.2', '×1.5', 'x2', '1', '0.1', '1.0001', '2.3', '4.35'].map(timesToBp)).toEqual([12_000, 15_000, 20_000, 10_000, 1_000, 10_001, 23_000, 43_500]);
    expect(['', '1.23456', '-1', 'abc', '1e2', '1,2'].map(timesToBp)).toEqual([null, null, null, null, null, null]);
    expect([12_000, 10_000, 12_345, 500, 0].map(bpTimes)).toEqual(['1.2', '1', '1.2345', '0.05', '0']);
  });
  it('reads a rate in percent as basis points', () => {
    expect(['1.5', '3 %', '0', '0.05', '100', '120', '4.35'].map(rateToBp)).toEqual([150, 300, 0, 5, 10_000, 12_000, 435]);
    expect(['', '1.234', '-1', 'x'].map(rateToBp)).toEqual([null, null, null, null]);
    expect([150, 300, 0, 5, 10_000].map(rateText)).toEqual(['1.5', '3', '0', '0.05', '100']);
  });
});

describe('the member program form', () => {
  it('round-trips the program', () => {
    expect(programFromForm(programForm(program))).toEqual({ program });
  });
  it('takes the silver tier at ¥1,500.50 and ×1.25', () => {
    const f = programForm(program);
    f.tiers[1] = { ...f.tiers[1], spend: '1500.50', times: '1.25' };
    const out = programFromForm(f);
    expect('program' in out && out.program.tiers[1]).toMatchObject({ min_spend: 150_050, points_bp: 12_500 });
  });
  it('names the field it cannot send', () => {
    const f = programForm(program);
    expect(programFromForm({ ...f, tiers: [] })).toEqual({ problem: { field: 'tiers' } });
    expect(programFromForm({ ...f, tiers: [f.tiers[0], { ...f.tiers[1], spend: '2000.001' }] })).toEqual({ problem: { field: 'spend', row: 1 } });
    expect(programFromForm({ ...f, tiers: [{ ...f.tiers[0], id: ' ' }] })).toEqual({ problem: { field: 'id', row: 0 } });
    expect(programFromForm({ ...f, birthday: 'two' })).toEqual({ problem: { field: 'birthday' } });
    expect(programFromForm({ ...f, referral_points: '1.5' })).toEqual({ problem: { field: 'referral' } });
    expect(programFromForm({ ...f, rewards: [{ sku: ' ', points: '10' }] })).toEqual({ problem: { field: 'rewardSku', row: 0 } });
    expect(programFromForm({ ...f, rewards: [{ sku: 'DRK-1', points: '0' }] })).toEqual({ problem: { field: 'rewardPoints', row: 0 } });
    expect(programFromForm({ ...f, rewards: [{ sku: 'DRK-1', points: '10' }, { sku: 'DRK-1 ', points: '20' }] })).toEqual({ problem: { field: 'rewardTwice', row: 1 } });
  });
  it('reads a program stored before rewards as one with none', () => {
    const { rewards: _, ...old } = program;
    expect(programForm(old).rewards).toEqual([]);
  });
});

describe('redeeming points', () => {
  const rewards = [{ sku: 'DRK-1', points: 300 }, { sku: 'SNK-1', points: 150 }, { sku: 'TEA-1', points: 2000 }];
  it('lists what the member can afford, cheapest first, with the most pieces', () => {
    expect(affordable(rewards, 700)).toEqual([{ sku: 'SNK-1', points: 150, most: 4 }, { sku: 'DRK-1', points: 300, most: 2 }]);
    expect(affordable(rewards, 149)).toEqual([]);
  });
  it('sends the pieces typed and adds up their points', () => {
    expect(redeemLines(rewards, { 'DRK-1': '2', 'SNK-1': ' ', 'TEA-1': '0' })).toEqual({ lines: [{ sku: 'DRK-1', qty: 2 }], points: 600 });
    expect(redeemLines(rewards, { 'DRK-1': '1.5' })).toBeNull();
    expect(redeemLines(rewards, {})).toEqual({ lines: [], points: 0 });
  });
});

describe('the commission rules form', () => {
  it('round-trips the rules', () => {
    const rules = { default_bp: 150, by_category: { instant: 300, snacks: 5 } };
    expect(rulesForm(rules)).toEqual({ default_rate: '1.5', rows: [{ category: 'instant', rate: '3' }, { category: 'snacks', rate: '0.05' }] });
    expect(rulesFromForm(rulesForm(rules))).toEqual({ rules });
  });
  it('names the row it cannot send', () => {
    expect(rulesFromForm({ default_rate: 'one', rows: [] })).toEqual({ problem: -1 });
    expect(rulesFromForm({ default_rate: '1', rows: [{ category: 'a', rate: '1' }, { category: 'a', rate: '2' }] })).toEqual({ problem: 1 });
    expect(rulesFromForm({ default_rate: '1', rows: [{ category: '', rate: '1' }] })).toEqual({ problem: 0 });
  });
});
