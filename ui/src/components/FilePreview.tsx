import { useEffect, useState } from 'preact/hooks';
import { fetchBytes } from '../api/client';
import { MAX_PREVIEW_BYTES, parseCsvRows, prettyJson, previewKind } from '../lib/preview';
import { ErrorMessage } from './ErrorMessage';
import { Loading } from './Loading';

type Shown =
  | { kind: 'text'; text: string; truncated: boolean }
  | { kind: 'image'; url: string }
  | { kind: 'csv'; rows: string[][] };

/**
 * A file's first MiB, fetched with the token and shown as text, pretty JSON, YAML (MLmodel), a CSV table or
 * an image (a blob: URL, which the page's CSP allows; the server never serves it inline).
 */
export function FilePreview({ path, url, size }: { path: string; url: string; size?: number }) {
  const kind = previewKind(path);
  const [shown, setShown] = useState<Shown | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    let live = true;
    let objectUrl: string | undefined;
    setShown(undefined);
    setError(undefined);
    fetchBytes(url, MAX_PREVIEW_BYTES)
      .then(async (blob) => {
        if (!live) return;
        if (kind === 'image') {
          objectUrl = URL.createObjectURL(blob);
          setShown({ kind: 'image', url: objectUrl });
          return;
        }
        const text = await blob.text();
        if (!live) return;
        const truncated = (size ?? blob.size) > MAX_PREVIEW_BYTES;
        if (kind === 'csv')
          setShown({ kind: 'csv', rows: parseCsvRows(text, 20, path.endsWith('.tsv') ? '\t' : ',') });
        else
          setShown({
            kind: 'text',
            text: kind === 'json' && !truncated ? prettyJson(text) : text,
            truncated,
          });
      })
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url, kind]);
  if (error !== undefined) return <ErrorMessage error={error} action={`preview ${path}`} />;
  if (!shown) return <Loading what={`preview of ${path}`} />;
  return (
    <figure class="file-preview" aria-label={`Preview of ${path}`}>
      <figcaption>
        <code>{path}</code>
        {shown.kind === 'text' && shown.truncated && <span class="muted"> · first MiB only</span>}
      </figcaption>
      {shown.kind === 'image' && <img class="preview" src={shown.url} alt={`Preview of ${path}`} />}
      {shown.kind === 'text' && <pre class="preview">{shown.text}</pre>}
      {shown.kind === 'csv' && (
        <div class="table-scroll">
          <table class="csv">
            <thead>
              <tr>
                {(shown.rows[0] ?? []).map((cell, i) => (
                  <th scope="col" key={i}>
                    {cell}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.rows.slice(1).map((row, i) => (
                <tr key={i}>
                  {row.map((cell, j) => (
                    <td key={j}>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">First {Math.max(0, shown.rows.length - 1)} rows.</p>
        </div>
      )}
    </figure>
  );
}
