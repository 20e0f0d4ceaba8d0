import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Logger, requestForLog } from '../../log';

/**
 * One log line per request when its answer ends: `request completed` at info, or `request errored` at error
 * for a 5xx, with the request (credentials redacted, no headers), the status and the time in ms; an answer cut
 * off before its end is logged as `request aborted`. `/health` is not logged: probes would drown the rest.
 *
 * Written here rather than with pino-http, which builds two child loggers and a full request object (every
 * header) per request, then lets our serializer drop most of it: about a fifth of the CPU of a registry read
 * at `info` (a profile of get-model-version), for the same line.
 */
export function requestLog(log: Logger): RequestHandler {
  let lastId = 0;
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.url === '/health') {
      next();
      return;
    }
    lastId += 1;
    const id = lastId;
    const started = Date.now();
    // Read now: by the time the answer closes, Node may have let go of the socket (`req.socket` is null after
    // an early answer to an upload the client was still sending).
    const remoteAddress = req.socket?.remoteAddress;
    res.once('close', () => {
      const errored = res.statusCode >= 500;
      if (!log.isLevelEnabled(errored ? 'error' : 'info')) return;
      const line = {
        req: requestForLog({ id, method: req.method, url: req.originalUrl, query: req.query, remoteAddress }),
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
      };
      if (errored) log.error(line, 'request errored');
      else log.info(line, res.writableFinished ? 'request completed' : 'request aborted');
    });
    next();
  };
}
