import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_IMAGE_PLATFORM } from '../../charts/images.ts';
import type { RenderedService } from './compose-rendering.ts';

/** An image the smoke test builds before it starts the stack, tagged as the rendering names it. */
export interface SmokeImage {
  readonly service: string;
  readonly image: string;
  /** Absolute. */
  readonly context: string;
  /** Absolute. */
  readonly dockerfile: string;
  readonly platforms: string;
}

/**
 * What the smoke test starts and checks, written by `smoke prepare` to smoke.json and read by
 * the later steps, so every step works from the same choice.
 */
export interface SmokePlan {
  readonly environment: string;
  /** Absolute paths. */
  readonly composeFile: string;
  readonly overrideFile: string;
  readonly envFile: string;
  readonly projectName: string;
  /** Compose profiles turned on: none, so only the core (services in no profile) starts. */
  readonly profiles: readonly string[];
  /** The services started, in the rendering's order. */
  readonly services: readonly string[];
  readonly notStarted: ReadonlyArray<{ readonly service: string; readonly reason: string }>;
  readonly images: readonly SmokeImage[];
  /** Each started service's healthcheck test, as the rendering gives it. */
  readonly healthCommands: Readonly<Record<string, readonly string[]>>;
  /** Host ports by service (TCP, the first the service publishes, the override's included). */
  readonly hostPorts: Readonly<Record<string, number>>;
  /** Where `smoke check` runs the stand-in Pipedream, and the host name the containers use for it. */
  readonly fakePipedream: { readonly port: number; readonly listen: string; readonly containerHost: string };
  /** The MCP server's catalog, rewritten to the stand-in Pipedream (tools.json in the smoke directory). */
  readonly catalog: string;
}

/**
 * The core of a Compose rendering: every service in no profile. The voice profile holds what
 * needs vendor keys (the TEN agent, and the agent bridge that needs it), which a smoke test with
 * throw-away secrets cannot have.
 */
export function coreServices(services: readonly RenderedService[]): RenderedService[] {
  return services.filter((service) => service.profiles.length === 0);
}

/** Why each profile's services are left out of the smoke test. */
const PROFILE_REASONS: Readonly<Record<string, string>> = {
  voice: 'needs vendor keys',
  observability: 'optional local Prometheus and Grafana',
};

/** Why a service is left out: the profiles it is in, and what they are for. */
export function notStartedReason(service: RenderedService): string {
  const why = service.profiles.map((profile) => PROFILE_REASONS[profile] ?? `profile ${profile}`).join('; ');
  return `in the ${service.profiles.join(', ')} profile (${why}; not started by the smoke test)`;
}

/** The images the smoke test builds: the started services Compose would build, with absolute paths. */
export function smokeImages(started: readonly RenderedService[], composeDirectory: string): SmokeImage[] {
  return started.flatMap((service) => {
    if (service.build === undefined) return [];
    if (service.image === undefined) throw new Error(`the Compose rendering gives ${service.name} a build but no image name to tag it with`);
    const context = resolve(composeDirectory, service.build.context);
    const dockerfile = isAbsolute(service.build.dockerfile) ? service.build.dockerfile : join(context, service.build.dockerfile);
    return [{ service: service.name, image: service.image, context, dockerfile, platforms: service.platform ?? DEFAULT_IMAGE_PLATFORM }];
  });
}

/**
 * docker buildx bake's JSON form: one target per image, loaded into Docker under the rendering's
 * image name, from (never to) the GitHub Actions cache the image build jobs fill under the
 * service's own scope. Elsewhere the cache import finds nothing and the build runs in full.
 */
export function bakeFile(images: readonly SmokeImage[]): object {
  return {
    group: { default: { targets: images.map((image) => image.service) } },
    target: Object.fromEntries(
      images.map((image) => [
        image.service,
        {
          context: image.context,
          dockerfile: image.dockerfile,
          tags: [image.image],
          platforms: image.platforms.split(','),
          'cache-from': [`type=gha,scope=${image.service}`],
        },
      ]),
    ),
  };
}
