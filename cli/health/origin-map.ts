import { CliError } from '../cli-error.ts';

/**
 * `--map-origin from=to`: sends requests for one origin to another (a port-forward, a tunnel, a
 * local test server). Both sides are origins such as `https://host` or `http://127.0.0.1:8080`.
 */
export function parseOriginMap(entries: readonly string[] = []): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const separator = entry.indexOf('=');
    const from = separator === -1 ? '' : entry.slice(0, separator);
    const to = separator === -1 ? '' : entry.slice(separator + 1);
    let fromOrigin: string;
    let toOrigin: string;
    try {
      fromOrigin = new URL(from).origin;
      toOrigin = new URL(to).origin;
    } catch {
      throw new CliError(`--map-origin needs <from>=<to> with two origins such as https://console.example.com=http://127.0.0.1:3000, got "${entry}"`);
    }
    map.set(fromOrigin, toOrigin);
  }
  return map;
}

/** The URL a check actually requests, after `--map-origin`. */
export function mappedUrl(url: string, originMap: ReadonlyMap<string, string>): string {
  const parsed = new URL(url);
  const replacement = originMap.get(parsed.origin);
  return replacement === undefined ? url : `${replacement}${parsed.pathname}${parsed.search}`;
}
