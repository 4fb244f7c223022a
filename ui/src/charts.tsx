// Charts drawn as inline SVG, with no dependencies: columns over time (`ColumnChart`),
// horizontal bars with shares (`BarChart`) and a ranked table (`RankTable`). Values are
// integers (money in minor units, counts); the pure math (axis ticks, shares that add up
// to 100, filled time axes, labels) is exported and tested in charts.test.ts. Only the
// drawing uses fractions: pixel positions, never amounts.
//
// Every chart is a <figure> with a caption, an SVG with role="img" and an aria-label that
// reads its values out, and one mark per value carrying `data-key` and `data-value` (and
// `data-share` for bars), so a test reads the numbers the chart was drawn from.
import type { ComponentChildren } from 'preact';

/** One value of a chart: its key (`09`, `2026-12-07`, `card`), what it is called, and the value. */
export interface Datum { key: string; label: string; value: number }

/** An axis: from `lo` to `hi` (multiples of `step`, 0 included) and the ticks on it. */
export interface Scale { lo: number; hi: number; step: number; ticks: number[] }

/**
 * The tick step for about `count` ticks over `range`: 1, 2 or 5 times a power of ten,
 * an integer and at least `minStep` (1 minor unit, one sale), so every tick is exact.
 */
export function niceStep(range: number, count = 4, minStep = 1): number {
  if (!(range > 0)) return minStep;
  const raw = range / count;
  let power = 1;
  while (power * 10 <= raw) power *= 10;
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw) return Math.max(minStep, m * power);
  }
  return Math.max(minStep, 10 * power);
}

/** The axis covering 0 and every value, with about `count` steps. */
export function scale(values: number[], count = 4, minStep = 1): Scale {
  const min = Math.min(0, ...values);
  const max = Math.max(0, ...values);
  const step = niceStep(max - min, count, minStep);
  const lo = Math.floor(min / step) * step;
  const hi = Math.max(Math.ceil(max / step) * step, lo + step);
  const ticks: number[] = [];
  for (let v = lo; v <= hi; v += step) ticks.push(v);
  return { lo, hi, step, ticks };
}

/**
 * Each value's share of the positive total, in whole units of `whole` (percent by default),
 * by the largest remainder method: the shares add up to exactly `whole` (0 when nothing is
 * positive). Negative values get 0. Integer arithmetic only; ties go to the earlier value.
 */
export function shares(values: number[], whole = 100): number[] {
  const parts = values.map((v) => Math.max(0, Math.trunc(v)));
  const sum = parts.reduce((a, b) => a + b, 0);
  if (sum === 0) return parts.map(() => 0);
  const floors = parts.map((p) => Math.floor((p * whole) / sum));
  const remainders = parts.map((p) => (p * whole) % sum);
  let left = whole - floors.reduce((a, b) => a + b, 0);
  const order = parts.map((_, i) => i).sort((a, b) => remainders[b] - remainders[a] || a - b);
  for (const i of order) {
    if (left === 0) break;
    floors[i] += 1;
    left -= 1;
  }
  return floors;
}

/** `09` as `09:00`. */
export const hourLabel = (hour: string) => `${hour.padStart(2, '0')}:00`;

/** `2026-12-07` as `12-07`, for an axis; a key that is not a date stays as it is. */
export const shortDate = (date: string) => (/^\d{4}-\d{2}-\d{2}$/.test(date) ? date.slice(5) : date);

/** The day `n` days after `date` (`YYYY-MM-DD`, a calendar date with no time zone). */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, inclusive (none when `to` is before `from`). */
export function dayRange(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to && days.length < 3700; d = addDays(d, 1)) days.push(d);
  return days;
}

/** The values of `keys` in order, 0 where `values` has none: a time axis with no gaps. */
export function fill(keys: string[], values: Map<string, number>, label: (key: string) => string): Datum[] {
  return keys.map((key) => ({ key, label: label(key), value: values.get(key) ?? 0 }));
}

/** The 24 hours of a day, `00` to `23`. */
export const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));

/** Label every how many columns so that at most `most` labels fit. */
export const labelEvery = (n: number, most: number) => Math.max(1, Math.ceil(n / Math.max(1, most)));

/** A weight in grams as `0.532`, a count as itself. */
export function quantityText(qty: number, unit: string | null | undefined): string {
  if (unit !== 'kg') return String(qty);
  const sign = qty < 0 ? '-' : '';
  const grams = Math.abs(Math.trunc(qty));
  return `${sign}${Math.floor(grams / 1000)}.${String(grams % 1000).padStart(3, '0')}`;
}

/** The text a screen reader reads for a chart: its title and every value. */
export const describe = (title: string, data: Datum[], format: (v: number) => string) =>
  `${title}: ${data.map((d) => `${d.label} ${format(d.value)}`).join(', ')}`;

interface ChartProps {
  title: string;
  data: Datum[];
  /** How a value is written (money for amounts). */
  format: (value: number) => string;
  testid: string;
  /** Next to the title, e.g. an export button. */
  actions?: ComponentChildren;
  /** Text when every value is 0. */
  empty?: string;
}

function Frame({ title, testid, actions, total, children }: { title: string; testid: string; actions?: ComponentChildren; total: number; children: ComponentChildren }) {
  return (
    <figure class="chart" data-testid={testid} data-total={total}>
      <figcaption class="chart-head"><h2>{title}</h2>{actions}</figcaption>
      {children}
    </figure>
  );
}

