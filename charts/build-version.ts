import type { StackService } from '../constructs/index.ts';
import { buildContextHash } from './images.ts';

/** The variable a built service reads its own version from, for its `*_build_info` series. */
export const BUILD_VERSION_VARIABLE = 'BUILD_VERSION';

/**
 * `BUILD_VERSION=sha-<hash>` for a service built from this repository, where its image is tagged
 * by that content hash (Kubernetes, Railway): the version its build_info series reports, so a
 * deploy, or a rollback to an earlier build, shows on the dashboard and in the alerts. It changes
 * exactly when the image does, so it redeploys nothing of its own. Compose builds a `:dev` image
 * that `--watch` rebuilds under the same name; there the services report their package version.
 */
export function buildVersionEnv(service: StackService): Record<string, string> {
  const build = service.data.build;
  if (build === undefined || service.env[BUILD_VERSION_VARIABLE] !== undefined) return {};
  return { [BUILD_VERSION_VARIABLE]: `sha-${buildContextHash(build)}` };
}
