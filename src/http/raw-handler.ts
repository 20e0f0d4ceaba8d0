import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../app-context';
import { invalidParameter } from '../errors';

/**
 * Handlers for routes that stream bodies or responses themselves (artifact proxy, UI downloads) and so sit
 * outside the JSON endpoint table. Express 5 passes a rejected handler's error to the error middleware,
 * which also deals with a body the handler did not read (`drainOrClose` in middleware/errors.ts).
 */
export type RawHandler = (req: Request, res: Response, app: AppContext) => Promise<void>;

export function rawRoute(app: AppContext, handler: RawHandler): RequestHandler {
  return (req: Request, res: Response) => handler(req, res, app);
}

/** One query value as a string; a repeated key is refused rather than silently picking one. */
export function queryString(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`Parameter '${name}' must be given once.`);
  return value;
}

/** Express 5 hands a `*path` wildcard over as separately decoded segments: join them before any validation. */
export function wildcardPath(req: Request, name = 'path'): string {
  const segments = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(segments) ? segments.join('/') : (segments ?? '');
}
