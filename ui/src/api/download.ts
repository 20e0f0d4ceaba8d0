import { fetchBytes } from './client';

/**
 * Saves a file that needs the token (run artifacts have no signed links): fetched with the Bearer header,
 * then handed to the browser as a blob: download.
 */
export async function downloadWithToken(url: string, fileName: string): Promise<void> {
  const blob = await fetchBytes(url);
  const objectUrl = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = objectUrl;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(objectUrl), 10000);
}
