import type { HealthCheckProps } from './service-props.ts';

/**
 * The health check of a service we build on the Node image: HTTP for Kubernetes and Railway, and
 * for Compose an exec form with Node's own fetch (the slim image has no curl or wget). With
 * `readinessPath`, readiness (Kubernetes, Railway's deploy gate) asks that path instead.
 */
export function nodeHttpHealthCheck(port: number, path: string, readinessPath?: string): HealthCheckProps {
  return {
    http: { path, port, ...(readinessPath !== undefined ? { readinessPath } : {}) },
    exec: ['node', '-e', `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
  };
}
