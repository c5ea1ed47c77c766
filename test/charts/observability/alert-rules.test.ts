/**
 * The alert rules as data: promtool accepts every rule of every service set (and rejects a
 * broken one, so the check can fail), rules of absent services are left out, and options out of
 * range are refused with a message naming them.
 */
import { describe, expect, it } from 'vitest';
import { alertRuleGroups, OBSERVED_SERVICES, observedServices, type ObservedService } from '../../../charts/observability/index.ts';
import { checkRules } from './promtool.ts';

const ALL = [...OBSERVED_SERVICES];

function alertNames(services: readonly ObservedService[]): string[] {
  return alertRuleGroups({ services }).flatMap((group) => group.rules.map((rule) => rule.alert));
}

describe('alertRuleGroups', () => {
  it('promtool check rules accepts every rule when every observed service is present', () => {
    const groups = alertRuleGroups({ services: ALL });
    const count = groups.reduce((sum, group) => sum + group.rules.length, 0);
    const run = checkRules(groups);
    expect(run.status, run.output).toBe(0);
    // An empty or unparsed file also "succeeds" with 0 rules: the count proves promtool read ours.
    expect(run.output).toContain(`SUCCESS: ${count} rules found`);
    expect(count).toBe(15);
  });

  it('promtool check rules rejects a broken expression and a duration it cannot read, naming them', () => {
    const [group] = alertRuleGroups({ services: ['mcp-server'] });
    const rule = group!.rules[0]!;
    const brokenExpr = checkRules([{ name: 'broken', rules: [{ ...rule, expr: 'sum(rate(mcp_tool_calls_total[10m])' }] }]);
    expect(brokenExpr.status).toBe(1);
    expect(brokenExpr.output).toContain('FAILED');
    expect(brokenExpr.output).toContain('unclosed left parenthesis');
    const brokenFor = checkRules([{ name: 'broken', rules: [{ ...rule, for: '5 minutes' as '5m' }] }]);
    expect(brokenFor.status).toBe(1);
    expect(brokenFor.output).toContain('not a valid duration string: "5 minutes"');
  });

  it('promtool check rules accepts the rules of each service alone and of none', () => {
    for (const service of ALL) {
      const run = checkRules(alertRuleGroups({ services: [service] }));
      expect(run.status, `${service}: ${run.output}`).toBe(0);
    }
    expect(alertRuleGroups({ services: [] })).toEqual([]);
  });

  it('leaves out the rules of absent services, and no group is empty', () => {
    expect(alertNames(['mcp-server'])).toEqual(['McpToolErrorRatioHigh', 'McpAuditBacklogOld', 'McpAuditRecordsDropped', 'DeployRolledBack', 'ServiceDown', 'ScrapeTargetDown']);
    expect(alertNames(['jitsi-jvb'])).toEqual(['VideobridgeStressHigh', 'ServiceDown', 'ScrapeTargetDown']);
    expect(alertNames(['jitsi-jicofo'])).toEqual(['ServiceDown', 'ScrapeTargetDown']);
    expect(alertNames(['jitsi-agent-bridge'])).toEqual(['AgentCannotStart', 'AgentAddedLatencyHigh', 'DeployRolledBack', 'ServiceDown', 'ScrapeTargetDown']);
    for (const service of ALL) {
      for (const group of alertRuleGroups({ services: [service] })) expect(group.rules.length, group.name).toBeGreaterThan(0);
    }
    // Every query names only the services present: no rule watches the bridge in an environment without it.
    const mcpOnly = JSON.stringify(alertRuleGroups({ services: ['mcp-server'] }));
    expect(mcpOnly).not.toMatch(/agent_bridge|console_|jitsi-agent-bridge|frontend|jitsi_jvb/);
  });

  it('the rollback rule reads only the build info of the services present', () => {
    const deploys = (services: ObservedService[]) => alertRuleGroups({ services }).find((group) => group.name === 'voice-agent.deploys')?.rules[0]?.expr;
    expect(deploys(['frontend'])).toContain('{__name__=~"console_build_info"}');
    expect(deploys(['mcp-server', 'frontend'])).toContain('{__name__=~"mcp_server_build_info|console_build_info"}');
    // Jitsi's components export no build info.
    expect(deploys(['jitsi-jvb', 'jitsi-jicofo'])).toBeUndefined();
  });

  it('every alert has a severity, a summary, a description and a runbook', () => {
    for (const rule of alertRuleGroups({ services: ALL }).flatMap((group) => group.rules)) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity);
      for (const text of Object.values(rule.annotations)) expect(text.length, rule.alert).toBeGreaterThan(20);
    }
  });

  it('thresholds from the options reach the expressions and the text', () => {
    const groups = alertRuleGroups({ services: ALL, addedLatencyTargetSeconds: 0.15, toolErrorRatio: 0.07, toolErrorMinCalls: 30, auditMaxLagSeconds: 60, videobridgeStressThreshold: 0.9, rollbackWindowHours: 3 });
    const rule = (alert: string) => groups.flatMap((group) => group.rules).find((candidate) => candidate.alert === alert)!;
    expect(rule('AgentAddedLatencyHigh').expr).toContain('> 0.15');
    expect(rule('AgentAddedLatencyHigh').annotations.summary).toContain('150 ms target');
    expect(rule('McpToolErrorRatioHigh').expr).toMatch(/> 0\.07\nand\n.*>= 30$/);
    expect(rule('McpToolErrorRatioHigh').annotations.summary).toContain('threshold 7 %');
    expect(rule('McpAuditBacklogOld').expr).toMatch(/> 60$/);
    expect(rule('VideobridgeStressHigh').expr).toBe('jitsi_jvb_stress > 0.9');
    expect(rule('DeployRolledBack').expr).toContain('[3h:1m]');
    expect(rule('DeployRolledBack').expr).not.toContain('6h');
  });

  it('refuses options out of range, naming the option and the value', () => {
    expect(() => alertRuleGroups({ services: ALL, addedLatencyTargetSeconds: 0 })).toThrow('alert rules: addedLatencyTargetSeconds must be a positive number, got 0');
    expect(() => alertRuleGroups({ services: ALL, toolErrorRatio: 1.5 })).toThrow('alert rules: toolErrorRatio must be between 0 and 1, exclusive, got 1.5');
    expect(() => alertRuleGroups({ services: ALL, auditMaxLagSeconds: Number.NaN })).toThrow('auditMaxLagSeconds must be a positive number, got NaN');
    expect(() => alertRuleGroups({ services: ALL, rollbackWindowHours: 0.5 })).toThrow('alert rules: rollbackWindowHours must be a whole number of hours, at least 1, got 0.5');
  });
});

describe('observedServices', () => {
  it('keeps the observed services among an environment\'s names, in a fixed order', () => {
    expect(observedServices(['postgres', 'frontend', 'redis', 'mcp-server', 'jitsi-web'])).toEqual(['mcp-server', 'frontend']);
  });
});
