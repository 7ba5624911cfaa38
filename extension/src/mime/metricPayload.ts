/**
 * The payload of a metric output written by `nbtools.record()` (see
 * nbtools/metrics/values.py): reading it defensively and formatting its value.
 */

/** The MIME type of metric outputs, as `METRIC_MIME` in the Python package. */
export const METRIC_MIME = 'application/vnd.nbtools.metric+json';

/** A metric as the card shows it. */
export interface IMetric {
  name: string;
  value: unknown;
  unit: string | null;
}

/**
 * The metric in `payload`, or null when the payload is not of a known shape
 * (a name string and a value; the unit is a string, null or absent).
 */
export function readMetric(payload: unknown): IMetric | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return null;
  }
  const { name, value, unit } = payload as Record<string, unknown>;
  if (typeof name !== 'string' || name === '' || value === undefined) {
    return null;
  }
  if (unit !== undefined && unit !== null && typeof unit !== 'string') {
    return null;
  }
  return { name, value, unit: unit ? unit : null };
}

/** How a value is shown: `number`, `text`, `json` or `empty` (null). */
export type ValueKind = 'number' | 'text' | 'json' | 'empty';

/** The kind of a metric value, which picks its display and style. */
export function valueKind(value: unknown): ValueKind {
  if (value === null) {
    return 'empty';
  }
  if (typeof value === 'number') {
    return 'number';
  }
  if (typeof value === 'string' || typeof value === 'boolean') {
    return 'text';
  }
  return 'json';
}

/**
 * A short form of a number: integers with digit grouping, fractions with up
 * to four significant decimals, and very large or small magnitudes in
 * scientific notation.
 */
export function formatNumber(value: number): string {
  const size = Math.abs(value);
  if (!Number.isFinite(value)) {
    return String(value);
  }
  if (size !== 0 && (size >= 1e15 || size < 1e-4)) {
    return value.toExponential(3).replace(/\.?0+e/, 'e');
  }
  if (Number.isInteger(value)) {
    return value.toLocaleString();
  }
  if (size < 1) {
    return value.toLocaleString(undefined, { maximumSignificantDigits: 4 });
  }
  return value.toLocaleString(undefined, { maximumFractionDigits: 4 });
}

/** The text shown for a metric value of any kind. */
export function formatValue(value: unknown): string {
  switch (valueKind(value)) {
    case 'number':
      return formatNumber(value as number);
    case 'text':
      return String(value);
    case 'empty':
      return 'no value';
    default:
      return JSON.stringify(value);
  }
}
