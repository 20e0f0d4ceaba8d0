/** Display formats shared by every page: one place, so a table never shows two styles of date or size. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number | undefined | null): string {
  if (bytes === undefined || bytes === null || !Number.isFinite(bytes)) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** `2026-12-04 09:48:30 UTC`: absolute and unambiguous, so two people reading one page agree on the moment. */
export function formatTime(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `3 min ago`, `2 d ago`; the absolute time goes in the element's title. */
export function formatAge(ms: number | undefined | null, now = Date.now()): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

export function shortSha(sha: string | undefined | null, length = 12): string {
  return sha ? sha.slice(0, length) : '—';
}

/** The value of a `datetime-local` input (local time, no zone) as epoch ms, or undefined when empty or invalid. */
export function parseLocalDateTime(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** Epoch ms as a `datetime-local` value in the browser's zone, to the second. */
export function toLocalDateTime(ms: number): string {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return date.toISOString().slice(0, 19);
}
