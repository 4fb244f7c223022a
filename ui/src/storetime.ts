// Dates and times as the store keeps them: in the store's zone (its UTC offset, from
// GET /api/health), which need not be the zone of the device the screen runs on.

/** The store's local date at `ms`, `YYYY-MM-DD`. */
export function storeDate(ms: number, offsetMin: number): string {
  return new Date(ms + offsetMin * 60_000).toISOString().slice(0, 10);
}

/** A moment in the store's zone: the time alone on the store's today, with the date on
 *  other days. */
export function storeTime(ms: number, offsetMin: number, locale: string, nowMs = Date.now()): string {
  const shifted = new Date(ms + offsetMin * 60_000);
  const time = shifted.toLocaleTimeString(locale, { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  if (storeDate(ms, offsetMin) === storeDate(nowMs, offsetMin)) return time;
  return shifted.toLocaleDateString(locale, { timeZone: 'UTC', month: 'short', day: 'numeric' }) + ' ' + time;
}
