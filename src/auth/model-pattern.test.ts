import { matchesModelPattern, modelAllowed, modelPatternLike } from './model-pattern';

/**
 * Model patterns of restricted tokens (issue 17 item 5): `*` is any run of characters (empty included), `?`
 * exactly one code point, every other character stands for itself; the whole, case-sensitive name must
 * match. The matcher must stay linear on adversarial patterns, and the SQL form must mean the same.
 */

/** A plain recursive matcher over code points: slow but obviously right, for small inputs only. */
function reference(pattern: string[], name: string[]): boolean {
  if (pattern.length === 0) return name.length === 0;
  const [head, ...rest] = pattern;
  if (head === '*') return reference(rest, name) || (name.length > 0 && reference(pattern, name.slice(1)));
  if (name.length === 0) return false;
  return (head === '?' || head === name[0]) && reference(rest, name.slice(1));
}

describe('matchesModelPattern', () => {
  describe('without wildcards, the whole name compares exactly', () => {
    it.each([
      ['churn', 'churn', true],
      ['churn', 'churn-eu', false],
      ['churn', 'xchurn', false],
      ['churn', 'Churn', false],
      ['churn', 'chur', false],
      ['churn', '', false],
    ])('%j against %j → %s', (pattern, name, expected) => {
      expect(matchesModelPattern(pattern, name)).toBe(expected);
    });
  });

  describe('* matches any run of characters, the empty run included', () => {
    it.each([
      ['*', '', true],
      ['*', 'anything at all', true],
      ['churn-*', 'churn-', true],
      ['churn-*', 'churn-eu-west', true],
      ['churn-*', 'churn', false],
      ['*-prod', 'fraud-prod', true],
      ['*-prod', '-prod', true],
      ['*-prod', 'fraud-prod-2', false],
      ['a*b*c', 'abc', true],
      ['a*b*c', 'a-x-b-y-c', true],
      ['a*b*c', 'acb', false],
      ['a*b*c', 'abcx', false],
      ['**', 'x', true],
      ['a**b', 'ab', true],
      ['*a*', 'bbb', false],
      ['*ab', 'aab', true],
      ['*aab', 'aaab', true],
    ])('%j against %j → %s', (pattern, name, expected) => {
      expect(matchesModelPattern(pattern, name)).toBe(expected);
    });
  });

  describe('? matches exactly one character', () => {
    it.each([
      ['v?', 'v1', true],
      ['v?', 'v', false],
      ['v?', 'v12', false],
      ['??', 'ab', true],
      ['?*', '', false],
      ['?*', 'x', true],
      ['*?', 'x', true],
      ['a?c', 'a/c', true],
    ])('%j against %j → %s', (pattern, name, expected) => {
      expect(matchesModelPattern(pattern, name)).toBe(expected);
    });
  });

  describe('compares code points, not UTF-16 units', () => {
    it.each([
      ['caf?', 'café', true],
      ['caf?', 'cafe\u0301', false], // e + combining acute accent: two code points
      ['m-?', 'm-🚀', true],
      ['m-??', 'm-🚀', false],
      ['m-?-x', 'm-🚀-x', true],
      ['*🚀', 'launch-🚀', true],
      ['é*', 'été', true],
      ['e*', 'été', false],
      ['模型-?', '模型-一', true],
    ])('%j against %j → %s', (pattern, name, expected) => {
      expect(matchesModelPattern(pattern, name)).toBe(expected);
    });
  });

  describe("takes %, _, \\ and . literally (they are LIKE's or a regex's metacharacters, not ours)", () => {
    it.each([
      ['a%b', 'a%b', true],
      ['a%b', 'axb', false],
      ['a%b', 'ab', false],
      ['a_b', 'a_b', true],
      ['a_b', 'axb', false],
      ['a\\b', 'a\\b', true],
      ['a\\b', 'ab', false],
      ['a\\*', 'a\\xyz', true],
      ['a.b', 'a.b', true],
      ['a.b', 'axb', false],
      ['v1.*', 'v1.2', true],
      ['v1.*', 'v102', false],
      ['100%-*', '100%-sure', true],
      ['100%-*', '1000-sure', false],
    ])('%j against %j → %s', (pattern, name, expected) => {
      expect(matchesModelPattern(pattern, name)).toBe(expected);
    });
  });

  describe('stays linear on adversarial patterns (jest’s timeout is the bound)', () => {
    const a256 = 'a'.repeat(256);

    it('*a*a*a*a*a*a*b against 256 a’s → no match', () => {
      expect(matchesModelPattern('*a*a*a*a*a*a*b', a256)).toBe(false);
    });

    it('*a*a*a*a*a*a*b against 255 a’s then b → match', () => {
      expect(matchesModelPattern('*a*a*a*a*a*a*b', `${'a'.repeat(255)}b`)).toBe(true);
    });

    it('a long *a*a…*b (120 stars) against 256 a’s → no match', () => {
      expect(matchesModelPattern(`${'*a'.repeat(120)}*b`, a256)).toBe(false);
    });

    it('30 stars against a 256-character name → match', () => {
      expect(matchesModelPattern('*'.repeat(30), a256)).toBe(true);
    });

    it('30 stars then b against 256 a’s → no match; then a → match', () => {
      expect(matchesModelPattern(`${'*'.repeat(30)}b`, a256)).toBe(false);
      expect(matchesModelPattern(`${'*'.repeat(30)}a`, a256)).toBe(true);
    });

    it('30 stars between 30 a’s against 256 a’s → match', () => {
      expect(matchesModelPattern('*a'.repeat(30), a256)).toBe(true);
    });
  });

  it('agrees with a naive recursive matcher on every small pattern and name', () => {
    const alphabet = ['a', 'b', '*', '?'];
    const patterns: string[] = [''];
    for (let length = 1; length <= 4; length += 1) {
      for (const prefix of patterns.filter((p) => p.length === length - 1))
        for (const char of alphabet) patterns.push(prefix + char);
    }
    const names: string[] = [''];
    for (let length = 1; length <= 5; length += 1) {
      for (const prefix of names.filter((n) => n.length === length - 1))
        for (const char of ['a', 'b']) names.push(prefix + char);
    }
    const disagreements: string[] = [];
    for (const pattern of patterns) {
      for (const name of names) {
        const expected = reference(Array.from(pattern), Array.from(name));
        if (matchesModelPattern(pattern, name) !== expected)
          disagreements.push(`${JSON.stringify(pattern)} ~ ${JSON.stringify(name)} should be ${expected}`);
      }
    }
    expect(patterns.length).toBeGreaterThan(300);
    expect(disagreements).toEqual([]);
  });
});

