/**
 * Every page of the UI is a URL someone can share; this module is the one list of them. The server answers
 * `/` and `/ui/…` with index.html (src/http/ui.ts), and `matchRoute` decides the page from the path.
 */
export type Route =
  | { page: 'models' }
  | { page: 'model'; name: string }
  | { page: 'version'; name: string; version: string }
  | { page: 'history'; name: string }
  | { page: 'experiments' }
  | { page: 'experiment'; experimentId: string }
  | { page: 'run'; runId: string }
  | { page: 'ciJob'; jobId: string }
  | { page: 'tokens' }
  | { page: 'notFound'; path: string };

const enc = encodeURIComponent;

export const href = {
  models: () => '/ui/models',
  model: (name: string) => `/ui/models/${enc(name)}`,
  version: (name: string, version: string) => `/ui/models/${enc(name)}/versions/${enc(version)}`,
  history: (name: string) => `/ui/models/${enc(name)}/history`,
  experiments: () => '/ui/experiments',
  experiment: (id: string) => `/ui/experiments/${enc(id)}`,
  run: (id: string) => `/ui/runs/${enc(id)}`,
  ciJob: (id: string) => `/ui/ci/jobs/${enc(id)}`,
  tokens: () => '/ui/tokens',
};

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export function matchRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '/ui' || pathname === '/ui/' || pathname === '/ui/models')
    return { page: 'models' };
  const parts = pathname
    .replace(/^\/ui\//, '')
    .split('/')
    .map(decode);
  const notFound: Route = { page: 'notFound', path: pathname };
  if (!pathname.startsWith('/ui/') || parts.some((part) => part === undefined)) return notFound;
  const [a, b, c, d, ...rest] = parts as string[];
  if (rest.length > 0) return notFound;
  if (a === 'models' && b && c === undefined) return { page: 'model', name: b };
  if (a === 'models' && b && c === 'history' && d === undefined) return { page: 'history', name: b };
  if (a === 'models' && b && c === 'versions' && d) return { page: 'version', name: b, version: d };
  if (a === 'experiments' && b === undefined) return { page: 'experiments' };
  if (a === 'experiments' && b && c === undefined) return { page: 'experiment', experimentId: b };
  if (a === 'runs' && b && c === undefined) return { page: 'run', runId: b };
  if (a === 'ci' && b === 'jobs' && c && d === undefined) return { page: 'ciJob', jobId: c };
  if (a === 'tokens' && b === undefined) return { page: 'tokens' };
  return notFound;
}
