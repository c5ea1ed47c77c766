import type { ServiceBuild, StackService } from '../constructs/index.ts';
import { buildDigest, buildInputs, workingTree } from './build-context.ts';

const contextHashes = new Map<string, string>();

/**
 * A short content hash of the files an image is built from, in the working tree: it changes
 * exactly when one of them changes, so the rendered image tag (and with it the deploy plan)
 * follows the code. Files git ignores (build output, a local .env) do not count, so every
 * checkout renders the same tag.
 */
export function buildContextHash(build: ServiceBuild): string {
  const key = JSON.stringify([build.paths, build.npmWorkspace]);
  const cached = contextHashes.get(key);
  if (cached !== undefined) return cached;
  const digest = buildDigest(buildInputs(build, workingTree)).slice(0, 12);
  contextHashes.set(key, digest);
  return digest;
}

/**
 * The image a deployed service runs: its pinned image, or for a built service the image CI
 * pushes to the environment's registry, tagged by the build context's content hash.
 */
export function imageOf(service: StackService): string {
  if (service.data.image !== undefined) return service.data.image;
  const build = service.data.build;
  const registry = service.environment.settings.repository?.imageRegistry;
  if (build === undefined || registry === undefined) {
    service.fail('build', 'a built service needs repository.imageRegistry in its environment, so targets know where CI pushes the image');
  }
  return `${registry}/${service.name}:sha-${buildContextHash(build)}`;
}

/**
 * The platform a built service's image is built for when it declares none: what GitHub's
 * ubuntu runners build natively (no QEMU emulation) and what Railway runs.
 */
export const DEFAULT_IMAGE_PLATFORM = 'linux/amd64';

/** The buildx platform list a built service's image is built for: the one it declares, or the default. */
export function imagePlatforms(service: StackService): string {
  return service.data.platform ?? DEFAULT_IMAGE_PLATFORM;
}
