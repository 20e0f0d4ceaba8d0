import v8 from 'node:v8';

/**
 * Lets V8's old generation grow to three times what survived the last full collection before it starts the
 * next one, instead of the about 2× it picks itself for a heap as small as semreg's (25 MB live).
 *
 * Why: V8 counts the Buffer memory allocated since the last full collection against that limit. A streaming
 * upload into the S3 store allocates about 2 GiB of short-lived Buffers per GiB (the socket's chunks and
 * `@aws-sdk/lib-storage`'s new 5 MiB buffer for every part), so with the default a full marking started
 * every 10–20 MB streamed: about 100 mark-compacts per GiB, 3.5 of the process's 8 CPU seconds. With 3×:
 * about 13 per GiB and 4.5 CPU seconds, with the same peak of Buffer memory (bench/README.md, "bench:storage").
 * The flag is read at every collection, so setting it once at start-up is enough.
 */
const HEAP_GROWING_PERCENT = 200;

export function tuneGarbageCollection(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
