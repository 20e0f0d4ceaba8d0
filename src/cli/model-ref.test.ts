import { ciHeaders } from './ci-env';
import { parseModelRef } from './model-ref';

describe('parseModelRef', () => {
  it.each([
    ['churn', { model: 'churn', selector: {} }],
    ['churn@champion', { model: 'churn', selector: { alias: 'champion' } }],
    ['a@b@prod', { model: 'a@b', selector: { alias: 'prod' } }],
    ['churn/1.4.0', { model: 'churn', selector: { semver: '1.4.0' } }],
    ['churn/^1.4', { model: 'churn', selector: { range: '^1.4' } }],
    ['churn:Production', { model: 'churn', selector: { stage: 'Production' } }],
  ])('%s', (ref, expected) => {
    expect(parseModelRef(ref)).toEqual(expected);
  });

  it.each(['', 'churn/', ':prod', 'churn/v1.0.0'])('refuses %j as a usage error', (ref) => {
    expect(() => parseModelRef(ref)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});

describe('ciHeaders', () => {
  it('reads GitLab CI job variables', () => {
    expect(
      ciHeaders({
        GITLAB_CI: 'true',
        CI_JOB_ID: '42',
        CI_JOB_URL: 'https://gitlab.example/p/-/jobs/42',
        CI_PIPELINE_ID: '7',
        CI_COMMIT_SHA: 'abc1234',
      }),
    ).toEqual({
      'X-CI-Job-Id': '42',
      'X-CI-Job-Url': 'https://gitlab.example/p/-/jobs/42',
      'X-CI-Pipeline-Id': '7',
      'X-CI-Commit-Sha': 'abc1234',
    });
  });

  it('reads GitHub Actions variables', () => {
    expect(
      ciHeaders({
        GITHUB_ACTIONS: 'true',
        GITHUB_RUN_ID: '99',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_JOB: 'train',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_SHA: 'def5678',
      }),
    ).toEqual({
      'X-CI-Job-Id': '99-train',
      'X-CI-Job-Url': 'https://github.com/o/r/actions/runs/99/attempts/2',
      'X-CI-Pipeline-Id': '99',
      'X-CI-Commit-Sha': 'def5678',
    });
  });

  it('sends nothing outside CI', () => {
    expect(ciHeaders({ CI_JOB_ID: '1' })).toEqual({});
  });
});
