import { describe, expect, it } from 'vitest';
import { moveProblem, perPlace } from './places';

describe('stock per place', () => {
  it('lists every place in order, absent ones as null, negatives kept', () => {
    const stock = { sku: 'DRK-1', qty: 10, reserved: 0, locations: [{ location: 'backroom', qty: 12 }, { location: 'floor', qty: -2 }] };
    expect(perPlace(stock)).toEqual([{ place: 'floor', qty: -2 }, { place: 'backroom', qty: 12 }, { place: 'warehouse', qty: null }]);
  });
  it('shows nothing held before the stock is loaded', () => {
    expect(perPlace(null).map((r) => r.qty)).toEqual([null, null, null]);
  });
  it('ignores places it does not know', () => {
    expect(perPlace({ sku: 'X', qty: 1, reserved: 0, locations: [{ location: 'van', qty: 1 }] }).every((r) => r.qty === null)).toBe(true);
  });
});

describe('a move', () => {
  it('needs two different places and a positive quantity', () => {
    expect(moveProblem('backroom', 'floor', 3)).toBeNull();
    expect(moveProblem('floor', 'floor', 3)).toBe('samePlace');
    expect(moveProblem('backroom', 'floor', 0)).toBe('badQty');
    expect(moveProblem('backroom', 'floor', -1)).toBe('badQty');
    expect(moveProblem('backroom', 'floor', null)).toBe('badQty');
  });
  it('leaves whether the place holds enough to the till service', () => {
    expect(moveProblem('warehouse', 'floor', 1_000_000)).toBeNull();
  });
});
