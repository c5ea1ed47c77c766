import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { StackEnvironment } from '../../constructs/index.ts';
import { namespacePolicies } from './network-policies.ts';

/**
 * The environment's namespace, enforcing the "restricted" Pod Security Standard, with
 * deny-by-default network policies.
 */
export class NamespaceChart extends Chart {
  constructor(scope: Construct, environment: StackEnvironment) {
    super(scope, '_namespace', { namespace: environment.namespace, disableResourceNameHashes: true });
    const namespace = new kplus.Namespace(this, 'namespace', {
      metadata: {
        name: environment.namespace,
        labels: {
          'app.kubernetes.io/part-of': 'voice-agent',
          'app.kubernetes.io/instance': `voice-agent-${environment.name}`,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });
    // A Namespace is cluster-scoped; the chart's default namespace must not land on it.
    ApiObject.of(namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    namespacePolicies(this);
  }
}
