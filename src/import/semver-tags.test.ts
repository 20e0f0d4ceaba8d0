import { semverProblem, withoutSemver } from './semver-tags';

describe('the semver a source version asks for', () => {
  it('is taken as it is when valid, from semver or gitlab.version', () => {
    expect(semverProblem([{ key: 'semver', value: '1.2.3' }])).toBeUndefined();
    expect(semverProblem([{ key: 'gitlab.version', value: '1.2.3-rc.1' }])).toBeUndefined();
    expect(semverProblem([{ key: 'other', value: 'x' }])).toBeUndefined();
  });

  it('is a conflict when invalid or when the two tags disagree', () => {
    expect(semverProblem([{ key: 'semver', value: 'v1.2' }])).toMatch(/Invalid semantic version 'v1.2'/);
    expect(
      semverProblem([
        { key: 'semver', value: '1.0.0' },
        { key: 'gitlab.version', value: '2.0.0' },
      ]),
    ).toBe('different semvers in its tags (1.0.0, 2.0.0)');
  });

  it('is replaced by a record of the source values when it cannot be kept', () => {
    expect(
      withoutSemver([
        { key: 'semver', value: 'v1' },
        { key: 'a', value: 'b' },
      ]),
    ).toEqual([
      { key: 'a', value: 'b' },
      { key: 'semreg.import.semver', value: 'semver=v1' },
    ]);
  });
});
