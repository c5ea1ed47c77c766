import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { StackService } from '../../constructs/index.ts';
import { serviceLabels } from './labels.ts';

/** Name of the Secret the Doppler operator keeps in sync for a service. */
export function managedSecretName(service: StackService): string {
  return `${service.name}-secrets`;
}

/**
 * A `DopplerSecret` (secrets.doppler.com/v1alpha1): the Doppler operator copies exactly the
 * named secrets of the environment's Doppler config into the service's own Secret, every
 * `resyncSeconds`. The secret values never pass through this repository.
 */
export function dopplerSecret(scope: Construct, service: StackService, secretNames: string[]): ApiObject {
  const environment = service.environment;
  const settings = environment.settings;
  return new ApiObject(scope, 'doppler-secret', {
    apiVersion: 'secrets.doppler.com/v1alpha1',
    kind: 'DopplerSecret',
    metadata: {
      // DopplerSecrets live with the operator, so the name carries the namespace to stay unique.
      name: `${environment.namespace}-${service.name}`,
      namespace: settings.kubernetes.dopplerOperatorNamespace,
      labels: serviceLabels(service),
    },
    spec: {
      // A service token reads exactly one config, so each environment has its own.
      tokenSecret: { name: settings.kubernetes.dopplerTokenSecret ?? `doppler-token-${settings.doppler.config}` },
      project: settings.doppler.project,
      config: settings.doppler.config,
      secrets: secretNames,
      managedSecret: { name: managedSecretName(service), namespace: environment.namespace, type: 'Opaque' },
      resyncSeconds: 60,
    },
  });
}
