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
  /**
   * Epoch ms to stamp events with instead of now: `semreg import-gto` replays git-tag history with its
   * original timestamps (header `X-Semreg-Replay-Time`). Backdating history is an admin's act, so the
   * header counts only for admin tokens (or with AUTH off).
   */
  replayTime?: number;
}

const storage = new AsyncLocalStorage<EventContext>();

export function currentEventContext(): EventContext {
  return storage.getStore() ?? {};
}

/** Runs `work` with `context` as the event context: what a command without a request uses (import-mlflow). */
export function runWithEventContext<T>(context: EventContext, work: () => Promise<T>): Promise<T> {
  return storage.run(context, work);
}

// Same rule as the ci_job_id columns: printable ASCII without spaces, at most 256 characters.
const CI_JOB_ID = /^[\x21-\x7e]{1,256}$/;

export const REPLAY_TIME_HEADER = 'x-semreg-replay-time';

function replayTimeOf(req: Request): number | undefined {
  const raw = req.headers[REPLAY_TIME_HEADER];
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return undefined;
  if (req.principal && req.principal.scope !== 'admin') return undefined;
  return Number(raw);
}

/** The auth middleware (AUTH=on) has set `req.principal` by the time this runs. */
export function eventContextMiddleware(req: Request, _res: Response, next: NextFunction): void {
  const header = req.headers['x-ci-job-id'];
  const ciJobId = typeof header === 'string' && CI_JOB_ID.test(header) ? header : undefined;
  storage.run({ actor: req.principal?.tokenId, ciJobId, replayTime: replayTimeOf(req) }, () => next());
}
