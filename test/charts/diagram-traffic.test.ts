import { beforeAll, describe, expect, it } from 'vitest';
import { renderEnvironments } from '../../charts/render.ts';
import { targetsOf } from '../../charts/targets/index.ts';
import { servicesOf, StackService, type StackEnvironment } from '../../constructs/index.ts';
import { testEnvironment } from '../helpers/model.ts';
import { render } from '../helpers/synth.ts';
import { edgeLines, trafficFlowchart, trafficSettings, type Flowchart } from './diagram-mermaid.ts';

let environments: StackEnvironment[];
let pages: Map<string, string>;

beforeAll(async () => {
  const rendered = await render();
  environments = rendered.environments;
  pages = new Map(environments.map((environment) => [environment.name, rendered.output.files.get(`dist/${environment.name}.md`) ?? '']));
});

function chart(environment: string, setting: string): Flowchart {
  return trafficFlowchart(pages.get(environment) ?? '', setting);
}

const ALL = ['postgres', 'redis', 'jitsi-prosody', 'jitsi-web', 'jitsi-jicofo', 'jitsi-jvb', 'mcp-server', 'ten-agent', 'jitsi-agent-bridge', 'frontend'];
const OUTSIDE = ['internet', 'STUN servers', 'Pipedream', 'speech and model vendors (deepgram, openai, elevenlabs)', 'identity provider'];

describe('the traffic diagrams of dist/<env>.md', () => {
  it('draws one per deployment of the environment, in Mermaid whose every line parses', () => {
    expect(environments.map((environment) => [environment.name, trafficSettings(pages.get(environment.name) ?? '')])).toEqual([
      ['development', ['compose']],
      ['staging', ['kubernetes', 'railway']],
      ['production', ['kubernetes', 'railway']],
    ]);
    // trafficFlowchart throws on a line it cannot read, an unbalanced subgraph or an undeclared node.
    for (const environment of environments) for (const setting of trafficSettings(pages.get(environment.name) ?? '')) expect(chart(environment.name, setting).edges.length).toBeGreaterThan(20);
  });

  it('puts every service in a box naming where its target runs it: the Docker host, the namespace, the Railway environment, the media host, outside', () => {
    expect(Object.fromEntries(chart('development', 'compose').boxes)).toEqual({ 'outside the stack': OUTSIDE, 'Docker host (Compose)': ALL });
    expect(Object.fromEntries(chart('staging', 'kubernetes').boxes)).toEqual({ 'outside the stack': OUTSIDE, 'Kubernetes cluster, namespace voice-agent-staging': ALL });
    expect(Object.fromEntries(chart('staging', 'railway').boxes)).toEqual({
      'outside the stack': OUTSIDE,
      'Railway project voice-agent, environment staging': ALL.filter((name) => name !== 'jitsi-jvb'),
      'media-host (off Railway, Docker Compose)': ['jitsi-jvb'],
    });
    // Production's databases are external on Kubernetes: a box of their own, outside the cluster.
    expect(Object.fromEntries(chart('production', 'kubernetes').boxes)).toEqual({
      'outside the stack': OUTSIDE,
      'external databases, connection secrets in Doppler': ['postgres', 'redis'],
      'Kubernetes cluster, namespace voice-agent-production': ALL.filter((name) => name !== 'postgres' && name !== 'redis'),
    });
    expect(chart('production', 'kubernetes').nodes.get('postgres')?.shape).toBe('database');
  });

  it('takes each box from the placement its target gives the service', () => {
    for (const environment of environments) {
      for (const target of targetsOf(environment)) {
        const boxes = chart(environment.name, target.setting).boxes;
        for (const service of servicesOf(environment)) {
          const placement = target.placement(service);
          if (placement !== undefined) expect(boxes.get(placement.place), `${environment.name}, ${target.name}: ${service.name}`).toContain(service.name);
        }
      }
    }
  });

  it('labels a public entry with the scheme its target serves it by: HTTP on local Compose, HTTPS where Kubernetes or Railway ends TLS', () => {
    const entries = (flowchart: Flowchart) => edgeLines(flowchart).filter((line) => line.startsWith('internet -> '));
    expect(entries(chart('development', 'compose'))).toEqual([
      'internet -> frontend: HTTP 3000: voice console',
      'internet -> jitsi-web: HTTP 8000: Jitsi Meet web app, BOSH',
      'internet -> jitsi-jvb: UDP 10000: WebRTC media',
    ]);
    expect(entries(chart('staging', 'kubernetes'))).toEqual([
      'internet -> frontend: HTTPS: voice console',
      'internet -> jitsi-web: HTTPS: Jitsi Meet web app, BOSH and XMPP WebSocket',
      'internet -> jitsi-jvb: UDP 10000: WebRTC media',
    ]);
    expect(entries(chart('staging', 'railway'))).toEqual([
      'internet -> jitsi-web: HTTPS: Jitsi Meet web app, BOSH and XMPP WebSocket',
      'internet -> frontend: HTTPS: voice console',
      'internet -> jitsi-jvb: UDP 10000: WebRTC media',
    ]);
  });

  it('labels each connection with its transport and what it carries, from the references and the ports', () => {
    const staging = edgeLines(chart('staging', 'kubernetes'));
    expect(staging).toEqual(
      expect.arrayContaining([
        'jitsi-web -> jitsi-prosody: HTTP 5280: BOSH and XMPP WebSocket',
        'jitsi-jicofo -> jitsi-prosody: TCP 5222: XMPP',
        'jitsi-jvb -> jitsi-prosody: TCP 5222: XMPP',
        // The agent's MCP client cannot send headers: SSE with its token in the path. The console uses Streamable HTTP.
        'ten-agent -> mcp-server: HTTP 8080 /sse/…: MCP',
        'frontend -> mcp-server: HTTP 8080 /mcp: MCP',
        'frontend -> jitsi-agent-bridge: HTTP 8090: agent bridge API',
        'jitsi-agent-bridge -> ten-agent: HTTP 8080: TEN API (/start, /stop, /ping)',
        'jitsi-agent-bridge -> ten-agent: TCP 8800-8804: WebSocket (session audio and messages)',
        'jitsi-agent-bridge -> jitsi-web: HTTP 8000: Jitsi Meet web app, BOSH and XMPP WebSocket',
        'jitsi-agent-bridge ..> jitsi-jvb: UDP 10000: WebRTC media, to its public address',
        'frontend -> postgres: TCP: PostgreSQL wire protocol',
        'jitsi-agent-bridge -> redis: TCP: Redis RESP',
        'mcp-server -> Pipedream: HTTPS: Connect API and workflows',
        'frontend -> identity provider: HTTPS: OpenID Connect',
        'jitsi-jvb -> STUN servers: UDP: STUN',
      ]),
    );
    // Development's web proxies BOSH only (no XMPP WebSocket on plain HTTP).
    expect(edgeLines(chart('development', 'compose'))).toContain('jitsi-web -> jitsi-prosody: HTTP 5280: BOSH');
    // The console reaches TEN only through the bridge, and Jitsi not at all: a public URL is no connection.
    expect(staging.filter((line) => /^frontend -> (ten-agent|jitsi-web)|^jitsi-web -> frontend/.test(line))).toEqual([]);
  });

  it('draws replicas calling each other only where there are several, and no service calling itself by the names it accepts', () => {
    expect(edgeLines(chart('production', 'kubernetes'))).toContain('jitsi-agent-bridge -> jitsi-agent-bridge: TCP 8090 between replicas: agent bridge API');
    // mcp-server and the bridge name their own host (MCP_ALLOWED_HOSTS, BRIDGE_ALLOWED_HOSTS); one replica each in development.
    expect(chart('development', 'compose').edges.filter((edge) => edge.from === edge.to)).toEqual([]);
  });

  it('says what a target changes on the way: a Railway TCP proxy off Railway, outbound UDP Railway does not promise', () => {
    const railway = edgeLines(chart('staging', 'railway'));
    expect(railway).toContain('jitsi-jvb -> jitsi-prosody: TCP 5222: XMPP, through a Railway TCP proxy, over the internet');
    expect(railway).toContain('jitsi-agent-bridge ..> jitsi-jvb: UDP 10000: WebRTC media, to its public address, not promised on railway, see the notes below');
    // Inside one place nothing is added: Railway's private network, the cluster's.
    expect(railway).toContain('jitsi-jicofo -> jitsi-prosody: TCP 5222: XMPP');
    expect(edgeLines(chart('staging', 'kubernetes')).filter((line) => line.includes('proxy') || line.includes('not promised'))).toEqual([]);
  });
});

