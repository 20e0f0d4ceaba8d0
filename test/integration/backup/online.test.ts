import { runSemreg } from '../../helpers/cli';
import { makeDataDir, ServerProcess, startServer } from '../../helpers/server-process';
import { Api, newBackupDir, SERVER_ENV, sha256, startRegistry } from './support';

/**
 * A backup taken while clients keep writing is still one consistent instant: versions without gaps, one
 * creation event per version, and every file holding the bytes its database row describes — even a file
 * overwritten again and again while the backup copies (it is copied again under a short row lock).
 */
jest.setTimeout(240_000);

const mv = '/api/2.0/mlflow';
const HOT_FILE = '0/hot-run/artifacts/state.json';

describe('semreg backup of a server that is serving writes', () => {
  let source: ServerProcess;
  let restored: ServerProcess;
  const written = new Set<string>();

  afterAll(async () => {
    await restored?.stop();
    await source?.stop();
  });

  it('restores to one consistent instant', async () => {
    source = await startRegistry();
    const api = new Api(source.url);
    await api.ok('POST', `${mv}/registered-models/create`, { name: 'busy' });
    // Enough files that copying them takes a while, so the writers below overlap the copy.
    for (let i = 0; i < 150; i += 1)
      await api.put(
        `/api/2.0/mlflow-artifacts/artifacts/0/bulk/artifacts/f${i}.bin`,
        `file ${i}`.repeat(2000),
      );

    let writing = true;
    const writers = [
      (async () => {
        while (writing)
          await api.ok('POST', `${mv}/model-versions/create`, { name: 'busy', source: 's3://x/y' });
      })(),
      (async () => {
        for (let i = 0; writing; i += 1) {
          const body = JSON.stringify({ i, pad: 'x'.repeat(5000) });
          written.add(sha256(body));
          await api.put(`/api/2.0/mlflow-artifacts/artifacts/${HOT_FILE}`, body);
        }
      })(),
    ];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const backupDir = newBackupDir();
    const backup = await runSemreg(['backup', backupDir], { DATA_DIR: source.dataDir });
    writing = false;
    await Promise.all(writers);
    expect(backup.stderr).not.toMatch(/semreg:/);
    expect(backup.code).toBe(0);

    const dataDir = makeDataDir('semreg-restored-');
    const restore = await runSemreg(['restore', backupDir], { DATA_DIR: dataDir });
    expect(restore.code).toBe(0);
    restored = await startServer({ dataDir, env: SERVER_ENV });
    const copy = new Api(restored.url);

    const { model_versions: versions } = await copy.ok(
      'GET',
      `${mv}/model-versions/search?filter=${encodeURIComponent("name='busy'")}&max_results=10000`,
    );
    const numbers = versions
      .map((v: { version: string }) => Number(v.version))
      .sort((a: number, b: number) => a - b);
    expect(numbers.length).toBeGreaterThan(0);
    expect(numbers).toEqual(numbers.map((_: number, i: number) => i + 1));
    const { events } = await copy.ok('GET', '/api/events?model=busy&type=version.created&max_results=1000');
    expect(events).toHaveLength(numbers.length);
    // The next version continues the counter the snapshot held.
    const next = await copy.ok('POST', `${mv}/model-versions/create`, { name: 'busy', source: 's3://x/y' });
    expect(Number(next.model_version.version)).toBe(numbers.length + 1);

    const res = await fetch(`${restored.url}/api/2.0/mlflow-artifacts/artifacts/${HOT_FILE}`, {
      headers: { Authorization: `Bearer ${copy.token}` },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(written.has(sha256(bytes))).toBe(true);
    expect(res.headers.get('x-checksum-sha256')).toBe(sha256(bytes));
  });
});
