import { allModelVersions, packageFileCounts } from '../api/model-data';
import { deleteModelTag, getRegisteredModel, setModelTag, updateModelDescription } from '../api/registry';
import { DescriptionEditor } from '../components/DescriptionEditor';
import { HolderList, holdersOf } from '../components/HolderList';
import { Loaded } from '../components/Loaded';
import { PolicySummary } from '../components/PolicySummary';
import { SemverTimeline } from '../components/SemverTimeline';
import { TagsEditor } from '../components/TagsEditor';
import { Time } from '../components/Time';
import { VersionsTable } from '../components/VersionsTable';
import { useApi } from '../hooks/use-api';
import { href } from '../lib/routes';
import { Link } from '../router';

async function loadModel(name: string) {
  const [model, versions, fileCounts] = await Promise.all([
    getRegisteredModel(name),
    allModelVersions(name),
    packageFileCounts(name),
  ]);
  return { model: model.registered_model, ...versions, fileCounts };
}

export function ModelPage({ name }: { name: string }) {
  const state = useApi(() => loadModel(name), [name]);
  return (
    <main>
      <p class="muted">
        <Link href={href.models()}>Models</Link> /
      </p>
      <h1>{name}</h1>
      <Loaded state={state} what={`model ${name}`}>
        {({ model, versions, truncated, fileCounts }) => (
          <>
            <dl class="facts">
              <dt>Versions</dt>
              <dd>
                {versions.length}
                {truncated ? '+' : ''}
              </dd>
              <dt>Stages and aliases</dt>
              <dd>
                <HolderList model={name} holders={holdersOf(model)} />
              </dd>
              <dt>Created</dt>
              <dd>
                <Time ms={model.creation_timestamp} />
              </dd>
              <dt>Last update</dt>
              <dd>
                <Time ms={model.last_updated_timestamp} />
              </dd>
              <dt>History</dt>
              <dd>
                <Link href={href.history(name)}>Events, time travel, promote and roll back</Link>
              </dd>
            </dl>
            <h2>Versions</h2>
            {versions.length === 0 ? (
              <p class="empty">
                No versions yet — publish one with{' '}
                <code>
                  curl -T model.pkl {location.origin}/api/packages/{name}/1.0.0/model.pkl
                </code>{' '}
                or <code>mlflow.register_model(…, "{name}")</code>.
              </p>
            ) : (
              <VersionsTable name={name} versions={versions} fileCounts={fileCounts} />
            )}
            <SemverTimeline name={name} versions={versions} />
            <div class="columns">
              <DescriptionEditor
                description={model.description ?? ''}
                onSave={(text) => updateModelDescription(name, text)}
                onChanged={state.reload}
              />
              <TagsEditor
                tags={model.tags ?? []}
                onSet={(tag) => setModelTag(name, tag)}
                onDelete={(key) => deleteModelTag(name, key)}
                onChanged={state.reload}
              />
            </div>
            <PolicySummary name={name} />
          </>
        )}
      </Loaded>
    </main>
  );
}
