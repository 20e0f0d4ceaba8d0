import type http from 'node:http';
import { StartupFailure } from './startup-failure';

function explainListenError(err: NodeJS.ErrnoException, port: number, host: string, setting: string): Error {
  const cause = { cause: err };
  switch (err.code) {
    case 'EADDRINUSE':
      return new StartupFailure(
        `port ${port} on ${host} is already in use (another semreg or another program): stop it, or set ${setting} to a free port`,
        cause,
      );
    case 'EACCES':
      return new StartupFailure(
        `this user may not listen on port ${port} (ports below 1024 need privileges): set ${setting} to 1024 or above`,
        cause,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartupFailure(
        `HOST ${host} is not an address of this machine: set HOST to one of its addresses`,
        cause,
      );
    default:
      return err;
  }
}

/** `server.listen` as a promise whose failure names the setting to change (`PORT` or `METRICS_PORT`). */
export function listen(server: http.Server, port: number, host: string, setting = 'PORT'): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => reject(explainListenError(err, port, host, setting));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}
