import { useState } from 'preact/hooks';
import { authHeaders, NO_BROWSER_CREDENTIALS } from '../api/client';
import type { ListedFile } from '../api/types';
import { useApi } from '../hooks/use-api';
import { formatBytes, shortSha } from '../lib/format';
import { previewKind } from '../lib/preview';
import { FilePreview } from './FilePreview';

const PAGE = 100;

/** A file's size from a HEAD request when no listing told it (MLflow model files carry no size). */
function SizeCell({ file }: { file: ListedFile }) {
  const size = useApi(async () => {
    if (file.size !== undefined) return file.size;
    const res = await fetch(file.previewUrl, {
      method: 'HEAD',
      headers: authHeaders(),
      ...NO_BROWSER_CREDENTIALS,
    });
    const length = res.ok ? res.headers.get('Content-Length') : null;
    return length === null ? undefined : Number(length);
  }, [file.previewUrl, file.size]);
  if (size.status === 'error') return <span class="muted">—</span>;
  return <>{size.status === 'ok' ? formatBytes(size.data) : '…'}</>;
}

export function FilesTable({ files, emptyText }: { files: ListedFile[]; emptyText: string }) {
  const [previewed, setPreviewed] = useState<string | undefined>(undefined);
  // Each shown row asks for its size: a version of thousands of files is listed 100 at a time.
  const [shown, setShown] = useState(PAGE);
  if (files.length === 0) return <p class="empty">{emptyText}</p>;
  const current = files.find((file) => file.path === previewed);
  return (
    <>
      <div class="table-scroll">
        <table class="files">
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Size</th>
              <th scope="col">SHA-256</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {files.slice(0, shown).map((file) => (
              <tr key={file.path}>
                <th scope="row">
                  <code>{file.path}</code>
                </th>
                <td class="nowrap">
                  <SizeCell file={file} />
                </td>
                <td>
                  <code title={file.sha256}>{shortSha(file.sha256)}</code>
                </td>
                <td class="actions">
                  {file.downloadUrl && (
                    <a
                      href={file.downloadUrl}
                      download={file.path.split('/').pop()}
                      aria-label={`Download ${file.path}`}
                    >
                      Download
                    </a>
                  )}{' '}
                  {previewKind(file.path) !== 'none' && (
                    <button
                      type="button"
                      class="link-button"
                      aria-pressed={previewed === file.path}
                      aria-label={`Preview ${file.path}`}
                      onClick={() => setPreviewed(previewed === file.path ? undefined : file.path)}
                    >
                      Preview
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {files.length > shown && (
        <nav class="pager" aria-label="More files">
          <button type="button" onClick={() => setShown(shown + PAGE)}>
            Show {Math.min(PAGE, files.length - shown)} more of {files.length - shown}
          </button>
        </nav>
      )}
      {current && (
        <FilePreview
          key={current.previewUrl}
          path={current.path}
          url={current.previewUrl}
          size={current.size}
        />
      )}
    </>
  );
}
