import { describe, expect, it } from 'vitest';
import { catalogs, formatMoney, parseKg, parseMoney, translate } from './i18n';

describe('catalogs', () => {
  it('zh-CN and en have the same keys, none empty, same placeholders', () => {
    const en = catalogs.en;
    const zh = catalogs['zh-CN'];
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(en)) {
      expect(v.length, k).toBeGreaterThan(0);
      const zhText = zh[k as keyof typeof zh];
      expect(zhText.length, k).toBeGreaterThan(0);
      const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(holes(zhText), k).toEqual(holes(v));
    }
  });
  it('fills placeholders', () => {
    expect(translate('en', 'sale.items', { n: 3 })).toBe('3 items');
    expect(translate('zh-CN', 'sale.items', { n: 3 })).toBe('3 件');
  });
});

describe('money', () => {
  it('formats minor units per locale with integers only', () => {
    expect(formatMoney(1250, 'zh-CN')).toBe('¥12.50');
    expect(formatMoney(1250, 'en')).toBe('¥12.50');
    expect(formatMoney(5, 'en')).toBe('¥0.05');
    expect(formatMoney(-300, 'en')).toBe('-¥3.00');
    expect(formatMoney(123456789, 'zh-CN')).toBe('¥1,234,567.89');
  });
  it('parses amounts and weights without floats', () => {
    expect(parseMoney('12.5')).toBe(1250);
    expect(parseMoney('¥12.50')).toBe(1250);
    expect(parseMoney('0.07')).toBe(7);
    expect(parseMoney('12.505')).toBeNull();
    expect(parseMoney('abc')).toBeNull();
    expect(parseKg('0.532')).toBe(532);
    expect(parseKg('1.2')).toBe(1200);
    expect(parseKg('0')).toBeNull();
  });
});
