import { deleteVersionTag, setVersionTag, updateVersionDescription } from '../api/registry';
import { loadVersion } from '../api/version-data';
import { tagMap } from '../api/types';
import { DescriptionEditor } from '../components/DescriptionEditor';
import { FetchCommands } from '../components/FetchCommands';
import { FilesTable } from '../components/FilesTable';
import { Loaded } from '../components/Loaded';
import { PromotePanel } from '../components/PromotePanel';
import { TagsEditor } from '../components/TagsEditor';
import { Time } from '../components/Time';
import { useApi } from '../hooks/use-api';
import { href } from '../lib/routes';
import { isPrerelease } from '../lib/semver';
import { safeHttpUrl } from '../lib/links';
import { Link } from '../router';

/** `semver` is immutable and `ci.*` records what built the version: shown, never offered for editing. */
const locked = (key: string) => key === 'semver' || key.startsWith('ci.');

export function VersionPage({ name, version }: { name: string; version: string }) {
  const state = useApi(() => loadVersion(name, version), [name, version]);
  return (
    <main>
      <p class="muted">
        <Link href={href.models()}>Models</Link> / <Link href={href.model(name)}>{name}</Link> /
      </p>
      <Loaded state={state} what={`version ${version} of ${name}`}>
        {({ version: mv, model, policy, files }) => {
          const tags = tagMap(mv.tags);
          const jobUrl = safeHttpUrl(tags['ci.job_url']);
          return (
            <>
              <h1>
                {name} v{mv.version}{' '}
                {tags.semver && (
                  <span class={isPrerelease(tags.semver) ? 'badge prerelease' : 'badge'}>{tags.semver}</span>
                )}
              </h1>
              <dl class="facts">
                <dt>Semver</dt>
                <dd>{tags.semver ?? '—'}</dd>
                <dt>Version</dt>
                <dd>{mv.version}</dd>
                <dt>Stage</dt>
                <dd>{mv.current_stage}</dd>
                <dt>Aliases</dt>
                <dd>{(mv.aliases ?? []).map((a) => `@${a}`).join(' ') || '—'}</dd>
                <dt>Status</dt>
                <dd>{mv.status}</dd>
                <dt>Source</dt>
                <dd>
                  <code>{mv.source}</code>
                </dd>
                <dt>Run</dt>
                <dd>{mv.run_id ? <Link href={href.run(mv.run_id)}>{mv.run_id}</Link> : '—'}</dd>
                <dt>CI job</dt>
                <dd>
                  {tags['ci.job_id'] ? (
                    <>
                      <Link href={href.ciJob(tags['ci.job_id'])}>{tags['ci.job_id']}</Link>
                      {jobUrl && (
                        <>
                          {' · '}
                          <a href={jobUrl} rel="noreferrer noopener" target="_blank">
                            job log
                          </a>
                        </>
                      )}
                      {tags['ci.pipeline_id'] && ` · pipeline ${tags['ci.pipeline_id']}`}
                      {tags['ci.commit_sha'] && (
                        <>
                          {' · commit '}
                          <code>{tags['ci.commit_sha']}</code>
                        </>
                      )}
                    </>
                  ) : (
                    '—'
                  )}
                </dd>
                <dt>Created</dt>
                <dd>
                  <Time ms={mv.creation_timestamp} />
                </dd>
                <dt>History</dt>
                <dd>
                  <Link href={href.history(name)}>Model history</Link>
                </dd>
              </dl>
              <h2>Files</h2>
              <FilesTable
                files={files}
                emptyText="No files stored for this version (its source lives outside semreg)."
              />
              <FetchCommands
                name={name}
                version={mv.version}
                semver={tags.semver}
                files={files.map((f) => f.path)}
              />
              {policy && (
                <PromotePanel model={model} policy={policy} version={mv.version} onDone={state.reload} />
              )}
              <div class="columns">
                <DescriptionEditor
                  description={mv.description ?? ''}
                  onSave={(text) => updateVersionDescription(name, mv.version, text)}
                  onChanged={state.reload}
                />
                <TagsEditor
                  tags={mv.tags ?? []}
                  locked={locked}
                  onSet={(tag) => setVersionTag(name, mv.version, tag)}
                  onDelete={(key) => deleteVersionTag(name, mv.version, key)}
                  onChanged={state.reload}
                />
              </div>
            </>
          );
        }}
      </Loaded>
    </main>
  );
}
