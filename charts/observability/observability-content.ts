import { JitsiMeet, McpServer, TenAgent, type StackEnvironment, type StackService } from '../../constructs/index.ts';
import { alertRuleGroups } from './alert-rules.ts';
import { componentVersionRules, type ComponentVersions } from './component-versions.ts';
import type { Dashboard } from './grafana-dashboard.ts';
import { observedServices } from './observed-services.ts';
import type { RecordingRuleGroup, RuleGroup } from './prometheus-rules.ts';
import { voiceDashboard } from './voice-dashboard.ts';

/** The alert rules and the dashboard of one environment, as every target that renders them writes them. */
export interface ObservabilityContent {
  /** A Prometheus rules file: the alerts, then the recorded component versions. */
  readonly ruleGroups: { readonly groups: ReadonlyArray<RuleGroup | RecordingRuleGroup> };
  readonly dashboard: Dashboard;
}

/**
 * What Prometheus and Grafana get for the services a target runs and scrapes: rules and panels
 * only for services with metrics there (a rule about a service nobody scrapes would say it is
 * down forever), and the pinned versions of the parts the environment runs.
 */
export function observabilityContent(environment: StackEnvironment, scraped: readonly StackService[]): ObservabilityContent {
  const services = observedServices(scraped.filter((service) => service.data.metrics !== undefined).map((service) => service.name));
  const versions = componentVersions(environment);
  const recorded = componentVersionRules(versions);
  return {
    ruleGroups: { groups: [...alertRuleGroups({ services }), ...(recorded !== undefined ? [recorded] : [])] },
    dashboard: voiceDashboard({ services, componentVersions: recorded !== undefined }),
  };
}

/** TEN's, Jitsi's and the MCP SDK's versions, for the ones the environment's stack has. */
function componentVersions(environment: StackEnvironment): ComponentVersions {
  const constructs = environment.node.findAll();
  const versions: Record<string, string> = {};
  const ten = constructs.find((construct): construct is TenAgent => construct instanceof TenAgent);
  if (ten !== undefined) versions['ten'] = ten.tenVersion;
  const jitsi = constructs.find((construct): construct is JitsiMeet => construct instanceof JitsiMeet);
  if (jitsi !== undefined) versions['jitsi'] = jitsi.version;
  const mcp = constructs.find((construct): construct is McpServer => construct instanceof McpServer);
  if (mcp !== undefined) versions['mcp-sdk'] = mcp.sdkVersion;
  return versions;
}