describe('start order on the review page', () => {
  const image = 'nginx:1.27.3-alpine';
  let page: string;

  beforeAll(() => {
    const environment = testEnvironment();
    const database = new StackService(environment, 'db', { image, ports: [{ port: 5432, appProtocol: 'PostgreSQL wire protocol' }] });
    new StackService(environment, 'api', { image, env: { DB_HOST: database.host(5432), DB_PORT: database.portNumber(5432) } });
    // Waits for the API without talking to it: start order, no traffic.
    new StackService(environment, 'worker', { image, dependsOn: ['api'], egressToInternet: true, externalServices: [{ name: 'the "vendor" #1 <api>', protocol: 'HTTPS' }] });
    page = renderEnvironments([environment]).files.get('dist/test.md') ?? '';
  });

  it('lists what each service starts after in a table of its own', () => {
    const section = page.slice(page.indexOf('## Start order'), page.indexOf('## Secrets by service'));
    expect(section).toContain('| step | service | starts after |\n| --- | --- | --- |\n| 1 | db | — |\n| 2 | api | db |\n| 3 | worker | api |\n');
  });

  it('draws traffic only: the connection a reference makes, not the dependency dependsOn alone makes', () => {
    const lines = edgeLines(trafficFlowchart(page, 'compose'));
    expect(lines).toContain('api -> db: TCP 5432: PostgreSQL wire protocol');
    expect(lines.filter((line) => line.startsWith('worker -> api'))).toEqual([]);
    expect(page).not.toContain('starts after" -->');
  });

  it('writes any name into a label Mermaid reads back unchanged', () => {
    expect(edgeLines(trafficFlowchart(page, 'compose'))).toContain('worker -> the "vendor" #1 <api>: HTTPS');
  });
});
