import { readFileSync } from 'node:fs';
import { postgres, redis } from 'railway/iac';
import { describe, expect, it } from 'vitest';
import { whyNotPinned } from '../../constructs/image.ts';
import * as versions from '../../environments/versions.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';

const source = readFileSync(`${REPO_ROOT}/environments/versions.ts`, 'utf8');
const lines = source.split('\n');

describe('environments/versions.ts', () => {
  it('precedes every constant with a Renovate comment naming a datasource and package', () => {
    const constants = lines.flatMap((line, index) => (/^export const /.test(line) ? [index] : []));
    expect(constants.length).toBe(Object.keys(versions).length);
    for (const index of constants) {
      expect(lines[index - 1], `line before "${lines[index]}"`).toMatch(/^\/\/ renovate: datasource=[a-z-]+ depName=\S+/);
    }
  });

  it('holds only plain string constants that pin one release', () => {
    const images: Record<string, string> = {
      JITSI_VERSION: `ghcr.io/jitsi/web:${versions.JITSI_VERSION}`,
      TEN_AGENT_BUILD_VERSION: `ghcr.io/ten-framework/ten_agent_build:${versions.TEN_AGENT_BUILD_VERSION}`,
      POSTGRES_VERSION: `postgres:${versions.POSTGRES_VERSION}`,
      REDIS_VERSION: `redis:${versions.REDIS_VERSION}`,
      NODE_VERSION: `node:${versions.NODE_VERSION}`,
      PROMETHEUS_VERSION: `prom/prometheus:${versions.PROMETHEUS_VERSION}`,
      GRAFANA_VERSION: `grafana/grafana:${versions.GRAFANA_VERSION}`,
    };
    // TEN_VERSION is a git tag of TEN's sources, not an image.
    expect([...Object.keys(images), 'TEN_VERSION'].sort()).toEqual(Object.keys(versions).sort());
    for (const [name, image] of Object.entries(images)) expect(whyNotPinned(image), name).toBeUndefined();
    expect(versions.TEN_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(versions.NODE_VERSION).toMatch(/@sha256:[a-f0-9]{64}$/);
  });

  it('keeps Postgres and Redis on the major versions Railway runs, so every target agrees', () => {
    const railwayMajor = (image: string) => image.split(':')[1]?.split('.')[0];
    expect(versions.POSTGRES_VERSION.split('.')[0]).toBe(railwayMajor(postgres('postgres').image));
    expect(versions.REDIS_VERSION.split('.')[0]).toBe(railwayMajor(redis('redis').image));
  });
});
