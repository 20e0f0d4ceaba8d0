import { createTestApp, TestApp } from '../../helpers/test-app';
import { findRunArtifactUri } from '../../../src/tracking/runs';
import { findLoggedModelArtifactUri } from '../../../src/tracking/logged-models';

describe('tracking schema', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('seeds experiment 0 named Default at mlflow-artifacts:/0', async () => {
    const row = await t.db('experiments').where({ experiment_id: 0 }).first();
    expect(row).toMatchObject({
      name: 'Default',
      artifact_location: 'mlflow-artifacts:/0',
      lifecycle_stage: 'active',
    });
  });

  it('resolves nothing for unknown runs and logged models', async () => {
    expect(await findRunArtifactUri(t.db, '0123456789abcdef0123456789abcdef')).toBeUndefined();
    expect(await findLoggedModelArtifactUri(t.db, 'm-0123456789abcdef0123456789abcdef')).toBeUndefined();
  });

  it('derives artifact URIs from ids', async () => {
    const runId = 'abcdefabcdefabcdefabcdefabcdef01';
    await t.db('runs').insert({ run_uuid: runId, experiment_id: 0, name: 'r', start_time: 1 });
    expect(await findRunArtifactUri(t.db, runId)).toBe(`mlflow-artifacts:/0/${runId}/artifacts`);
    const modelId = 'm-abcdefabcdefabcdefabcdefabcdef01';
    await t.db('logged_models').insert({
      model_id: modelId,
      experiment_id: 0,
      name: 'm',
      source_run_id: runId,
      creation_timestamp_ms: 1,
      last_updated_timestamp_ms: 1,
    });
    expect(await findLoggedModelArtifactUri(t.db, modelId)).toEqual({
      artifactUri: `mlflow-artifacts:/0/models/${modelId}/artifacts`,
      sourceRunId: runId,
    });
  });
});
