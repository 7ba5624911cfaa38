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
