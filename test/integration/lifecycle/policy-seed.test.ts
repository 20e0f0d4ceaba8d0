import fs from 'node:fs';
import path from 'node:path';
import { seedPoliciesFromFile } from '../../../src/lifecycle/stage-policy';
import { createTestApp, TestApp } from '../../helpers/test-app';
import { createModel } from '../../helpers/mlflow';

/** STAGE_POLICY_FILE: policies seeded at start from YAML, never overwriting what PUT stored. */
describe('seeding stage policies from YAML', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores the default and per-model policies, skips unknown models, and keeps later changes', async () => {
    await createModel(t, 'seeded-model');
    const file = path.join(t.dataDir, 'policy.yaml');
    fs.writeFileSync(
      file,
      [
        'default:',
        '  stages: [{name: dev}, {name: prod, capacity: 1, archive_previous: true}, {name: Archived}]',
        '  transitions: [{from: dev, to: prod}, {from: "*", to: dev}, {from: "*", to: Archived}]',
        'models:',
        '  seeded-model:',
        '    stages: [{name: shadow, required_tags: {validated: "true"}}]',
        '    transitions: []',
        '  not-yet-created:',
        '    stages: [{name: x}]',
      ].join('\n'),
    );
    await seedPoliciesFromFile(t.db, file, t.ctx.log);
    const seeded = (await t.http.get('/api/policies').expect(200)).body;
    expect(seeded.default.stages.map((s: { name: string }) => s.name)).toEqual([
      'None',
      'dev',
      'prod',
      'Archived',
    ]);
    expect(seeded.default.stages[2]).toEqual({ name: 'prod', capacity: 1, archive_previous: true });
    expect(Object.keys(seeded.models)).toEqual(['seeded-model']);
    expect(seeded.models['seeded-model'].stages[1]).toEqual({
      name: 'shadow',
      required_tags: { validated: 'true' },
    });

    await t.http
      .put('/api/policies')
      .send({ stages: [{ name: 'only' }], transitions: [] })
      .expect(200);
    await seedPoliciesFromFile(t.db, file, t.ctx.log);
    const after = (await t.http.get('/api/policies').expect(200)).body;
    expect(after.default.stages.map((s: { name: string }) => s.name)).toEqual(['None', 'only']);
  });

  it('refuses an invalid file, naming the policy', async () => {
    const file = path.join(t.dataDir, 'bad.yaml');
    fs.writeFileSync(file, 'default:\n  stages: [{name: a, capacity: 0}]\n');
    await expect(seedPoliciesFromFile(t.db, file, t.ctx.log)).rejects.toThrow(
      /policy default: Invalid capacity 0/,
    );
  });
});
