import { describe, expect, it } from 'vitest';
import { WedgeRule, type WedgeEvent } from './wedge';

const feed = (rule: WedgeRule, text: string, start: number, gap: number) => {
  const out: WedgeEvent[] = [];
  [...text].forEach((c, i) => {
    const e = rule.key(c, start + i * gap);
    if (e) out.push(e);
  });
  return out;
};

// The same cases as hardware/src/scanner.rs `wedge_scans_are_fast_typing_is_not`.
describe('WedgeRule (port of hardware WedgeRule)', () => {
  it('takes fast keys ending with Enter as a scan', () => {
    expect(feed(new WedgeRule(), '6901234567892\n', 1000, 8)).toEqual([{ scan: '6901234567892' }]);
  });
  it('leaves slow typing to the field', () => {
    const events = feed(new WedgeRule(), '1234\n', 5000, 150);
    expect(events.every((e) => 'typed' in e)).toBe(true);
    expect(events.map((e) => ('typed' in e ? e.typed : '')).join('')).toBe('1234\n');
  });
  it('needs at least four characters', () => {
    expect(feed(new WedgeRule(), '123\n', 0, 5)).toEqual([{ typed: '123\n' }]);
  });
  it('a scan right after typing is still a scan', () => {
    const rule = new WedgeRule();
    expect(rule.key('x', 0)).toBeNull();
    const events = feed(rule, '6901234567892\n', 500, 10);
    expect(events).toEqual([{ typed: 'x' }, { scan: '6901234567892' }]);
  });
  it('a gap of exactly 35 ms still belongs to the scan, 36 ms does not', () => {
    expect(feed(new WedgeRule(), '12345\n', 0, 35)).toEqual([{ scan: '12345' }]);
    expect(feed(new WedgeRule(), '12345\n', 0, 36).some((e) => 'scan' in e)).toBe(false);
  });
});
