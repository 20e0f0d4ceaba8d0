import { authorizationFromEnv } from './mlflow-source';

describe('credentials for the source server, as the MLflow client takes them', () => {
  it('sends MLFLOW_TRACKING_TOKEN as a bearer token', () => {
    expect(authorizationFromEnv({ MLFLOW_TRACKING_TOKEN: 'tok' })).toBe('Bearer tok');
  });

  it('prefers username and password (Basic) when both are set, as the client does', () => {
    expect(
      authorizationFromEnv({
        MLFLOW_TRACKING_TOKEN: 'tok',
        MLFLOW_TRACKING_USERNAME: 'ann',
        MLFLOW_TRACKING_PASSWORD: 'pw',
      }),
    ).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
  });

  it('sends nothing without credentials', () => {
    expect(authorizationFromEnv({ MLFLOW_TRACKING_USERNAME: 'ann' })).toBeUndefined();
  });
});
