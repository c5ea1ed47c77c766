/**
 * The oldest Docker Compose the rendered files and the README's commands work with, and the
 * features that set it. Compose (the Go v2 plugin) accepts a file using a newer feature than it
 * knows with an error or, worse, silently ignores it; the Python `docker-compose` 1.x refuses
 * `name`, `develop` and tmpfs `mode` outright. Versions are those of Docker's Compose release
 * notes.
 */
export const MIN_COMPOSE_VERSION = '2.27.2';

/** One Compose feature: since which release it works, and whether a parsed file uses it. */
export interface ComposeFeature {
  readonly feature: string;
  readonly since: string;
  readonly uses: (services: ComposeServices) => boolean;
}

type ComposeServices = Record<string, Record<string, unknown>>;

const anyService = (test: (service: Record<string, unknown>) => boolean) => (services: ComposeServices) => Object.values(services).some(test);
const watchRules = (service: Record<string, unknown>) => ((service.develop as { watch?: Record<string, unknown>[] } | undefined)?.watch ?? []);
const volumes = (service: Record<string, unknown>) => (Array.isArray(service.volumes) ? (service.volumes as unknown[]) : []).filter((volume): volume is Record<string, unknown> => typeof volume === 'object' && volume !== null);
const dependsOn = (service: Record<string, unknown>) => Object.values((service.depends_on as Record<string, Record<string, unknown>> | undefined) ?? {});

/**
 * Features the renderers use, and newer ones they might start to use, so that doing so fails the
 * check until MIN_COMPOSE_VERSION (and the README) say so.
 */
export const COMPOSE_FEATURES: readonly ComposeFeature[] = [
  { feature: 'tmpfs mode on a volume (volumes[].tmpfs.mode)', since: '2.14.0', uses: anyService((service) => volumes(service).some((volume) => (volume.tmpfs as { mode?: unknown } | undefined)?.mode !== undefined)) },
  { feature: 'develop.watch ignore', since: '2.17.0', uses: anyService((service) => watchRules(service).some((rule) => rule.ignore !== undefined)) },
  { feature: 'depends_on.required', since: '2.20.2', uses: anyService((service) => dependsOn(service).some((dependency) => dependency.required !== undefined)) },
  { feature: 'develop.watch (generally available)', since: '2.22.0', uses: anyService((service) => watchRules(service).length > 0) },
  { feature: 'docker compose up --watch, the README\'s command for a file with develop.watch', since: '2.25.0', uses: anyService((service) => watchRules(service).length > 0) },
  { feature: 'COMPOSE_PROFILES read from .env, as .env.example suggests for profiles', since: '2.27.2', uses: anyService((service) => service.profiles !== undefined) },
  { feature: 'post_start / pre_stop hooks', since: '2.30.0', uses: anyService((service) => service.post_start !== undefined || service.pre_stop !== undefined) },
  { feature: 'develop.watch actions restart and sync+exec', since: '2.32.0', uses: anyService((service) => watchRules(service).some((rule) => rule.action === 'restart' || rule.action === 'sync+exec')) },
  { feature: 'develop.watch include', since: '2.34.0', uses: anyService((service) => watchRules(service).some((rule) => rule.include !== undefined)) },
  { feature: 'image volumes (volumes[].type: image)', since: '2.35.0', uses: anyService((service) => volumes(service).some((volume) => volume.type === 'image')) },
];

/** -1, 0 or 1 as release `a` is older than, the same as or newer than `b` (`2.27.2`). */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => version.split('.').map(Number);
  const [left, right] = [parts(a), parts(b)];
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** The features a parsed Compose file uses. */
export function composeFeaturesUsed(document: unknown): ComposeFeature[] {
  const services = ((document as { services?: ComposeServices } | null)?.services ?? {}) as ComposeServices;
  return COMPOSE_FEATURES.filter((feature) => feature.uses(services));
}

/** One line per feature a file uses that is newer than `minimum`. */
export function composeVersionProblems(file: string, document: unknown, minimum = MIN_COMPOSE_VERSION): string[] {
  return composeFeaturesUsed(document)
    .filter((feature) => compareVersions(feature.since, minimum) > 0)
    .map((feature) => `${file}: uses ${feature.feature}, which needs Docker Compose ${feature.since}, newer than the stated minimum ${minimum} (raise MIN_COMPOSE_VERSION in charts/compose-file/compose-version.ts and the README together)`);
}

/** The newest release a parsed file needs: the stated minimum, or a feature's if one is newer. */
export function composeVersionNeeded(document: unknown): string {
  return composeFeaturesUsed(document).reduce((newest, feature) => (compareVersions(feature.since, newest) > 0 ? feature.since : newest), '2.0.0');
}
