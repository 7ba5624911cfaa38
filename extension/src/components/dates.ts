/**
 * A moment from the API (ISO 8601) as the whole UI shows it: in the user's
 * locale, with its time zone; `''` for none, the text itself if it is not a date.
 */
export function formatTime(iso: string | null): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { timeZoneName: 'short' });
}
