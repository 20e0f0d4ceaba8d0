import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

/**
 * Who is making the current change, so `recordEvent` can stamp every event with its actor (token id) and CI
 * job without each registry service threading them through its arguments. The middleware is mounted after
 * body parsing (body-parser's stream callbacks would otherwise run outside the stored context).
 */
export interface EventContext {
  /** Token id of the caller, when authentication identified one. */
  actor?: string;
  ciJobId?: string;
}

const storage = new AsyncLocalStorage<EventContext>();

export function currentEventContext(): EventContext {
  return storage.getStore() ?? {};
}

/** Runs `fn` with an explicit context (the CLI importer, tests, background jobs). */
export function withEventContext<T>(context: EventContext, fn: () => T): T {
  return storage.run(context, fn);
}

// Same rule as the ci_job_id columns: printable ASCII without spaces, at most 256 characters.
const CI_JOB_ID = /^[\x21-\x7e]{1,256}$/;


/** The auth middleware (AUTH=on) has set `req.principal` by the time this runs. */
export function eventContextMiddleware(req: Request, _res: Response, next: NextFunction): void {
  const header = req.headers['x-ci-job-id'];
  const ciJobId = typeof header === 'string' && CI_JOB_ID.test(header) ? header : undefined;
  storage.run({ actor: req.principal?.tokenId, ciJobId }, () => next());
}
