import { loadConfig } from './config';

describe('loadConfig: the artifact store', () => {
  it('reads ARTIFACTS_DESTINATION, the endpoint (also MLflow’s variable), path style and region', () => {
    const config = loadConfig({
      ARTIFACTS_DESTINATION: 's3://team-models/semreg/prod/',
      MLFLOW_S3_ENDPOINT_URL: 'http://seaweedfs:8333',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
      ARTIFACT_DOWNLOADS: 'redirect',
      S3_UPLOAD_BUFFER_BYTES: '67108864',
    });
    expect(config.artifactsDestination).toEqual({
      bucket: 'team-models',
      prefix: 'semreg/prod',
      endpoint: 'http://seaweedfs:8333',
      forcePathStyle: true,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret', sessionToken: undefined },
      uploadBufferBytes: 64 * 1024 * 1024,
    });
    expect(config.artifactDownloads).toBe('redirect');
  });

  it('leaves AWS itself to the SDK: virtual-host style and its default credential chain', () => {
    const destination = loadConfig({ ARTIFACTS_DESTINATION: 's3://bucket' }).artifactsDestination;
    expect(destination).toMatchObject({
      prefix: '',
      endpoint: undefined,
      forcePathStyle: false,
      uploadBufferBytes: 128 * 1024 * 1024,
    });
    expect(destination?.credentials).toBeUndefined();
    expect(loadConfig({}).artifactsDestination).toBeUndefined();
  });

  it.each([
    [{ ARTIFACTS_DESTINATION: 'gs://bucket' }, /must be s3:\/\/bucket/],
    [{ ARTIFACTS_DESTINATION: 's3://B_d' }, /invalid bucket/],
    [{ ARTIFACTS_DESTINATION: 's3://bucket/a/../b' }, /invalid prefix/],
    [{ ARTIFACTS_DESTINATION: 's3://bucket', S3_ENDPOINT_URL: 'seaweedfs:8333' }, /S3_ENDPOINT_URL/],
    [{ ARTIFACT_DOWNLOADS: 'redirect' }, /needs an S3 store/],
    [{ ARTIFACTS_DESTINATION: 's3://bucket', ARTIFACT_DOWNLOADS: 'direct' }, /proxy or redirect/],
    [{ ARTIFACTS_DESTINATION: 's3://bucket', S3_UPLOAD_BUFFER_BYTES: '0' }, /S3_UPLOAD_BUFFER_BYTES/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
