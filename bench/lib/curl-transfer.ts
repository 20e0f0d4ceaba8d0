import fs from 'node:fs';
import { mbPerSecond } from './test-files';
import { timedCommand } from './timed-command';

export interface CurlTransfer {
  ok: boolean;
  httpCode: number;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  /** Redirects curl followed (`-L`). */
  redirects: number;
  /** The answer of an upload (the package file's JSON); empty for a download. */
  body: string;
  stderr: string;
}

/**
 * The real curl binary, with curl's own figures (`-w`): bytes moved and time_total, which excludes starting
 * the curl process and, after `-L`, includes the redirect. `-T` sends a PUT with Content-Length; curl adds
 * `Expect: 100-continue` for large bodies, as in real use. The response body goes to `responseFile`.
 */
export async function curl(
  args: string[],
  direction: 'upload' | 'download',
  responseFile: string,
): Promise<CurlTransfer> {
  const sizeField = direction === 'upload' ? 'size_upload' : 'size_download';
  const result = await timedCommand('curl', [
    '--silent',
    '--show-error',
    '--output',
    responseFile,
    '--write-out',
    `%{http_code} %{${sizeField}} %{time_total} %{num_redirects}`,
    ...args,
  ]);
  const [code, bytes, seconds, redirects] = result.stdout.trim().split(' ').map(Number);
  const body =
    direction === 'upload' && fs.existsSync(responseFile)
      ? fs.readFileSync(responseFile, 'utf8').slice(0, 4000)
      : '';
  return {
    ok: result.code === 0 && code >= 200 && code < 300,
    httpCode: code,
    bytes,
    seconds,
    mbPerSecond: mbPerSecond(bytes, seconds),
    redirects,
    body,
    stderr: result.stderr.slice(0, 2000),
  };
}

/** `curl -T file` with the checksum header CI clients send, so the server verifies the bytes. */
export function uploadArgs(url: string, file: string, sha256: string): string[] {
  return [
    '--upload-file',
    file,
    '-H',
    'Content-Type: application/octet-stream',
    '-H',
    `X-Checksum-Sha256: ${sha256}`,
    url,
  ];
}

/** The sha256 in a package upload's answer (`{file: {sha256}}`). */
export function answeredSha256(transfer: CurlTransfer): string | undefined {
  try {
    return (JSON.parse(transfer.body) as { file?: { sha256?: string } }).file?.sha256;
  } catch {
    return undefined;
  }
}
