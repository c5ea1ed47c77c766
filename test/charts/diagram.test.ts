import { beforeAll, describe, expect, it } from 'vitest';
import type { TargetWarning } from '../../charts/rendered-output.ts';
import { render } from '../helpers/synth.ts';

let staging: string;
let development: string;
let warnings: TargetWarning[];
let files: ReadonlyMap<string, string>;

beforeAll(async () => {
  const { output } = await render();
  staging = output.files.get('dist/staging.md') ?? '';
  development = output.files.get('dist/development.md') ?? '';
  warnings = output.warnings;
  files = output.files;
});

/** The page's secrets table: service → its secret names. */
function secretsTable(page: string): Map<string, string[]> {
  const section = page.slice(page.indexOf('## Secrets by service'), page.indexOf('## What the targets cannot express'));
  const rows = [...section.matchAll(/^\| ([a-z0-9-]+) \| ([A-Z0-9_, ]+) \|$/gm)];
  return new Map(rows.map((row) => [row[1]!, row[2]!.split(', ')]));
}

describe('dist/<env>.md', () => {
  it('tables placement per target, the secrets each service reads, and what targets cannot express', () => {
    expect(staging).toContain('| jitsi-jvb | `ghcr.io/jitsi/jvb:stable-11146-2` | 10000/udp (public), 8080/tcp | 1 | kubernetes; railway: off Railway on media-host |');
    expect(staging).toContain('| postgres | `postgres:18.4-alpine` | 5432/tcp | 1 | kubernetes; railway: postgres() |');
    expect(staging).toContain('| jitsi-prosody | JICOFO_AUTH_PASSWORD, JVB_AUTH_PASSWORD, JWT_APP_SECRET |');
    // Compose on the media host and Railway's own databases: the in-cluster databases' passwords are read on Kubernetes.
    expect(staging).toContain('| frontend | AGENT_BRIDGE_TOKEN, CONSOLE_SESSION_SECRET, JWT_APP_SECRET, MCP_CONSOLE_TOKEN, OIDC_CLIENT_SECRET, POSTGRES_PASSWORD, REDIS_PASSWORD |');
    expect(staging).toContain('| jitsi-agent-bridge | AGENT_BRIDGE_TOKEN, JWT_APP_SECRET, REDIS_PASSWORD |');
    expect(staging).toContain('| jitsi-agent-bridge | `build .` | 8090/tcp | 1 | kubernetes; railway |');
    expect(staging).toContain('| ten-agent | `build services/ten-agent` | 8080/tcp, 9464/tcp, 8800-8804/tcp (workers) | 1 |');
    expect(development).toContain('Targets: compose.');
  });

  it('lists the same secrets per service as dist/secrets/<env>.json, a database connection secret included', () => {
    for (const name of ['development', 'staging', 'production']) {
      const list = JSON.parse(files.get(`dist/secrets/${name}.json`) ?? '{}') as { services: Record<string, Record<string, string[]>> };
      // The list names each replica addressed on its own; the page lists them under their service.
      const expected = new Map<string, string[]>();
      for (const [service, names] of Object.entries(list.services)) {
        const owner = service.replace(/-\d+$/, '');
        expected.set(owner, [...new Set([...(expected.get(owner) ?? []), ...Object.keys(names)])].sort());
      }
      expect(secretsTable(files.get(`dist/${name}.md`) ?? ''), name).toEqual(expected);
    }
    // Production's databases are external on Kubernetes: their consumers read the connection secrets.
    expect(secretsTable(files.get('dist/production.md') ?? '').get('frontend')).toContain('DATABASE_URL');
  });

  it("lists exactly the environment's own warnings, in the order synth prints them", () => {
    for (const [name, page] of [['staging', staging], ['development', development]] as const) {
      const section = page.slice(page.indexOf('## What the targets cannot express\n\n') + '## What the targets cannot express\n\n'.length).trimEnd();
      const own = warnings.filter((warning) => warning.environment === name).map((warning) => `- ${warning.message}`);
      expect(own.length, name).toBeGreaterThan(0);
      expect(section.split('\n'), name).toEqual(own);
    }
  });
});
