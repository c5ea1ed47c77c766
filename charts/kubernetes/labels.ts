import type { StackService } from '../../constructs/index.ts';

/** The label that selects a service's pods; NetworkPolicies and Services match on it. */
export const NAME_LABEL = 'app.kubernetes.io/name';

/** Recommended Kubernetes labels for every object of a service. */
export function serviceLabels(service: StackService): Record<string, string> {
  return {
    [NAME_LABEL]: service.name,
    'app.kubernetes.io/instance': `voice-agent-${service.environment.name}`,
    'app.kubernetes.io/part-of': 'voice-agent',
    'app.kubernetes.io/managed-by': 'cdk8s',
  };
}

/** Labels that select a service's pods. */
export function selectorLabels(serviceName: string): Record<string, string> {
  return { [NAME_LABEL]: serviceName };
}
