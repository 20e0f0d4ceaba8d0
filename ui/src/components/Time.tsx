import { formatAge, formatTime } from '../lib/format';

/** A moment as "3 min ago" with the exact UTC time on hover and for screen readers. */
export function Time({ ms }: { ms: number | undefined | null }) {
  if (ms === undefined || ms === null) return <span class="muted">—</span>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={formatTime(ms)}>
      {formatAge(ms)}
    </time>
  );
}
