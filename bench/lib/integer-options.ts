/**
 * Commander hands every option over as a string, and every benchmark option is a count or a size: turn them
 * into numbers and refuse anything but a positive integer before a long run starts on a typo.
 */
export function positiveIntegerOptions<K extends string>(raw: Record<K, string>): Record<K, number> {
  const options = Object.fromEntries(Object.entries<string>(raw).map(([k, v]) => [k, Number(v)])) as Record<
    K,
    number
  >;
  for (const [key, value] of Object.entries<number>(options)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${key} must be a positive integer`);
  }
  return options;
}
