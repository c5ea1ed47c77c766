import type { UpdateStatus } from './update-check.ts';

// Which release is newest: versions as number keys, release tags only, as renovate.json counts them.

export type Key = number[];

export function compareKeys(a: Key, b: Key): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** `x.y.z` (a prerelease `x.y.z-…` sorts before `x.y.z`); undefined for anything else. */
export function semverKey(version: string): Key | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3]), match[4] === undefined ? 1 : 0] : undefined;
}

/** TEN release tags: exactly `x.y.z`. */
export function tenKey(tag: string): Key | undefined {
  return /^\d+\.\d+\.\d+$/.test(tag) ? semverKey(tag) : undefined;
}

/** Jitsi release tags: `stable-NNNN` and its respins `stable-NNNN-N`. */
export function jitsiKey(tag: string): Key | undefined {
  const match = /^stable-(\d+)(?:-(\d+))?$/.exec(tag);
  return match ? [Number(match[1]), Number(match[2] ?? 0)] : undefined;
}

export function newest(tags: Iterable<string>, key: (tag: string) => Key | undefined): string | undefined {
  let best: { tag: string; key: Key } | undefined;
  for (const tag of tags) {
    const candidate = key(tag);
    if (candidate !== undefined && (best === undefined || compareKeys(candidate, best.key) > 0)) best = { tag, key: candidate };
  }
  return best?.tag;
}

export function statusOf(current: string, latest: string, key: (version: string) => Key | undefined): UpdateStatus {
  const currentKey = key(current);
  const latestKey = key(latest);
  if (currentKey === undefined || latestKey === undefined) return current === latest ? 'up to date' : 'update available';
  const order = compareKeys(latestKey, currentKey);
  return order > 0 ? 'update available' : order === 0 ? 'up to date' : 'newer than registry';
}
