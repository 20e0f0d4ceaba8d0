import { createTestApp, TestApp } from '../../helpers/test-app';
import { API, createExperiment, createRun } from './helpers';

/**
 * `experiments/search-datasets`, which MLflow's UI calls under /ajax-api to fill its dataset filter: the
 * distinct (experiment, name, digest, context) tuples, as MLflow's `_search_datasets` answers them, with the
 * reference's messages for its two limits.
 */
describe('POST /ajax-api/2.0/mlflow/experiments/search-datasets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const search = (experimentIds: string[]) =>
    t.http.post('/ajax-api/2.0/mlflow/experiments/search-datasets').send({ experiment_ids: experimentIds });

  async function logDataset(experimentId: string, name: string, context?: string) {
    const run = await createRun(t, experimentId);
    await t.http
      .post(`${API}/runs/log-inputs`)
      .send({
        run_id: run.info.run_id,
        datasets: [
          {
            tags: context ? [{ key: 'mlflow.data.context', value: context }] : [],
            dataset: { name, digest: `d-${name}`, source_type: 'local', source: '{"uri": "x.csv"}' },
          },
        ],
      })
      .expect(200);
  }

  it('lists each dataset once per context, across the experiments asked for and no others', async () => {
    const [a, b, other] = [await createExperiment(t), await createExperiment(t), await createExperiment(t)];
    await logDataset(a, 'train', 'training');
    await logDataset(a, 'train', 'training'); // a second run, same tuple
    await logDataset(a, 'train', 'eval');
    await logDataset(b, 'holdout');
    await logDataset(other, 'elsewhere', 'training');

    const res = await search([a, b]).expect(200);
    expect(res.body).toEqual({
      dataset_summaries: [
        { experiment_id: a, name: 'train', digest: 'd-train', context: 'eval' },
        { experiment_id: a, name: 'train', digest: 'd-train', context: 'training' },
        { experiment_id: b, name: 'holdout', digest: 'd-holdout' },
      ],
    });
    // MLflow omits an empty list.
    expect((await search([await createExperiment(t)]).expect(200)).body).toEqual({});
  });

  it('answers the reference’s INVALID_PARAMETER_VALUE for no experiment, more than 20, or a malformed id', async () => {
    const none = await search([]).expect(400);
    expect(none.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'SearchDatasets request must specify at least one experiment_id.',
    });
    const many = await search(Array.from({ length: 21 }, (_, i) => String(i))).expect(400);
    expect(many.body.message).toBe(
      'SearchDatasets request cannot specify more than 20 experiment_ids. Received 21 experiment_ids.',
    );
    expect((await search(['x; DROP TABLE datasets']).expect(400)).body.error_code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
  });
});
