/**
 * Every pinned third-party version in the stack, one plain string constant each.
 *
 * Renovate's regex manager finds each constant through the `// renovate:` comment on the line
 * above it and opens a pull request when a new release appears. Synth re-renders, and the diff
 * of `dist/` shows exactly which services change. Keep one comment per constant.
 */

// Jitsi Meet: web, prosody, jicofo and jvb are released together and must run the same tag.
// renovate: datasource=docker depName=ghcr.io/jitsi/web versioning=regex:^stable-(?<major>\d+)(?:-(?<minor>\d+))?$
export const JITSI_VERSION = 'stable-11146-2';

// TEN Framework's sources, at a release tag: services/ten-agent/Dockerfile builds the agent image
// from them (its `ARG TEN_VERSION` carries the same value; Renovate bumps both in one PR).
// renovate: datasource=github-tags depName=TEN-framework/ten-framework
export const TEN_VERSION = '0.11.71';

// TEN's build image, the builder stage of services/ten-agent/Dockerfile (same tag in its FROM).
// renovate: datasource=docker depName=ghcr.io/ten-framework/ten_agent_build
export const TEN_AGENT_BUILD_VERSION = '0.7.14';

// renovate: datasource=docker depName=postgres
export const POSTGRES_VERSION = '18.4-alpine';

// renovate: datasource=docker depName=redis
export const REDIS_VERSION = '8.10.2-alpine';

// Base image of the services built from this repository (current Node LTS, pinned by digest).
// renovate: datasource=docker depName=node
export const NODE_VERSION = '26.11.1-bookworm-slim@sha256:86f07bc9c5dce4578cf37e5a418b7bfc7f817cda25cde66e2b66e95ed86c4567';

// Compose's optional observability profile (development): Prometheus and Grafana.
// renovate: datasource=docker depName=prom/prometheus
export const PROMETHEUS_VERSION = 'v3.5.0';

// renovate: datasource=docker depName=grafana/grafana
export const GRAFANA_VERSION = '12.1.0';
