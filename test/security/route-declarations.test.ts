import { declarationOf, RouteAccess } from '../../src/http/access';
import { createTestApp, TestApp } from '../helpers/test-app';

/**
 * Issue 17 item 5: authorization is visible in one place. Every route of the app — endpoint-table routes and
 * raw routes alike — must declare the resource it touches as its first handler, so a route added without a
 * declaration fails here instead of becoming a way around model restrictions.
 */
interface FoundRoute {
  methods: string[];
  path: string;
  access: RouteAccess | undefined;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean>; stack: Array<{ handle: unknown }> };
  handle?: { stack?: Layer[] };
}

function routesOf(stack: Layer[]): FoundRoute[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      return [
        {
          methods: Object.keys(layer.route.methods),
          path: layer.route.path,
          access: declarationOf(layer.route.stack[0]?.handle),
        },
      ];
    }
    return layer.handle?.stack ? routesOf(layer.handle.stack) : [];
  });
}

let t: TestApp;
let routes: FoundRoute[];
beforeAll(async () => {
  t = await createTestApp();
  routes = routesOf((t.app as unknown as { router: { stack: Layer[] } }).router.stack);
});
afterAll(() => t.close());

it('finds every route of the app', () => {
  // 73 endpoint-table routes under two prefixes each are one router mounted twice; raw routes add ~25.
  expect(routes.length).toBeGreaterThan(100);
  expect(routes.map((r) => r.path)).toEqual(
    expect.arrayContaining([
      '/registered-models/delete',
      '/artifacts/*path',
      '/api/packages/:model/:semver/*path',
      '/downloads/:name/:version/*path',
      '/model-versions/get-artifact',
      '/health',
    ]),
  );
});

it('has a declaration first on every route', () => {
  const undeclared = routes.filter((r) => r.access === undefined).map((r) => `${r.methods} ${r.path}`);
  expect(undeclared).toEqual([]);
});

it('declares what each sensitive route touches', () => {
  const kindOf = (method: string, path: string) =>
    routes.find((r) => r.methods.includes(method) && r.path === path)?.access;
  expect(kindOf('delete', '/registered-models/delete')?.resource).toEqual({
    kind: 'model',
    fields: ['name'],
  });
  expect(kindOf('post', '/registered-models/rename')?.resource).toEqual({
    kind: 'model',
    fields: ['name', 'new_name'],
  });
  expect(kindOf('get', '/events')?.resource.kind).toBe('filtered');
  expect(kindOf('get', '/models/:name/at')?.resource).toEqual({ kind: 'model', fields: ['name'] });
  expect(kindOf('get', '/artifacts/*path')?.resource.kind).toBe('storage');
  expect(kindOf('delete', '/artifacts/*path')?.scope).toBe('admin');
  expect(kindOf('delete', '/api/packages/:model/:semver')).toEqual({
    resource: { kind: 'model', fields: ['model'] },
    scope: 'admin',
  });
  expect(kindOf('post', '/tokens')?.resource.kind).toBe('admin');
  expect(kindOf('get', '/downloads/:name/:version/*path')?.resource.kind).toBe('open');
  // Only the liveness and readiness probes, signed links and the files of the web UIs (semreg's and MLflow's:
  // their data comes from the API with the user's token, like a login page) take no token.
  const open = routes.filter((r) => r.access?.resource.kind === 'open').map((r) => String(r.path));
  expect(open.sort()).toEqual([
    '/,/ui,/^\\/ui\\/(?!assets\\/).*/',
    '/downloads/:name/:version/*path',
    '/health',
    '/mlflow',
    '/mlflow/',
    '/mlflow/static-files/*path',
    '/ready',
    '/ui/assets/:file',
  ]);
});