describe('modelAllowed', () => {
  it('allows every name when the token carries no pattern (not restricted)', () => {
    expect(modelAllowed([], 'fraud-detector')).toBe(true);
    expect(modelAllowed([], '')).toBe(true);
  });

  it('allows a name that matches any one of the patterns', () => {
    const patterns = ['churn-*', 'fraud-v?', 'exact'];
    expect(modelAllowed(patterns, 'churn-eu')).toBe(true);
    expect(modelAllowed(patterns, 'fraud-v2')).toBe(true);
    expect(modelAllowed(patterns, 'exact')).toBe(true);
  });

  it('refuses a name that matches none of them', () => {
    const patterns = ['churn-*', 'fraud-v?', 'exact'];
    expect(modelAllowed(patterns, 'fraud-v10')).toBe(false);
    expect(modelAllowed(patterns, 'exactly')).toBe(false);
    expect(modelAllowed(patterns, 'Churn-eu')).toBe(false);
    expect(modelAllowed(patterns, 'fraud-%')).toBe(false);
    expect(modelAllowed(['churn_*'], 'churnX1')).toBe(false);
  });

  it('applies the code-point and literal rules of matchesModelPattern', () => {
    expect(modelAllowed(['m-?'], 'm-🚀')).toBe(true);
    expect(modelAllowed(['a%'], 'abc')).toBe(false);
    expect(modelAllowed(['a%'], 'a%')).toBe(true);
  });

  it('answers an adversarial pattern list over a long name', () => {
    const patterns = ['*a*a*a*a*a*a*b', '*'.repeat(30).concat('c'), '?'.repeat(255)];
    expect(modelAllowed(patterns, 'a'.repeat(256))).toBe(false);
    expect(modelAllowed(patterns, 'a'.repeat(255))).toBe(true);
  });
});

describe('modelPatternLike (the same pattern for PostgreSQL LIKE … ESCAPE \\)', () => {
  it.each([
    ['churn-*', 'churn-%'],
    ['fraud-v?', 'fraud-v_'],
    ['*', '%'],
    ['?', '_'],
    ['a%b', 'a\\%b'],
    ['a_b', 'a\\_b'],
    ['a\\b', 'a\\\\b'],
    ['%%', '\\%\\%'],
    ['__', '\\_\\_'],
    ['\\\\', '\\\\\\\\'],
    ['*%?_\\', '%\\%_\\_\\\\'],
    ['a.b', 'a.b'],
    ['café-?', 'café-_'],
    ['m-🚀*', 'm-🚀%'],
    ['', ''],
  ])('%j → %j', (pattern, like) => {
    expect(modelPatternLike(pattern)).toBe(like);
  });
});
