import type { Config } from '../config';
import type { ArtifactStore } from './artifact-store';
import { LocalDiskStore } from './local-disk-store';
import { S3Store } from './s3-store';

/** The artifact store the configuration names: the S3 store for `ARTIFACTS_DESTINATION`, else local disk. */
export async function openArtifactStore(config: Config): Promise<ArtifactStore> {
  return config.artifactsDestination
    ? S3Store.open(config.artifactsDestination)
    : LocalDiskStore.open(config.artifactRoot);
}
