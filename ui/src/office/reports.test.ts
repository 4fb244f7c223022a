import { describe, expect, it } from 'vitest';
import { bpText, conversionColumns } from './reports';

describe('bpText', () => {
  it('writes basis points as a percentage with two decimals, and none as a dash', () => {
    expect([6667, 3333, 0, 10_000, 17_500, 5, -250].map(bpText)).toEqual(['66.67%', '33.33%', '0.00%', '100.00%', '175.00%', '0.05%', '-2.50%']);
    expect(bpText(null)).toBe('-');
    expect(bpText(undefined)).toBe('-');
  });
});

describe('conversionColumns', () => {
  const row = (key: string, entries: number, tickets: number, rate_bp: number | null) => ({ key, entries, tickets, rate_bp });
  it('spans the first to the last hour with entries or sales, gaps and hours without entries at 0', () => {
    const conversion = {
      has_entries: true,
      hours: [row('09', 3, 2, 6667), row('12', 1, 0, 0), row('13', 0, 1, null)],
      days: [row('2026-11-27', 4, 3, 7500)],
      total: row('total', 4, 3, 7500),
    };
    expect(conversionColumns(conversion)).toEqual([
      { key: '09', label: '09:00', value: 6667 },
      { key: '10', label: '10:00', value: 0 },
      { key: '11', label: '11:00', value: 0 },
      { key: '12', label: '12:00', value: 0 },
      { key: '13', label: '13:00', value: 0 },
    ]);
  });
  it('is empty without entries or sales', () => {
    expect(conversionColumns({ has_entries: false, hours: [], days: [], total: row('total', 0, 0, null) })).toEqual([]);
  });
});
