// Stock per place in the store (库位): the floor sales take from, the backroom goods
// arrive in, and the warehouse.
import type { StockLevel } from '../api/client';

/** The places in the store, in the order the back office shows them. */
export const PLACES = ['floor', 'backroom', 'warehouse'] as const;
export type Place = (typeof PLACES)[number];

/**
 * Every place with what it holds, in `PLACES` order: `null` for a place that never held
 * the SKU (the till service leaves those out), and negative when sales outran restocking.
 */
export function perPlace(stock: StockLevel | null): { place: Place; qty: number | null }[] {
  return PLACES.map((place) => ({ place, qty: stock?.locations.find((l) => l.location === place)?.qty ?? null }));
}

/**
 * Why a move cannot be sent yet, or null when it can: two different places and a
 * positive quantity. Whether the place holds enough is the till service's to say.
 */
export function moveProblem(from: Place, to: Place, qty: number | null): 'samePlace' | 'badQty' | null {
  if (from === to) return 'samePlace';
  if (qty === null || qty <= 0) return 'badQty';
  return null;
}
