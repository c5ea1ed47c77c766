import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scrapeConfigs } from '../../charts/compose/observability.ts';
import { COMPONENT_VERSION_METRIC, dashboardExpressions, voiceDashboard, type ObservedService } from '../../charts/observability/index.ts';
import { observabilityContent } from '../../charts/observability/observability-content.ts';
import { loadEnvironments } from '../../cli/load-environments.ts';
import { servicesOf, validateEnvironment, type StackEnvironment } from '../../constructs/index.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { DEVELOPMENT_FILE } from '../../dev/development-model.ts';
import { DEV_PROCESSES, FRONTEND_METRICS_PORT_VARIABLE, portVariable, type DevProcess } from '../../dev/settings.ts';
import { consoleCall } from '../../services/frontend/test/helpers/console-client.ts';
import { HumanBrowser, type Human } from '../../services/jitsi-agent-bridge/test/helpers/browser-harness.ts';
import { speechWav, type TestWav } from '../../services/jitsi-agent-bridge/test/standin-jitsi/test-audio.ts';
import { freePort } from '../helpers/free-port.ts';
import {
  DEV_LOCK_TIMEOUT_MS,
  descendantsOf,
  devDatabaseUrl,
  devRedisUrl,
  dropDevDatabases,
  environmentOfProcess,
  freeRange,
  readyLines,
  signInThroughConsole,
  startDev,
  stopDevRuns,
  testUserOf,
  waitForLine,
} from '../helpers/npm-run-dev.ts';
import { startPrometheus, type RunningPrometheus, type Sample } from '../helpers/prometheus-server.ts';

/**
 * A real Prometheus scrapes our services while `npm run dev` runs them as a developer does, and
 * evaluates our real alert rules; real traffic then gives every query of the voice dashboard
 * data: a sign-in, the tool list, a tool call that works and one that fails (not_connected: the
 * Pipedream stand-in's Connect has no account), a person in a room (Chromium with a spoken WAV as
 * its microphone) whom the agent hears and answers (the fake TEN's scripted answer, spoken by
 * espeak-ng), a second room, and a third start refused because the bridge is at ROOMS_MAX (2 in
 * development): the bridge's failed start, and the console's 503.
 *
 * Jitsi's video bridge and jicofo export their own series (jitsi_jvb_*, jitsi_jicofo_*), but no
 * Jitsi server runs here (npm run dev has stand-ins for jitsi-web only, and no media server); TEN's
 * runtime series come from its workers through the collector in the ten-agent image, and npm run
 * dev runs the fake agent server, which has neither. They are left out of the scrape, the rules
 * and the dashboard this test checks (voice-dashboard.test.ts evaluates TEN's panels with promtool).
 */

const SERVICES: ObservedService[] = ['mcp-server', 'jitsi-agent-bridge', 'frontend'];

const READY_TIMEOUT_MS = 420_000;
/** From the last event to every query answering as it should: a few scrapes, and rate()'s two samples. */
const SETTLE_TIMEOUT_MS = 120_000;
const TRAFFIC_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 120_000;

/** The person's question; the fake TEN answers every utterance with its default "I heard you.". */
const QUESTION = 'Where is my order?';
const ROOM = `live-prometheus-${Date.now().toString(36)}`;

let prometheus: RunningPrometheus | undefined;
let speech: TestWav | undefined;
let humans: HumanBrowser | undefined;
let human: Human | undefined;

afterAll(async () => {
  await human?.leave().catch(() => undefined);
  await humans?.close().catch(() => undefined);
  await stopDevRuns();
  await prometheus?.close();
  await speech?.remove();
  await dropDevDatabases();
}, STOP_TIMEOUT_MS);

/** The development environment, built and validated as synth and npm run dev build it. */
async function developmentEnvironment(): Promise<StackEnvironment> {
  const [environment] = await loadEnvironments([join(REPO_ROOT, DEVELOPMENT_FILE)]);
  if (environment === undefined) throw new Error(`${DEVELOPMENT_FILE} built no environment`);
  validateEnvironment(environment);
  return environment;
}

/**
 * The scrape jobs the rendered Compose profile has (charts/compose/observability.ts: job name,
 * metrics path, the `service` label), each pointed at the port npm run dev gives the service
 * instead of Docker's DNS name.
 */
