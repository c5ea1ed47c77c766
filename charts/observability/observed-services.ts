/**
 * The stack services the alerts and the voice dashboard watch, by the `service` label the scrape
 * configs give their series (the stack service name). An environment without one of them gets no
 * rule and no panel for it.
 */
export const OBSERVED_SERVICES = ['mcp-server', 'jitsi-agent-bridge', 'frontend', 'ten-agent', 'jitsi-jvb', 'jitsi-jicofo', 'jitsi-prosody'] as const;

export type ObservedService = (typeof OBSERVED_SERVICES)[number];

/** The observed services among an environment's service names, in OBSERVED_SERVICES order; the rest (postgres, redis) are not ours to watch. */
export function observedServices(serviceNames: Iterable<string>): ObservedService[] {
  const present = new Set(serviceNames);
  return OBSERVED_SERVICES.filter((service) => present.has(service));
}

/**
 * Each service we build exports `<prefix>_build_info{version,…} 1`; the deploy alert and the
 * dashboard's version annotations read them. Jitsi's components export none.
 */
export const BUILD_INFO_METRICS: Partial<Record<ObservedService, string>> = {
  'mcp-server': 'mcp_server_build_info',
  'jitsi-agent-bridge': 'agent_bridge_build_info',
  frontend: 'console_build_info',
};

/** A selector for the build-info series of the given services, or undefined when none of them exports one. */
export function buildInfoSelector(services: readonly ObservedService[]): string | undefined {
  const names = services.flatMap((service) => BUILD_INFO_METRICS[service] ?? []);
  return names.length === 0 ? undefined : `{__name__=~"${names.join('|')}"}`;
}

/** A label matcher value that matches exactly the given services: `mcp-server|frontend`. */
export function serviceRegex(services: readonly ObservedService[]): string {
  return services.join('|');
}
