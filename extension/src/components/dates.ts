import type { TranslationBundle } from '@jupyterlab/translation';

/**
 * A moment from the API (ISO 8601) as the whole UI shows it: in the user's
 * locale, with its time zone: the browser's, or `timeZone` (an IANA name, such
 * as a schedule's own, where the zone tells apart the two 01:30s of the night
 * clocks go back); `''` for none, the text itself if it is not a date.
 */
export function formatTime(iso: string | null, timeZone?: string): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  try {
    return date.toLocaleString(undefined, { timeZone, timeZoneName: 'short' });
  } catch {
    // A zone this browser does not know: the browser's own, still with its name.
    return date.toLocaleString(undefined, { timeZoneName: 'short' });
  }
}

/**
 * When a scheduled moment falls, as its schedule reads it: in the schedule's
 * own zone (`06:00 CET` for `0 6 * * *` in Europe/Paris), followed by the
 * browser's time when its clock reads otherwise (`(00:00 EST here)`), so the
 * job page, the Jobs section and the dashboard say what the form's preview and
 * `nbtools schedule show` say.
 */
export function formatScheduled(
  iso: string | null,
  timeZone: string,
  trans: TranslationBundle
): string {
  const there = formatTime(iso, timeZone);
  if (!iso || !there) {
    return there;
  }
  const date = new Date(iso);
  let same: boolean;
  try {
    same = date.toLocaleString(undefined, { timeZone }) === date.toLocaleString();
  } catch {
    return there; // a zone this browser does not know: formatTime used its own
  }
  return same ? there : trans.__('%1 (%2 here)', there, formatTime(iso));
}
