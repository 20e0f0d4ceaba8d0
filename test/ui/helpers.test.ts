import { describeEvent } from '../../ui/src/lib/events';
import { safeHttpUrl } from '../../ui/src/lib/links';
import { formatAge, formatBytes, formatTime, shortSha } from '../../ui/src/lib/format';
import { alignSeries, metricNumber } from '../../ui/src/lib/metric-series';
import { modelFilter } from '../../ui/src/lib/model-filter';
import { parseCsvRows, prettyJson, previewKind } from '../../ui/src/lib/preview';
import { href, matchRoute } from '../../ui/src/lib/routes';
import { bySemverDescending, compareSemver, highestRelease, parseSemver } from '../../ui/src/lib/semver';

/** The UI's pure helpers (ui/src/lib), without a browser. */
describe('ui/src/lib/semver', () => {
  it('orders by semver.org §11 precedence, the spec’s own example list', () => {
    const spec = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    const shuffled = [...spec].reverse().map((semver, i) => ({ version: String(i + 1), semver }));
    expect(bySemverDescending(shuffled).map((v) => v.semver)).toEqual([...spec].reverse());
  });

  it('compares major, minor and patch numerically, not as text', () => {
    expect(compareSemver(parseSemver('1.10.0')!, parseSemver('1.9.0')!)).toBeGreaterThan(0);
    expect(compareSemver(parseSemver('2.0.0')!, parseSemver('10.0.0')!)).toBeLessThan(0);
    expect(compareSemver(parseSemver('1.0.0+build.1')!, parseSemver('1.0.0+build.2')!)).toBe(0);
  });

  it('puts versions without a valid semver last, by integer version', () => {
    const sorted = bySemverDescending([
      { version: '1', semver: undefined },
      { version: '3', semver: 'not-a-semver' },
      { version: '2', semver: '0.1.0' },
    ]);
    expect(sorted.map((v) => v.version)).toEqual(['2', '3', '1']);
  });

  it('finds the highest release, skipping prereleases', () => {
    const versions = [
      { version: '1', semver: '1.0.0' },
      { version: '2', semver: '2.0.0-rc.1' },
      { version: '3', semver: '1.4.0' },
    ];
    expect(highestRelease(versions)?.semver).toBe('1.4.0');
    expect(highestRelease([{ version: '1', semver: '1.0.0-rc.1' }])).toBeUndefined();
  });
});

describe('ui/src/lib/format', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [50 * 1024 * 1024, '50 MiB'],
    [undefined, '—'],
  ])('formatBytes(%p) = %p', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it('formats times as UTC and ages relative to now', () => {
    expect(formatTime(Date.UTC(2026, 11, 4, 9, 48, 30))).toBe('2026-12-04 09:48:30 UTC');
    const now = Date.UTC(2026, 0, 10);
    expect(formatAge(now - 5000, now)).toBe('5 s ago');
    expect(formatAge(now - 3 * 60000, now)).toBe('3 min ago');
    expect(formatAge(now - 5 * 3600000, now)).toBe('5 h ago');
    expect(formatAge(now - 3 * 86400000, now)).toBe('3 d ago');
    expect(shortSha('a'.repeat(64))).toBe('a'.repeat(12));
  });
});

