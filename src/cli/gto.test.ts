import { modelNameFor, parseGtoTag } from './gto';

describe('parseGtoTag (GTO tag grammar)', () => {
  it.each([
    ['churn@v1.2.3', { kind: 'register', artifact: 'churn', version: '1.2.3' }],
    ['churn@v1.2.3-rc.1+b5', { kind: 'register', artifact: 'churn', version: '1.2.3-rc.1+b5' }],
    ['churn@v1.2.3!', { kind: 'deregister', artifact: 'churn', version: '1.2.3' }],
    ['churn@v1.2.3!#4', { kind: 'deregister', artifact: 'churn', version: '1.2.3' }],
    ['churn#prod#3', { kind: 'assign', artifact: 'churn', stage: 'prod' }],
    ['churn#prod!#4', { kind: 'unassign', artifact: 'churn', stage: 'prod' }],
    ['churn#prod', { kind: 'assign', artifact: 'churn', stage: 'prod' }],
    ['churn@deprecated', { kind: 'deprecate', artifact: 'churn' }],
    ['churn@deprecated#5', { kind: 'deprecate', artifact: 'churn' }],
    ['models=churn@v0.1.0', { kind: 'register', artifact: 'models=churn', version: '0.1.0' }],
  ])('%s', (tag, expected) => {
    expect(parseGtoTag(tag)).toEqual(expected);
  });

  it.each(['v1.0.0', 'churn@1.2.3', 'churn@v1.2', 'Churn@v1.0.0', 'churn#', 'churn@created', 'release-2024'])(
    'ignores %s',
    (tag) => {
      expect(parseGtoTag(tag)).toBeUndefined();
    },
  );

  it('maps GTO artifact names to registered-model names', () => {
    expect(modelNameFor('models=churn')).toBe('churn');
    expect(modelNameFor('team/churn')).toBe('team-churn');
  });
});
