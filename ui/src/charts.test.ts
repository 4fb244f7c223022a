import { describe, expect, it } from 'vitest';
import { addDays, dayRange, describe as describeChart, fill, hourLabel, HOURS, labelEvery, niceStep, quantityText, scale, shares, shortDate } from './charts';
import { periodDates } from './office/reports';

describe('scale', () => {
  it('steps are 1, 2 or 5 times a power of ten, whole minor units', () => {
    const cases: [number, number][] = [[0, 1], [3, 1], [10, 5], [2141, 1000], [3305, 1000], [874, 500], [99_999, 50_000], [1_234_567, 500_000]];
    expect(cases.map(([range]) => niceStep(range))).toEqual(cases.map(([, step]) => step));
    expect(niceStep(3, 4, 100)).toBe(100);
  });
  it('covers 0 and every value with exact ticks', () => {
    expect(scale([2141, 874, 640])).toEqual({ lo: 0, hi: 3000, step: 1000, ticks: [0, 1000, 2000, 3000] });
    expect(scale([0, 0])).toEqual({ lo: 0, hi: 1, step: 1, ticks: [0, 1] });
    expect(scale([-350, 2141])).toEqual({ lo: -1000, hi: 3000, step: 1000, ticks: [-1000, 0, 1000, 2000, 3000] });
    expect(scale([-350])).toEqual({ lo: -400, hi: 0, step: 100, ticks: [-400, -300, -200, -100, 0] });
    for (const values of [[1], [7, 3], [123_456, 7], [-5, 5]]) {
      const s = scale(values);
      expect(s.ticks.every(Number.isInteger)).toBe(true);
      expect(s.lo <= Math.min(...values) && s.hi >= Math.max(...values)).toBe(true);
    }
  });
});

describe('shares', () => {
  it('add up to 100 by the largest remainder', () => {
    expect(shares([1, 1, 1])).toEqual([34, 33, 33]);
    expect(shares([2655, 300, 200, 150])).toEqual([80, 9, 6, 5]);
    expect(shares([1, 2])).toEqual([33, 67]);
    expect(shares([5, 0])).toEqual([100, 0]);
  });
  it('gives negatives and an empty total 0', () => {
    expect(shares([300, -350, 100])).toEqual([75, 0, 25]);
    expect(shares([0, 0])).toEqual([0, 0]);
    expect(shares([-1])).toEqual([0]);
    expect(shares([])).toEqual([]);
  });
  it('always sums to the whole', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 200; n++) {
      const values = Array.from({ length: 1 + (next() % 9) }, () => next() % 100_000);
      const s = shares(values, n % 2 ? 100 : 1000);
      if (values.some((v) => v > 0)) expect(s.reduce((a, b) => a + b, 0)).toBe(n % 2 ? 100 : 1000);
      expect(s.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    }
  });
});

describe('labels and axes', () => {
  it('formats hours, dates and quantities', () => {
    expect([hourLabel('09'), hourLabel('7'), shortDate('2026-12-07'), shortDate('2026-W49')]).toEqual(['09:00', '07:00', '12-07', '2026-W49']);
    expect([quantityText(4, 'each'), quantityText(532, 'kg'), quantityText(1282, 'kg'), quantityText(-750, 'kg'), quantityText(3, null)]).toEqual(['4', '0.532', '1.282', '-0.750', '3']);
    expect(describeChart('Payment mix', [{ key: 'card', label: 'Card', value: 300 }], (v) => `¥${v / 100}`)).toBe('Payment mix: Card ¥3');
  });
  it('fills a time axis without gaps', () => {
    expect(HOURS.length).toBe(24);
    expect(dayRange('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(dayRange('2026-03-02', '2026-03-01')).toEqual([]);
    expect([addDays('2024-02-28', 1), addDays('2026-01-01', -1)]).toEqual(['2024-02-29', '2025-12-31']);
    expect(fill(['09', '10', '11'], new Map([['10', 874]]), hourLabel).map((d) => [d.label, d.value])).toEqual([['09:00', 0], ['10:00', 874], ['11:00', 0]]);
    expect([labelEvery(24, 12), labelEvery(30, 12), labelEvery(7, 12), labelEvery(5, 0)]).toEqual([2, 3, 1, 5]);
  });
  it('counts periods back from the store\'s today', () => {
    expect(periodDates('today', '2026-12-07')).toEqual({ from: '2026-12-07', to: '2026-12-07' });
    expect(periodDates('last7', '2026-12-07')).toEqual({ from: '2026-12-01', to: '2026-12-07' });
    expect(periodDates('last30', '2026-03-01')).toEqual({ from: '2026-01-31', to: '2026-03-01' });
  });
});