describe('ui/src/lib/preview', () => {
  it.each([
    ['MLmodel', 'yaml'],
    ['model/conda.yaml', 'yaml'],
    ['metrics.JSON', 'json'],
    ['data/sample.csv', 'csv'],
    ['plot.png', 'image'],
    ['requirements.txt', 'text'],
    ['model.pkl', 'none'],
  ])('previews %s as %s', (path, kind) => expect(previewKind(path)).toBe(kind));

  it('reads CSV with RFC 4180 quoting and stops after the first rows', () => {
    expect(parseCsvRows('a,b\n1,"x, ""y"""\r\n2,"multi\nline"\n')).toEqual([
      ['a', 'b'],
      ['1', 'x, "y"'],
      ['2', 'multi\nline'],
    ]);
    expect(parseCsvRows('h\n1\n2\n3\n', 2)).toEqual([['h'], ['1']]);
    expect(parseCsvRows('a\tb\n1\t2', 10, '\t')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('pretty-prints JSON and leaves anything else as it is', () => {
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson('{"a":')).toBe('{"a":');
  });
});

describe('ui/src/lib/model-filter', () => {
  it('passes the filter grammar through and turns plain words into a name match', () => {
    expect(modelFilter("tags.team = 'fraud'")).toBe("tags.team = 'fraud'");
    expect(modelFilter("name LIKE 'churn-%'")).toBe("name LIKE 'churn-%'");
    expect(modelFilter('tags.owner IS NULL')).toBe('tags.owner IS NULL');
    expect(modelFilter(' churn ')).toBe("name ILIKE '%churn%'");
    expect(modelFilter("o'neil")).toBe("name ILIKE '%o''neil%'");
    expect(modelFilter('  ')).toBeUndefined();
  });
});

describe('ui/src/lib/routes', () => {
  it.each([
    ['/', { page: 'models' }],
    ['/ui/models', { page: 'models' }],
    ['/ui/models/churn', { page: 'model', name: 'churn' }],
    ['/ui/models/a%2Fb/versions/3', { page: 'version', name: 'a/b', version: '3' }],
    ['/ui/models/churn/history', { page: 'history', name: 'churn' }],
    ['/ui/experiments/7', { page: 'experiment', experimentId: '7' }],
    ['/ui/runs/abc', { page: 'run', runId: 'abc' }],
    ['/ui/ci/jobs/42', { page: 'ciJob', jobId: '42' }],
    ['/ui/tokens', { page: 'tokens' }],
    ['/ui/models/churn/versions/3/extra', { page: 'notFound', path: '/ui/models/churn/versions/3/extra' }],
    ['/ui/models/%E0%A4%A', { page: 'notFound', path: '/ui/models/%E0%A4%A' }],
  ])('matches %s', (path, route) => expect(matchRoute(path)).toEqual(route));

  it('builds links that match back to the same page', () => {
    expect(matchRoute(href.version('team/churn v2', '12'))).toEqual({
      page: 'version',
      name: 'team/churn v2',
      version: '12',
    });
  });
});

describe('ui/src/lib/metric-series', () => {
  it('aligns several metrics on one sorted x axis with gaps as null', () => {
    const { keys, data } = alignSeries(
      {
        loss: [
          { value: 0.9, timestamp: 1000, step: 0 },
          { value: 0.5, timestamp: 3000, step: 2 },
        ],
        accuracy: [
          { value: 'NaN', timestamp: 2000, step: 1 },
          { value: 0.7, timestamp: 3000, step: 2 },
        ],
      },
      'step',
    );
    expect(keys).toEqual(['accuracy', 'loss']);
    expect(data).toEqual([
      [0, 1, 2],
      [null, null, 0.7],
      [0.9, null, 0.5],
    ]);
    expect(alignSeries({ m: [{ value: 1, timestamp: 2500, step: 0 }] }, 'time').data[0]).toEqual([2.5]);
    expect(metricNumber('Infinity')).toBeNull();
  });
});

describe('ui/src/lib/events', () => {
  it('describes lifecycle events in one sentence', () => {
    expect(
      describeEvent({
        type: 'stage.transitioned',
        version: '3',
        semver: '1.1.0',
        stage: 'Production',
        before: { stage: 'None' },
      }),
    ).toBe('v3 (1.1.0) moved from None to Production');
    expect(
      describeEvent({ type: 'alias.set', version: '2', alias: 'champion', before: { version: '1' } }),
    ).toBe('@champion → v2 (was v1)');
    expect(describeEvent({ type: 'something.new', version: '1' })).toBe('something.new v1');
  });
});

describe('ui/src/lib/links', () => {
  it('renders only http(s) URLs from tags as links', () => {
    expect(safeHttpUrl('https://ci.example.com/jobs/1')).toBe('https://ci.example.com/jobs/1');
    expect(safeHttpUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeHttpUrl(' https://x')).toBeUndefined();
    expect(safeHttpUrl(undefined)).toBeUndefined();
  });
});
