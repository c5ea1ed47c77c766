import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';

/** Where the bot page lives under the Jitsi origin. */
export const PAGE_PREFIX = '_agent-bridge/';

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export type PageFiles = ReadonlyMap<string, { readonly body: Buffer; readonly contentType: string }>;

/** The page's files (HTML and JS, not the type declarations), read once: path → body and type. */
export async function loadPageFiles(): Promise<PageFiles> {
  const files = new Map<string, { body: Buffer; contentType: string }>();
  for (const entry of await readdir(PAGE_DIR, { recursive: true, withFileTypes: true })) {
    const extension = /\.[a-z]+$/.exec(entry.name)?.[0] ?? '';
    const contentType = CONTENT_TYPES[extension];
    if (!entry.isFile() || contentType === undefined || entry.name.endsWith('.d.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(PAGE_DIR, path).split(sep).join('/'), { body: await readFile(path), contentType });
  }
  return files;
}

/**
 * Serves the bot page at `<jitsi>/_agent-bridge/…` from this package, by Playwright routing (the
 * request never reaches jitsi-web), so the page is same-origin with lib-jitsi-meet and the XMPP
 * websocket while its code ships with the bridge. Returns the page's base URL.
 */
export async function routeBotPage(context: BrowserContext, jitsiUrl: string, files: PageFiles): Promise<string> {
  const base = new URL(PAGE_PREFIX, `${jitsiUrl}/`).href;
  await context.route(`${base}**`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice(new URL(base).pathname.length);
    const file = files.get(path);
    if (file === undefined) {
      await route.fulfill({ status: 404, contentType: 'text/plain', body: `${path} is not part of the agent bridge's page` });
      return;
    }
    await route.fulfill({ status: 200, contentType: file.contentType, body: file.body, headers: { 'cache-control': 'no-store' } });
  });
  return base;
}
