import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../helpers/test-app';

/**
 * The app on a real loopback port (the browser needs one) and Debian's Chromium driven by playwright-core
 * (`apt-get install -y chromium`; no browser is ever downloaded). One server and one browser per test file,
 * a fresh context (empty sessionStorage) per test.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface UiHarness {
  t: TestApp;
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function startUi(env: Record<string, string> = {}): Promise<UiHarness> {
  const t = await createTestApp(env);
  const server: Server = await new Promise((resolve) => {
    const listening = t.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  return {
    t,
    url,
    browser,
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}

export interface UiPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions so far, for `expect(...).toEqual([])`. */
  errors(): string[];
}

/**
 * A page that records console errors. Chromium logs every 4xx answer as "Failed to load resource"; tests that
 * provoke 401/403/404 on purpose pass `allowHttpErrors` so only real script errors count.
 */
export async function openPage(
  h: UiHarness,
  options: { allowHttpErrors?: boolean; token?: string; viewport?: { width: number; height: number } } = {},
): Promise<UiPage> {
  const context = await h.browser.newContext({
    baseURL: h.url,
    viewport: options.viewport ?? { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  if (options.token) {
    // A string script: this file is compiled without the DOM library, the page runs it with one.
    await context.addInitScript(`sessionStorage.setItem('semreg.token', ${JSON.stringify(options.token)})`);
  }
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (options.allowHttpErrors && msg.text().startsWith('Failed to load resource')) return;
    errors.push(msg.text());
  });
  return { page, context, errors: () => errors };
}
