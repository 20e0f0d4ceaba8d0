import { invalidParameter } from '../errors';

/**
 * An instant given in a query: epoch milliseconds (digits) or ISO 8601 with a zone (semreg-api.md:
 * "ISO 8601 (UTC, Z) or epoch ms accepted in queries"). A zone-less ISO string would depend on the server's
 * time zone, so it is refused.
 */
export function parseInstant(value: string | number, name: string): number {
  if (typeof value === 'number' || /^\d{1,15}$/.test(value)) {
    const ms = Number(value);
    if (Number.isSafeInteger(ms) && ms >= 0) return ms;
  } else if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw invalidParameter(
    `Invalid value '${String(value).slice(0, 100)}' for parameter '${name}': use epoch milliseconds or ISO 8601 with a zone (2025-01-31T12:00:00Z).`,
  );
}
