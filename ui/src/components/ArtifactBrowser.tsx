import { useState } from 'preact/hooks';
import { downloadWithToken } from '../api/download';
import { listRunArtifacts, runArtifactUrl } from '../api/tracking';
import { useAction } from '../hooks/use-action';
import { useApi } from '../hooks/use-api';
import { formatBytes } from '../lib/format';
import { previewKind } from '../lib/preview';
import { ActionResult } from './ActionResult';
import { FilePreview } from './FilePreview';
import { Loaded } from './Loaded';

/** One directory level of a run's artifacts; directories open in place, files preview or download. */
function Directory({
  runId,
  path,
  onPreview,
  onDownload,
}: {
  runId: string;
  path?: string;
  onPreview: (path: string, size?: number) => void;
  onDownload: (path: string) => void;
}) {
  const listing = useApi(() => listRunArtifacts(runId, path), [runId, path]);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  return (
    <Loaded state={listing} what="artifacts">
      {(data) =>
        (data.files ?? []).length === 0 ? (
          <p class="muted">{path ? 'Empty directory.' : 'No artifacts logged.'}</p>
        ) : (
          <ul class="artifact-tree">
            {(data.files ?? []).map((file) => {
              const name = file.path.split('/').pop();
              return (
                <li key={file.path}>
                  {file.is_dir ? (
                    <>
                      <button
                        type="button"
                        class="link-button"
                        aria-expanded={!!open[file.path]}
                        onClick={() => setOpen({ ...open, [file.path]: !open[file.path] })}
                      >
                        {name}/
                      </button>
                      {open[file.path] && (
                        <Directory
                          runId={runId}
                          path={file.path}
                          onPreview={onPreview}
                          onDownload={onDownload}
                        />
                      )}
                    </>
                  ) : (
                    <>
                      <code>{name}</code> <span class="muted">{formatBytes(Number(file.file_size))}</span>{' '}
                      <button
                        type="button"
                        class="link-button"
                        aria-label={`Download ${file.path}`}
                        onClick={() => onDownload(file.path)}
                      >
                        Download
                      </button>{' '}
                      {previewKind(file.path) !== 'none' && (
                        <button
                          type="button"
                          class="link-button"
                          aria-label={`Preview ${file.path}`}
                          onClick={() => onPreview(file.path, Number(file.file_size))}
                        >
                          Preview
                        </button>
                      )}
                    </>
                  )}
                </li>
              );
            })}
          </ul>
        )
      }
    </Loaded>
  );
}

export function ArtifactBrowser({ runId }: { runId: string }) {
  const [previewed, setPreviewed] = useState<{ path: string; size?: number } | undefined>(undefined);
  const download = useAction();
  return (
    <section aria-label="Artifacts">
      <h2>Artifacts</h2>
      <Directory
        runId={runId}
        onPreview={(path, size) => setPreviewed({ path, size })}
        onDownload={(path) =>
          download.run(
            () => downloadWithToken(runArtifactUrl(runId, path), path.split('/').pop() ?? path),
            '',
          )
        }
      />
      <ActionResult error={download.error} action="download the artifact" />
      {previewed && (
        <FilePreview
          key={previewed.path}
          path={previewed.path}
          url={runArtifactUrl(runId, previewed.path)}
          size={previewed.size}
        />
      )}
    </section>
  );
}
