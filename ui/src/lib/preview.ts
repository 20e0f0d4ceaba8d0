/** Which files the UI previews, and how: decided by name only, before any byte is fetched. */
export type PreviewKind = 'json' | 'yaml' | 'csv' | 'text' | 'image' | 'none';

/** Larger files are offered for download only: a preview must never freeze the page. */
export const MAX_PREVIEW_BYTES = 1024 * 1024;

const TEXT_NAMES = new Set(['MLmodel', 'requirements.txt', 'LICENSE', 'README', 'Dockerfile', 'conda.yaml']);

export function previewKind(path: string): PreviewKind {
  const name = path.split('/').pop() ?? path;
  if (name === 'MLmodel') return 'yaml';
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  if (ext === 'json') return 'json';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  if (ext === 'csv' || ext === 'tsv') return 'csv';
  if (['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg'].includes(ext)) return 'image';
  if (['txt', 'md', 'py', 'log', 'toml', 'ini', 'cfg', 'sh', 'xml', 'html', 'js', 'ts'].includes(ext))
    return 'text';
  return TEXT_NAMES.has(name) ? 'text' : 'none';
}

/** Pretty-printed JSON, or the text as it is when it does not parse (a preview, not a validator). */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * The first rows of a CSV (RFC 4180 quoting: `""` inside quotes, separators and newlines inside quotes), or of
 * a TSV when `separator` is a tab.
 */
export function parseCsvRows(text: string, maxRows = 20, separator = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === separator) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (rows.length < maxRows && (field !== '' || row.length > 0)) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
