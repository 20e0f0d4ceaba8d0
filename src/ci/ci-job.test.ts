import { MlflowError } from '../errors';
import { ciJobColumns, ciJobTags, extractCiJob } from './ci-job';

describe('extractCiJob', () => {
  it('reads the four X-CI-* headers', () => {
    expect(
      extractCiJob({
        'x-ci-job-id': '123',
        'x-ci-job-url': 'https://gitlab.example/g/p/-/jobs/123',
        'x-ci-pipeline-id': '77',
        'x-ci-commit-sha': 'ABCDEF1234567',
      }),
    ).toEqual({
      jobId: '123',
      jobUrl: 'https://gitlab.example/g/p/-/jobs/123',
      pipelineId: '77',
      commitSha: 'abcdef1234567',
    });
  });

  it('reads ci.* tags, then gitlab.CI_* tags', () => {
    const job = extractCiJob({}, [
      { key: 'gitlab.CI_JOB_ID', value: '9' },
      { key: 'ci.job_id', value: '10' },
      { key: 'gitlab.CI_PIPELINE_ID', value: '5' },
      { key: 'gitlab.CI_COMMIT_SHA', value: 'deadbeef' },
      { key: 'gitlab.CI_JOB_URL', value: 'http://ci/jobs/9' },
    ]);
    expect(job).toEqual({ jobId: '10', pipelineId: '5', commitSha: 'deadbeef', jobUrl: 'http://ci/jobs/9' });
  });

  it('prefers a header over a tag', () => {
    expect(extractCiJob({ 'x-ci-job-id': '1' }, [{ key: 'ci.job_id', value: '2' }])).toEqual({ jobId: '1' });
  });

  it('ignores empty values and unrelated tags', () => {
    expect(
      extractCiJob({ 'x-ci-job-id': '  ' }, [
        { key: 'ci.job_id', value: '' },
        { key: 'other', value: 'x' },
      ]),
    ).toEqual({});
  });

  it.each([
    [{ 'x-ci-job-url': 'javascript:alert(1)' }, 'job URL'],
    [{ 'x-ci-job-url': 'not a url' }, 'job URL'],
    [{ 'x-ci-commit-sha': 'xyz' }, 'commit sha'],
    [{ 'x-ci-job-id': 'a b' }, 'job id'],
    [{ 'x-ci-pipeline-id': 'x'.repeat(257) }, 'pipeline id'],
  ])('refuses malformed %j', (headers, what) => {
    expect(() => extractCiJob(headers)).toThrow(MlflowError);
    expect(() => extractCiJob(headers)).toThrow(what);
  });

  it('turns a job into ci.* tags and columns', () => {
    const job = { jobId: '1', commitSha: 'abcdef0' };
    expect(ciJobTags(job)).toEqual([
      { key: 'ci.job_id', value: '1' },
      { key: 'ci.commit_sha', value: 'abcdef0' },
    ]);
    expect(ciJobColumns(job)).toEqual({
      ci_job_id: '1',
      ci_job_url: null,
      ci_pipeline_id: null,
      ci_commit_sha: 'abcdef0',
    });
  });
});
