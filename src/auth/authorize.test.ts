import { MlflowError } from '../errors';
import { authorize } from './authorize';
import { modelAllowed, parseModelPatterns } from './model-pattern';
import type { Principal } from './principal';

const token = (scope: Principal['scope'], models: string[] = []): Principal => ({
  tokenId: '1',
  scope,
  models,
});

function denied(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).errorCode).toBe('PERMISSION_DENIED');
    return (err as MlflowError).message;
  }
}

describe('authorize', () => {
  it('orders scopes read < write < admin', () => {
    expect(denied(() => authorize(token('read'), { scope: 'write' }))).toMatch(/scope 'write'/);
    expect(denied(() => authorize(token('write'), { scope: 'admin' }))).toMatch(/scope 'admin'/);
    expect(denied(() => authorize(token('admin'), { scope: 'write' }))).toBeUndefined();
    expect(denied(() => authorize(token('write'), { scope: 'read' }))).toBeUndefined();
  });

  it('refuses a restricted token writes that name no model (deny by default)', () => {
    expect(denied(() => authorize(token('write', ['churn-*']), { scope: 'write' }))).toMatch(
      /restricted to models/,
    );
    expect(denied(() => authorize(token('write', ['churn-*']), { scope: 'write', models: [] }))).toMatch(
      /restricted/,
    );
  });

  it('allows a restricted token reads that name no model', () => {
    expect(denied(() => authorize(token('read', ['churn-*']), { scope: 'read' }))).toBeUndefined();
  });

  it('checks every named model', () => {
    const churn = token('write', ['churn-*']);
    expect(
      denied(() => authorize(churn, { scope: 'write', models: ['churn-a', 'churn-b'] })),
    ).toBeUndefined();
    expect(denied(() => authorize(churn, { scope: 'write', models: ['churn-a', 'fraud'] }))).toMatch(
      /'fraud'/,
    );
  });
});

describe('model patterns', () => {
  it.each([
    ['churn-*', 'churn-', true],
    ['churn-*', 'churn-eu/x', true],
    ['churn-*', 'Churn-eu', false],
    ['churn-*', 'xchurn-eu', false],
    ['churn-?', 'churn-1', true],
    ['churn-?', 'churn-12', false],
    ['a.b', 'axb', false],
    ['a+b(c)', 'a+b(c)', true],
    ['*', 'anything', true],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(modelAllowed([pattern], name)).toBe(expected);
  });

  it('treats an empty list as unrestricted', () => {
    expect(modelAllowed([], 'x')).toBe(true);
  });

  it.each([[''], ['a/b'], ['a:b'], ['a\u0000b'], ['x'.repeat(257)], [42]])(
    'refuses the pattern %j',
    (pattern) => {
      expect(() => parseModelPatterns([pattern])).toThrow(MlflowError);
    },
  );
});
