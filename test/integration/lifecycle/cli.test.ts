import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel, createVersion, putArtifacts, uniqueName } from '../../helpers/mlflow';
import { listen, runSemreg } from '../../helpers/cli';

/** The real `semreg` binary against a listening semreg. */
describe('semreg CLI', () => {
  let t: TestApp;
  let server: { url: string; close(): Promise<void> };
  let env: Record<string, string>;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-cli-'));

  beforeAll(async () => {
    t = await createTestApp({ SIGNING_SECRET: 'cli-secret' });
    server = await listen(t.app);
    env = { SEMREG_URL: server.url };
  });
  afterAll(async () => {
    await server.close();
    await t.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function versionWithFiles(files: Record<string, string>, name?: string): Promise<string> {
    const model = name ?? (await createModel(t, uniqueName('cli')));
    const modelId = `m-${crypto.randomBytes(16).toString('hex')}`;
    await createVersion(t, model, {}, await putArtifacts(t, `0/models/${modelId}/artifacts`, files));
    return model;
  }

  describe('get', () => {
    it('downloads every file of a version by semver, verifies sha256, prints the hashes', async () => {
      const files = {
        MLmodel: 'flavors: {}\n',
        'data/weights.bin': crypto.randomBytes(300_000).toString('base64'),
      };
      const model = await versionWithFiles(files);
      const out = path.join(tmp, 'get-semver');
      const res = await runSemreg(['get', `${model}/1.0.0`, '-o', out], env);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      for (const [rel, content] of Object.entries(files)) {
        expect(fs.readFileSync(path.join(out, rel), 'utf8')).toBe(content);
        expect(res.stdout).toContain(`${crypto.createHash('sha256').update(content).digest('hex')}  ${rel}`);
      }
      // No temporary files are left behind.
      expect(fs.readdirSync(path.join(out, 'data'))).toEqual(['weights.bin']);
    });

    it('resolves aliases, stages and ranges', async () => {
      const model = await versionWithFiles({ a: '1' });
      await versionWithFiles({ b: '2' }, model);
      await t.http
        .post('/api/2.0/mlflow/registered-models/alias')
        .send({ name: model, alias: 'champion', version: '1' })
        .expect(200);
      await t.http
        .post(`/api/models/${model}/promote`)
        .send({ stage: 'Production', version: '2' })
        .expect(200);
      const cases: Array<[string, string]> = [
        [`${model}@champion`, 'a'],
        [`${model}:Production`, 'b'],
        [`${model}/^1.0`, 'b'],
        [model, 'b'],
      ];
      for (const [ref, file] of cases) {
        const out = path.join(tmp, crypto.randomBytes(4).toString('hex'));
        const res = await runSemreg(['get', ref, '-o', out], env);
        expect(res.code).toBe(0);
        expect(fs.readdirSync(out)).toEqual([file]);
      }
    });

    it('exits 3 when nothing matches, 2 on a malformed reference, 7 when the server is unreachable', async () => {
      const model = await versionWithFiles({ a: '1' });
      const missing = await runSemreg(['get', `${model}/9.9.9`, '-o', path.join(tmp, 'x')], env);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('RESOURCE_DOES_NOT_EXIST');
      expect((await runSemreg(['get', `${model}/v1.0.0`, '-o', path.join(tmp, 'x')], env)).code).toBe(2);
      expect(
        (await runSemreg(['get', model, '-o', path.join(tmp, 'x')], { SEMREG_URL: 'http://127.0.0.1:9' }))
          .code,
      ).toBe(7);
    });
  });

  describe('push', () => {
    it('publishes files as a package version with the GitLab CI job, and get fetches them back', async () => {
      const model = uniqueName('push');
      const dir = fs.mkdtempSync(path.join(tmp, 'push-'));
      fs.writeFileSync(path.join(dir, 'model.onnx'), 'onnx-bytes');
      fs.mkdirSync(path.join(dir, 'conf'));
      fs.writeFileSync(path.join(dir, 'conf', 'settings.json'), '{"a":1}');
      const ci = {
        GITLAB_CI: 'true',
        CI_JOB_ID: '4242',
        CI_JOB_URL: 'https://gitlab.example/p/-/jobs/4242',
        CI_PIPELINE_ID: '99',
        CI_COMMIT_SHA: 'abcdef1234567',
      };
      const res = await runSemreg(
        ['push', '--keep-paths', `${model}/1.2.0`, 'model.onnx', 'conf/settings.json'],
        { ...env, ...ci },
        dir,
      );
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('uploaded model.onnx');
      expect(res.stdout).toContain('uploaded conf/settings.json');

      const listing = await t.http.get(`/api/packages/${model}/1.2.0`).expect(200);
      expect(listing.body.files.map((f: { path: string }) => f.path).sort()).toEqual([
        'conf/settings.json',
        'model.onnx',
      ]);
      expect(listing.body.files.every((f: { ci_job_id: string }) => f.ci_job_id === '4242')).toBe(true);
      const events = await t.http.get('/api/events').query({ model, type: 'package.file_added' }).expect(200);
      expect(events.body.events.map((e: { ci_job_id: string }) => e.ci_job_id)).toEqual(['4242', '4242']);

      const again = await runSemreg(['push', `${model}/1.2.0`, path.join(dir, 'model.onnx')], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('unchanged model.onnx');

      const out = path.join(tmp, 'pushed');
      const got = await runSemreg(['get', `${model}/1.2.0`, '-o', out], env);
      expect(got.code).toBe(0);
      expect(fs.readFileSync(path.join(out, 'conf', 'settings.json'), 'utf8')).toBe('{"a":1}');
      expect(fs.readFileSync(path.join(out, 'model.onnx'), 'utf8')).toBe('onnx-bytes');
    });

    it('exits 2 on a reference without a semver', async () => {
      expect((await runSemreg(['push', 'model-only', __filename], env)).code).toBe(2);
    });
  });

  describe('promote, rollback and history', () => {
    it('promotes with compare-and-set (exit 4 when the expectation is stale) and prints the history', async () => {
      const model = await versionWithFiles({ a: '1' });
      await versionWithFiles({ b: '2' }, model);
      const first = await runSemreg(
        ['promote', model, '--stage', 'Production', '--version', '1', '--expect', ''],
        env,
      );
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('version 1 now holds stage Production');
      const stale = await runSemreg(
        ['promote', model, '--stage', 'Production', '--version', '2', '--expect', ''],
        env,
      );
      expect(stale.code).toBe(4);
      expect(stale.stderr).toContain('RESOURCE_CONFLICT');
      const second = await runSemreg(
        ['promote', model, '--stage', 'Production', '--semver', '1.0.1', '--expect', '1'],
        env,
      );
      expect(second.code).toBe(0);

      const history = await runSemreg(['history', model, '--type', 'stage.transitioned'], env);
      expect(history.code).toBe(0);
      const lines = history.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/stage\.transitioned\s+v1 \(1\.0\.0\)\s+None → Production/);
      const json = await runSemreg(['history', model, '--json'], env);
      expect(
        json.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).type),
      ).toContain('stage.transitioned');
    });

    it('exits 8 when a stage policy refuses, naming the rule', async () => {
      const model = await versionWithFiles({ a: '1' });
      await t.http
        .put('/api/policies')
        .send({ model, stages: [{ name: 'prod', required_tags: { validated: 'true' } }], transitions: [] })
        .expect(200);
      const res = await runSemreg(['promote', model, '--stage', 'prod', '--version', '1'], env);
      expect(res.code).toBe(8);
      expect(res.stderr).toContain("rule 'required_tags'");
    });

    it('rolls a stage back', async () => {
      const model = await versionWithFiles({ a: '1' });
      await versionWithFiles({ b: '2' }, model);
      await runSemreg(['promote', model, '--stage', 'Staging', '--version', '1'], env);
      await runSemreg(['promote', model, '--stage', 'Staging', '--version', '2'], env);
      const res = await runSemreg(['rollback', model, '--stage', 'Staging'], env);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('version 1 is back (was 2)');
      const v2 = await t.http
        .get('/api/2.0/mlflow/model-versions/get')
        .query({ name: model, version: '2' })
        .expect(200);
      expect(v2.body.model_version.current_stage).toBe('None');
    });
  });

  describe('import-gto', () => {
    function git(repo: string, args: string[], date?: string): void {
      execFileSync('git', ['-C', repo, ...args], {
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@example.com',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@example.com',
          ...(date ? { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } : {}),
        },
        stdio: 'ignore',
      });
    }

    it('replays registrations and stage assignments with their original timestamps', async () => {
      const repo = fs.mkdtempSync(path.join(tmp, 'gto-'));
      const name = uniqueName('gto').toLowerCase();
      git(repo, ['init', '-q']);
      git(repo, ['commit', '-q', '--allow-empty', '-m', 'first'], '2024-01-01T10:00:00Z');
      git(repo, ['tag', '-a', `${name}@v1.0.0`, '-m', 'register'], '2024-01-01T10:00:00Z');
      git(repo, ['tag', '-a', `${name}#prod#1`, '-m', 'promote'], '2024-01-02T10:00:00Z');
      git(repo, ['commit', '-q', '--allow-empty', '-m', 'second'], '2024-02-01T10:00:00Z');
      git(repo, ['tag', '-a', `${name}@v1.1.0`, '-m', 'register'], '2024-02-01T10:00:00Z');
      git(repo, ['tag', '-a', `${name}#prod#2`, '-m', 'promote'], '2024-02-02T10:00:00Z');
      git(repo, ['tag', '-a', `${name}#staging#3`, '-m', 'promote'], '2024-02-03T10:00:00Z');
      git(repo, ['tag', 'unrelated-tag']);

      const res = await runSemreg(['import-gto', repo], env);
      expect(res.stderr).not.toContain('semreg:');
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('Imported 1 model(s), 2 version(s), 3 stage change(s)');

      const at = async (time: string) =>
        (await t.http.get(`/api/models/${name}/at`).query({ time }).expect(200)).body;
      expect((await at('2023-12-31T00:00:00Z')).stages.prod).toBeNull();
      expect((await at('2024-01-15T00:00:00Z')).stages.prod).toBe('1');
      const march = await at('2024-03-01T00:00:00Z');
      expect(march.stages.prod).toBeNull(); // v2 moved on from prod to staging
      expect(march.stages.staging).toBe('2');
      expect((await at('2024-02-02T12:00:00Z')).stages.prod).toBe('2');

      // Importing again changes nothing.
      const again = await runSemreg(['import-gto', repo], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Imported 0 model(s), 0 version(s)');
    });

    it('exits 2 for a directory that is not a git repository', async () => {
      const res = await runSemreg(['import-gto', tmp], env);
      expect(res.code).toBe(2);
    });
  });
});
