import { compareInt64, parseDouble, parseInt64, parseMaxResults } from './values';
import { validateKey } from './validation';
import { checkClientArtifactLocation } from './artifact-location';

describe('parseDouble', () => {
  it.each([
    ['NaN', NaN],
    ['nan', NaN],
    ['Infinity', Infinity],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
    ['-inf', -Infinity],
    [0.25, 0.25],
  ])('reads %j', (input, expected) => {
    expect(parseDouble(input, 'value')).toBe(expected);
  });

  it.each(['1.5', 'abc', true, null, {}])('refuses %j', (input) => {
    expect(() => parseDouble(input, 'value')).toThrow(
      expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }),
    );
  });
});

describe('parseInt64', () => {
  it('keeps safe integers as numbers and larger ones as exact decimal strings', () => {
    expect(parseInt64('42', 'step')).toBe(42);
    expect(parseInt64(42, 'step')).toBe(42);
    expect(parseInt64('9007199254740993', 'step')).toBe('9007199254740993');
    expect(parseInt64('-9223372036854775808', 'step')).toBe('-9223372036854775808');
  });

  it.each([1.5, '1.5', '9223372036854775808', '', 'x', '0x10'])('refuses %j', (input) => {
    expect(() => parseInt64(input, 'step')).toThrow(
      expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }),
    );
  });

  it('enforces a minimum', () => {
    expect(() => parseInt64(-1, 'timestamp', { min: 0n })).toThrow(/out of range/);
  });

  it('compares mixed representations exactly', () => {
    expect(compareInt64('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareInt64(3, '3')).toBe(0);
  });
});

describe('parseMaxResults', () => {
  it('uses the fallback when absent and refuses values past the cap', () => {
    expect(parseMaxResults(undefined, { fallback: 1000, max: 50000 })).toBe(1000);
    expect(parseMaxResults('25', { fallback: 1000, max: 50000 })).toBe(25);
    expect(() => parseMaxResults(50001, { fallback: 1000, max: 50000 })).toThrow(/between 1 and 50000/);
    expect(() => parseMaxResults('ten', { fallback: 1000, max: 50000 })).toThrow(/integer/);
  });
});

describe('validateKey', () => {
  it.each(['a', 'a/b', 'mlflow.runName', 'with space', 'c:d', 'x-y_z'])('accepts %j', (key) => {
    expect(validateKey(key, 'tag')).toBe(key);
  });
  it.each(['/a', 'a/', 'a//b', './a', 'a/./b', '..', 'a/../b', 'a\\b', 'a$b', 'x'.repeat(251)])(
    'refuses %j',
    (key) => {
      expect(() => validateKey(key, 'tag')).toThrow(
        expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }),
      );
    },
  );
});

describe('checkClientArtifactLocation', () => {
  it.each([undefined, '', 'mlflow-artifacts:/5', 'mlflow-artifacts:/a/b'])(
    'accepts (and the caller ignores) %j',
    (location) => {
      expect(() => checkClientArtifactLocation(location)).not.toThrow();
    },
  );
  it.each([
    'file:///x',
    '/abs',
    'rel',
    's3://b',
    'mlflow-artifacts:/a/%2e%2e/b',
    'mlflow-artifacts:/a%00',
    'mlflow-artifacts:/a?x=1',
    'mlflow-artifacts:/a\\b',
  ])('refuses %j', (location) => {
    expect(() => checkClientArtifactLocation(location)).toThrow(
      expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }),
    );
  });
});
