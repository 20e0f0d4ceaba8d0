/**
 * The download headers of a stored file, whoever serves it: semreg itself (`http/send-file.ts`) or the
 * object store through a presigned URL, so both hand the client the same name and type.
 */
export const BINARY_TYPE = 'application/octet-stream';

/** `attachment` with an ASCII fallback name and the exact name in RFC 8187 form, which curl -OJ and browsers use. */
export function attachmentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
