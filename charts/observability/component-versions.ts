import type { RecordingRuleGroup } from './prometheus-rules.ts';

/**
 * The versions of the third-party parts the stack pins (TEN, Jitsi, the MCP SDK) as one series
 * each, `voice_agent_component_version_info{component, version} 1`. Prometheus evaluates it from
 * the rules the environment's rendering carries, so it changes when a bump is synced from main:
 * a Renovate update shows as a line on every graph even for parts that export no version of
 * their own (TEN's workers and Jitsi's components do not). The running MCP SDK is also in
 * mcp_server_build_info, read by the server from its own packages.
 */
export const COMPONENT_VERSION_METRIC = 'voice_agent_component_version_info';

/** Component name → pinned version, for the parts this environment runs. */
export type ComponentVersions = Readonly<Record<string, string>>;

/** The recording rules of the pinned versions, or undefined when the environment runs none of them. */
export function componentVersionRules(versions: ComponentVersions): RecordingRuleGroup | undefined {
  const entries = Object.entries(versions).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return undefined;
  return {
    name: 'voice-agent.versions',
    rules: entries.map(([component, version]) => ({ record: COMPONENT_VERSION_METRIC, expr: 'vector(1)', labels: { component, version } })),
  };
}
