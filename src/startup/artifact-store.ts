import type { Config, S3Destination } from '../config';
import type { Logger } from '../log';
import type { ArtifactStore } from '../storage/artifact-store';
import { openArtifactStore } from '../storage/open-store';
import { classifyS3Error } from '../storage/s3-errors';
import { StartupFailure } from './startup-failure';

/** Unfinished uploads are swept this often besides at start-up (a replica may run for months). */
const SWEEP_INTERVAL_MS = 3600 * 1000;

function explainS3Failure(err: unknown, destination: S3Destination): StartupFailure {
  const { kind, name } = classifyS3Error(err);
  const where = destination.endpoint ? `S3_ENDPOINT_URL=${destination.endpoint}` : 'AWS S3';
  const bucket = `s3://${destination.bucket}`;
  const cause = { cause: err };
  switch (kind) {
    case 'missing-bucket':
      return new StartupFailure(
        `the bucket of ARTIFACTS_DESTINATION (${bucket}) does not exist at ${where}: create it or fix ARTIFACTS_DESTINATION`,
        cause,
      );
    case 'credentials':
      return new StartupFailure(
        `the artifact store at ${where} refused semreg's credentials for ${bucket} (${name}): fix AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, the instance role) or the bucket's policy`,
        cause,
      );
    case 'unreachable':
      return new StartupFailure(
        `the artifact store at ${where} is unreachable (${name}): start it or fix ${destination.endpoint ? 'S3_ENDPOINT_URL' : 'the network or AWS_REGION'}`,
        cause,
      );
    default:
      return new StartupFailure(
        `the artifact store ${bucket} at ${where} cannot be written (${name}): check ARTIFACTS_DESTINATION and the AWS_* settings`,
        cause,
      );
  }
}

/**
 * The configured artifact store, checked: an S3 bucket must be reachable and writable now, or semreg refuses
 * to start with the setting to fix. Uploads a crash left behind are cleaned at once and then every hour;
 * the returned stop ends that sweep.
 */
export async function openCheckedStore(
  config: Config,
  log: Logger,
): Promise<{ store: ArtifactStore; stop: () => Promise<void> }> {
  const store = await openArtifactStore(config);
  const destination = config.artifactsDestination;
  if (destination) {
    await store.probe().catch((err: unknown) => {
      throw explainS3Failure(err, destination);
    });
    log.info({ bucket: destination.bucket, prefix: destination.prefix }, 'artifacts are stored in S3');
    if (!config.signingSecret)
      log.warn(
        'SIGNING_SECRET is not set: download links signed by this process will not verify on other replicas or after a restart',
      );
  }
  await store.cleanTemporaryFiles();
  const sweep = setInterval(() => {
    store
      .cleanTemporaryFiles()
      .catch((err: unknown) => log.warn({ err }, 'sweeping unfinished uploads failed'));
  }, SWEEP_INTERVAL_MS);
  sweep.unref();
  return {
    store,
    stop: async () => {
      clearInterval(sweep);
      store.close();
    },
  };
}
