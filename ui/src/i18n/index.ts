import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export type Locale = 'zh-CN' | 'en';
export const catalogs: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
export type { MessageKey };

/** A message with `{name}` placeholders filled in. */
export function translate(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = catalogs[locale][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/** A category's display name; categories not in the catalogs show as imported. */
export function categoryName(locale: Locale, category: string): string {
  const key = `cat.${category}` as MessageKey;
  return key in en ? translate(locale, key) : category;
}

/**
 * Minor units as the locale writes them: ¥12.50, -¥3.00, ¥1,234.00. Integer arithmetic
 * only (no amount is ever a float); `exponent` is the currency's decimals.
 */
export function formatMoney(minor: number, locale: Locale, symbol = '¥', exponent = 2): string {
  const negative = minor < 0;
  const digits = String(Math.abs(Math.trunc(minor))).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const frac = digits.slice(digits.length - exponent);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, locale === 'zh-CN' || locale === 'en' ? ',' : ' ');
  return `${negative ? '-' : ''}${symbol}${grouped}${exponent ? '.' + frac : ''}`;
}

/** `12.5`, `12.50`, `¥12.50` or `12` to minor units; null when it is not an amount. */
export function parseMoney(text: string, exponent = 2): number | null {
  const m = text.trim().replace(/^¥/, '').match(/^(\d{1,9})(?:\.(\d*))?$/);
  if (!m) return null;
  const frac = (m[2] ?? '').padEnd(exponent, '0');
  if (frac.length > exponent) return null;
  return Number(m[1]) * 10 ** exponent + Number(frac || '0');
}

/** `0.532` kg to 532 grams; null when it is not a weight. */
export function parseKg(text: string): number | null {
  const m = text.trim().match(/^(\d{1,3})(?:\.(\d{0,3}))?$/);
  if (!m) return null;
  const grams = Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0'));
  return grams > 0 ? grams : null;
}