const W = 560;
const FONT = 14;

/** Columns, one per value, over an axis with money (or counts) ticks. Negative values go below 0. */
export function ColumnChart({ title, data, format, testid, actions, empty, height = 190 }: ChartProps & { height?: number }) {
  const total = data.reduce((a, d) => a + d.value, 0);
  const s = scale(data.map((d) => d.value));
  const left = 8 + Math.max(...s.ticks.map((v) => format(v).length)) * FONT * 0.6;
  const top = 10;
  const bottom = height - 24;
  const plot = W - left - 4;
  const y = (v: number) => top + ((s.hi - v) / (s.hi - s.lo)) * (bottom - top);
  const slot = plot / Math.max(1, data.length);
  const every = labelEvery(data.length, Math.floor(plot / (FONT * 3.6)));
  const none = data.every((d) => d.value === 0);
  return (
    <Frame title={title} testid={testid} actions={actions} total={total}>
      {none && empty ? <p class="muted">{empty}</p> : (
        <svg class="chart-svg" viewBox={`0 0 ${W} ${height}`} role="img" aria-label={describe(title, data.filter((d) => d.value !== 0), format)}>
          <title>{title}</title>
          {s.ticks.map((v) => (
            <g class={v === 0 ? 'axis zero' : 'axis'}>
              <line x1={left} x2={W - 4} y1={y(v)} y2={y(v)} />
              <text x={left - 6} y={y(v) + FONT / 3} text-anchor="end" font-size={FONT}>{format(v)}</text>
            </g>
          ))}
          {data.map((d, i) => {
            const x = left + i * slot;
            const y0 = y(0);
            const y1 = y(d.value);
            return (
              <g>
                <rect class={d.value < 0 ? 'mark negative' : 'mark'} data-key={d.key} data-value={d.value}
                  x={x + slot * 0.15} width={Math.max(1, slot * 0.7)} y={Math.min(y0, y1)} height={Math.max(d.value === 0 ? 0 : 1, Math.abs(y1 - y0))}>
                  <title>{`${d.label}: ${format(d.value)}`}</title>
                </rect>
                {i % every === 0 && <text class="tick" x={x + slot / 2} y={height - 6} text-anchor="middle" font-size={FONT}>{d.label}</text>}
              </g>
            );
          })}
        </svg>
      )}
    </Frame>
  );
}

/** Horizontal bars, largest first as given, each with its value and its share of the total. */
export function BarChart({ title, data, format, testid, actions, empty }: ChartProps) {
  const total = data.reduce((a, d) => a + d.value, 0);
  const pct = shares(data.map((d) => d.value));
  const row = 36;
  const height = Math.max(1, data.length) * row;
  const labelWidth = 150;
  const valueWidth = 170;
  const plot = W - labelWidth - valueWidth;
  const max = Math.max(1, ...data.map((d) => d.value));
  const none = data.every((d) => d.value === 0);
  return (
    <Frame title={title} testid={testid} actions={actions} total={total}>
      {none && empty ? <p class="muted">{empty}</p> : (
        <svg class="chart-svg" viewBox={`0 0 ${W} ${height}`} role="img"
          aria-label={`${title}: ${data.map((d, i) => `${d.label} ${format(d.value)} (${pct[i]}%)`).join(', ')}`}>
          <title>{title}</title>
          {data.map((d, i) => {
            const yMid = i * row + row / 2;
            const width = d.value > 0 ? Math.max(2, (d.value / max) * plot) : 0;
            return (
              <g>
                <text x={0} y={yMid + FONT / 3} font-size={FONT + 1}>{d.label}</text>
                <rect class={d.value < 0 ? 'mark negative' : 'mark'} data-key={d.key} data-value={d.value} data-share={pct[i]}
                  x={labelWidth} y={yMid - 10} width={width} height={20} rx={4}>
                  <title>{`${d.label}: ${format(d.value)} (${pct[i]}%)`}</title>
                </rect>
                <text x={W} y={yMid + FONT / 3} text-anchor="end" font-size={FONT + 1} class="value">
                  {format(d.value)}<tspan class="share" dx={8}>{`${pct[i]}%`}</tspan>
                </text>
              </g>
            );
          })}
        </svg>
      )}
    </Frame>
  );
}

/** One row of a ranking: a name, a quantity and an amount. */
export interface RankRow { key: string; name: string; qty: string; value: number }

/** A ranked table (top sellers): rank, name, quantity and amount. */
export function RankTable({ title, rows, format, testid, actions, empty, head }: {
  title: string; rows: RankRow[]; format: (value: number) => string; testid: string; actions?: ComponentChildren; empty?: string;
  head: { rank: string; name: string; qty: string; amount: string };
}) {
  return (
    <Frame title={title} testid={testid} actions={actions} total={rows.reduce((a, r) => a + r.value, 0)}>
      {rows.length === 0 && empty ? <p class="muted">{empty}</p> : (
        <table class="table rank" aria-label={title}>
          <thead><tr><th class="num">{head.rank}</th><th>{head.name}</th><th class="num">{head.qty}</th><th class="num">{head.amount}</th></tr></thead>
          <tbody>
            {rows.map((r, i) => (
              <tr data-key={r.key} data-value={r.value}>
                <td class="num">{i + 1}</td><td class="name">{r.name}</td><td class="num qty">{r.qty}</td><td class="num amount">{format(r.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Frame>
  );
}