function scrapeJobs(environment: StackEnvironment, metricsPorts: Readonly<Record<string, number>>): Array<Record<string, unknown>> {
  const scraped = servicesOf(environment).filter((service) => (SERVICES as string[]).includes(service.name));
  return scrapeConfigs(scraped).map(({ dns_sd_configs: _docker, ...job }) => {
    const port = metricsPorts[job['job_name'] as string];
    if (port === undefined) throw new Error(`no port for scrape job ${String(job['job_name'])}`);
    return { ...job, static_configs: [{ targets: [`127.0.0.1:${port}`] }] };
  });
}

/** Polls `check` (which returns what is still missing, or nothing) until it passes; throws with the last miss. */
async function until(what: string, check: () => Promise<string | undefined>, timeoutMs: number, pollMs = 1_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = await check().catch((error: unknown) => `(${(error as Error).message})`);
    if (missing === undefined) return;
    if (Date.now() > deadline) throw new Error(`${what}: still not so after ${timeoutMs / 1000} s: ${missing}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * What each dashboard query must answer after the traffic: at least one series always (the
 * brief of every panel), and for the ones the traffic moves, a series with a value above 0 (a
 * latency quantile that is NaN had no observation; a rate of 0 saw no event). The rest have
 * series from the start and may stay 0 (frames dropped, the audit backlog) or only need the
 * event to exist (a failed start, a 5xx, a tool error: labelled series that appear with it).
 */
const MUST_BE_POSITIVE: ReadonlyArray<RegExp> = [
  /agent_bridge_rooms\b/,
  /agent_bridge_participants\b/,
  /agent_bridge_ten_sessions\b/,
  /agent_bridge_response_latency_seconds_bucket/,
  /agent_bridge_added_latency_seconds_bucket/,
  /agent_bridge_frames_to_ten_total/,
  /agent_bridge_frames_from_ten_total/,
  /^sum by \(outcome\) \(rate\(mcp_tool_calls_total/,
  /mcp_tool_call_duration_seconds_bucket/,
  /console_http_request_duration_seconds_bucket/,
  /^count by \(service, version\)/,
  new RegExp(`^group by \\(component, version\\) \\(${COMPONENT_VERSION_METRIC}\\)$`),
  /^sum\(up\{/,
];

function judge(expr: string, samples: readonly Sample[]): string | undefined {
  if (samples.length === 0) return 'no series';
  if (!MUST_BE_POSITIVE.some((pattern) => pattern.test(expr))) return undefined;
  if (samples.some((sample) => Number.isFinite(sample.value) && sample.value > 0)) return undefined;
  return `no series above 0: ${samples.map((sample) => `${JSON.stringify(sample.metric)} ${sample.value}`).join(', ')}`;
}

describe('a real Prometheus scraping npm run dev', () => {
  it('scrapes every service, loads our alert rules without errors, and has data for every query of the voice dashboard', async () => {
    const environment = await developmentEnvironment();
    const ports = Object.fromEntries(await Promise.all(DEV_PROCESSES.map(async (name) => [name, await freePort()] as const))) as Record<DevProcess, number>;
    const consoleMetricsPort = await freePort();
    // Where each service serves /metrics under npm run dev: the MCP server and the bridge on their API port, the console on its private listener.
    const metricsPorts = { 'mcp-server': ports['mcp-server'], 'jitsi-agent-bridge': ports['jitsi-agent-bridge'], frontend: consoleMetricsPort };

    // Prometheus first, so it scrapes every counter at its start value before the traffic moves it.
    const content = observabilityContent(environment, servicesOf(environment).filter((service) => (SERVICES as string[]).includes(service.name)));
    prometheus = await startPrometheus(
      {
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: ['alert-rules.yml'],
        scrape_configs: scrapeJobs(environment, metricsPorts),
      },
      { 'alert-rules.yml': content.ruleGroups },
    );
    const prom = prometheus;
    speech = await speechWav(QUESTION, { leadMs: 800, tailMs: 8000 });

    const { dev, stdout, stderr } = await startDev([], {
      ...Object.fromEntries(DEV_PROCESSES.map((name) => [portVariable(name), String(ports[name])])),
      [FRONTEND_METRICS_PORT_VARIABLE]: String(consoleMetricsPort),
      DEV_TEN_WORKER_PORTS: await freeRange(),
      DEV_POSTGRES_URL: devDatabaseUrl(),
      // Database 3: apart from the tests' 0, a developer's npm run dev on 1 and test/dev's 2.
      DEV_REDIS_URL: devRedisUrl(3),
    });
    await waitForLine(dev, stdout, /^dev: all 8 are ready/m, READY_TIMEOUT_MS);
    const ready = readyLines(stdout());
    expect(ready.get('frontend')?.about).toContain(`metrics at http://127.0.0.1:${consoleMetricsPort}/metrics`);
    const consoleUrl = ready.get('frontend')!.url;
    const jitsiWebUrl = ready.get('jitsi-web')!.url;
    const { user, password } = testUserOf(ready.get('identity-provider')!.about);
    const failure = (message: string) => `${message}\n--- npm run dev stderr (last lines):\n${stderr().slice(-4000)}\n--- prometheus:\n${prom.output().slice(-2000)}`;

    const targetsUp = async () => {
      const { activeTargets } = await prom.api<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>('targets');
      const down = SERVICES.filter((service) => !activeTargets.some((target) => target.labels['job'] === service && target.health === 'up'));
      return down.length === 0 ? undefined : `down: ${down.map((service) => `${service} (${activeTargets.find((target) => target.labels['job'] === service)?.lastError ?? 'no target'})`).join(', ')}`;
    };
    await until('every scrape target up', targetsUp, 60_000);

    // Sign in, list the tools, one call that works and one that fails.
    const cookie = await signInThroughConsole(consoleUrl, ready.get('identity-provider')!.url, user, password);
    const listTools = async () => {
      const tools = await consoleCall(consoleUrl, '/api/tools', { cookie, timeoutMs: 120_000 });
      expect(tools.status, failure(await tools.clone().text())).toBe(200);
    };
    const callTool = async (name: string, args: Record<string, unknown>) => {
      const call = await consoleCall(consoleUrl, '/api/tools/call', { cookie, body: { name, arguments: args }, headers: { 'idempotency-key': randomUUID() }, timeoutMs: 120_000 });
      const outcome = (await call.json()) as { isError: boolean; text: string };
      expect(call.status, failure(JSON.stringify(outcome))).toBe(200);
      return outcome;
    };
    await listTools();
    expect((await callTool('lookup_order', { order_id: 'A-1001' })).isError).toBe(false);
    // A Connect action: the stand-in's Connect finds no account for the user (error class not_connected).
    expect((await callTool('send_slack_message', { text: 'From the live Prometheus test' })).isError).toBe(true);

    // A person in the room, as the console lets one in: a room token from the console, the
    // stand-in jitsi-web's page and XMPP, a spoken WAV as the microphone.
    const bridgeProcess = descendantsOf(dev.pid!).find((entry) => /services\/jitsi-agent-bridge\/src\/main\.ts/.test(entry.command));
    if (bridgeProcess === undefined) throw new Error(failure('no agent bridge process under npm run dev'));
    const bridgeEnv = environmentOfProcess(bridgeProcess.pid);
    const roomToken = async (room: string) => {
      const answer = await consoleCall(consoleUrl, '/api/room/token', { cookie, body: { room }, timeoutMs: 120_000 });
      const body = (await answer.json()) as { jwt?: string };
      if (answer.status !== 200 || body.jwt === undefined) throw new Error(failure(`/api/room/token answered ${answer.status}: ${JSON.stringify(body)}`));
      return body.jwt;
    };
    humans = await HumanBrowser.launch(
      {
        url: jitsiWebUrl,
        xmppDomain: bridgeEnv.get('JITSI_XMPP_DOMAIN')!,
        mucDomain: bridgeEnv.get('JITSI_MUC_DOMAIN')!,
        xmppWebSocket: bridgeEnv.get('JITSI_XMPP_TRANSPORT') !== 'bosh',
        mintJwt: ({ room }) => roomToken(room),
      },
      { wav: speech.path },
    );
    human = await humans.join({ room: ROOM, name: 'Ada' });

    const startAgent = (room: string) => consoleCall(consoleUrl, '/api/agent/start', { cookie, body: { room }, timeoutMs: 120_000 });
    const started = await startAgent(ROOM);
    const agent = (await started.json()) as { running?: boolean; agent?: { state?: string; participants?: Array<{ displayName: string }> } };
    expect(started.status, failure(JSON.stringify(agent))).toBe(200);
    expect(agent).toMatchObject({ running: true, agent: { state: 'active', participants: [{ displayName: 'Ada' }] } });
    // A second room fills the bridge (ROOMS_MAX 2 in development); a third start is refused for capacity.
    const second = await startAgent(`${ROOM}-2`);
    expect(second.status, failure(await second.clone().text())).toBe(200);
    const third = await startAgent(`${ROOM}-3`);
    expect(third.status, failure(await third.clone().text())).toBe(503);

    // Once Prometheus has the first call, a second: each call's series then rises between two scrapes.
    await until('the first tool call scraped', async () => ((await prom.query('mcp_tool_calls_total')).length > 0 ? undefined : 'no mcp_tool_calls_total'), 30_000);
    expect((await callTool('lookup_order', { order_id: 'A-1002' })).isError).toBe(false);
    await listTools();

    // Every expression of the dashboard, as Grafana runs it, until each answers (bounded); then one assertion naming every miss.
    const dashboard = voiceDashboard({ services: SERVICES, componentVersions: true });
    const expressions = dashboardExpressions(dashboard);
    const misses = async () => {
      const found = await Promise.all(expressions.map(async (expr) => ({ expr, miss: judge(expr, await prom.query(expr)) })));
      return found.filter((entry) => entry.miss !== undefined).map(({ expr, miss }) => `${expr}\n    → ${miss}`);
    };
    await until('every dashboard query answered', async () => {
      const missing = await misses();
      return missing.length === 0 ? undefined : `${missing.length} queries`;
    }, SETTLE_TIMEOUT_MS, 2_000).catch(() => undefined);
    const missing = await misses();
    expect(missing, failure(`dashboard queries without data:\n${missing.join('\n')}`)).toEqual([]);

    // Every job up, and the `service` label on each service's up series.
    expect(await targetsUp()).toBeUndefined();
    for (const service of SERVICES) {
      const up = await prom.query(`up{service="${service}"}`);
      expect(up.map((sample) => [sample.metric['job'], sample.value]), `up{service="${service}"}`).toEqual([[service, 1]]);
    }
    // The pinned versions the recording rule records for the development environment.
    const components = (await prom.query(COMPONENT_VERSION_METRIC)).map((sample) => sample.metric['component']).sort();
    expect(components).toEqual(['jitsi', 'mcp-sdk', 'ten']);

    // Every rule group of the file loaded, every rule evaluated without an error.
    const groupNames = content.ruleGroups.groups.map((group) => group.name);
    type RulesData = { groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> };
    await until('every rule evaluated', async () => {
      const { groups } = await prom.api<RulesData>('rules');
      const unevaluated = groups.flatMap((group) => group.rules.filter((rule) => rule.health === 'unknown').map((rule) => `${group.name}/${rule.name}`));
      return unevaluated.length === 0 ? undefined : unevaluated.join(', ');
    }, 30_000);
    const { groups } = await prom.api<RulesData>('rules');
    expect(groups.map((group) => group.name).sort()).toEqual([...groupNames].sort());
    const unhealthy = groups.flatMap((group) => group.rules.filter((rule) => rule.health !== 'ok').map((rule) => `${group.name}/${rule.name}: ${rule.health} ${rule.lastError ?? ''}`));
    expect(unhealthy).toEqual([]);
    const loaded = groups.flatMap((group) => group.rules.map((rule) => `${group.name}/${rule.name}`)).sort();
    const written = content.ruleGroups.groups.flatMap((group) => group.rules.map((rule) => `${group.name}/${'alert' in rule ? rule.alert : rule.record}`)).sort();
    expect(loaded).toEqual(written);
  }, DEV_LOCK_TIMEOUT_MS + READY_TIMEOUT_MS + TRAFFIC_TIMEOUT_MS);
});
