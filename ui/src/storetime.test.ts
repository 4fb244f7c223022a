import { describe, expect, it } from 'vitest';
import { storeDate, storeTime } from './storetime';

describe('store time', () => {
  // 2026-12-06 23:30 UTC is already 12-07 07:30 in a store at +08:00.
  const ms = Date.UTC(2026, 11, 6, 23, 30, 5);
  it('dates by the store, not by UTC or the browser', () => {
    expect(storeDate(ms, 480)).toBe('2026-12-07');
    expect(storeDate(ms, 0)).toBe('2026-12-06');
    expect(storeDate(ms, -300)).toBe('2026-12-06');
  });
  it('shows the time alone on the store\'s today, with the date otherwise', () => {
    expect(storeTime(ms, 480, 'en', ms)).toBe('07:30:05');
    expect(storeTime(ms - 86_400_000, 480, 'en', ms)).toBe('Dec 6 07:30:05');
    expect(storeTime(ms, 480, 'zh-CN', ms + 3_600_000)).toBe('07:30:05');
  });
});
