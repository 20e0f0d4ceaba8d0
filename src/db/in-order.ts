/**
 * Runs lazy knex queries one after another and returns their results like Promise.all. Inside a
 * transaction every query shares one connection, and `pg` deprecates issuing a query while another is
 * running on the same client (it will throw in pg 9), so a view built inside a transaction must not use
 * Promise.all. knex builders only start when awaited, which is what makes this work.
 */
export async function inOrder<T extends readonly unknown[]>(queries: {
  readonly [K in keyof T]: PromiseLike<T[K]>;
}): Promise<T> {
  const results: unknown[] = [];
  for (const query of queries as readonly PromiseLike<unknown>[]) results.push(await query);
  return results as unknown as T;
}
