import type { Construct } from 'constructs';
import { z } from 'zod';
import { JVB_MEDIA_PORT, type JitsiMeet } from './jitsi-meet.ts';
import { nodeHttpHealthCheck } from './node-health-check.ts';
import { checkProps, failForNewService } from './props-check.ts';
import { interpolate, secret, uniqueList, type ServiceEndpointRef } from './references.ts';
import type { Redis } from './redis.ts';
import { resourcesSchema, type ResourcesProps } from './service-props.ts';
import { StackService } from './stack-service.ts';
import type { TenAgent } from './ten-agent.ts';
import { describeValue } from './zod-issues.ts';

/** Properties of `JitsiAgentBridge`. */
export interface JitsiAgentBridgeProps {
  /** Runs one agent session per room; the bridge starts, pings and stops them and carries their audio. */
  readonly tenAgent: TenAgent;
  /** The meeting the agent joins, as a participant with a room token of its own. */
  readonly jitsi: JitsiMeet;
  /** Holds the leases that place rooms on bridge and TEN replicas, and the TEN replicas' drain marks. */
  readonly redis: Redis;
  /**
   * Bridges sharing the rooms: any replica takes the console's call for a room and forwards it to
   * the one that holds the room. @default 1
   */
  readonly replicas?: number;
  /**
   * Rooms the bridge holds at once; it answers "at capacity" beyond them. Each room takes one of
   * the TEN agent's worker ports, so it cannot exceed their number.
   * @default - 12 (the measured target on 2 cores), or the TEN agent's worker ports where fewer
   */
  readonly roomsMax?: number;
  /** Seconds a room may have no people in it before the agent leaves and its session stops. @default 30 */
  readonly emptyRoomGraceSeconds?: number;
  /**
   * Seconds SIGTERM gives running rooms to end cleanly (no new rooms meanwhile, /ready says 503);
   * the container's stop grace period is rendered longer, so they are not cut. A call that lasts
   * longer is cut. @default 1800
   */
  readonly drainTimeoutSeconds?: number;
  /** @default - sized for roomsMax from the measured figures (1000 millicores, 1024 MiB for 12 rooms) */
  readonly resources?: ResourcesProps;
}

const jitsiAgentBridgePropsSchema = z.strictObject({
  tenAgent: z.unknown(),
  jitsi: z.unknown(),
  redis: z.unknown(),
  replicas: z.number().int().min(1).max(100).optional(),
  roomsMax: z.number().int().min(1).max(100).optional(),
  emptyRoomGraceSeconds: z.number().int().min(0).max(3600).optional(),
  drainTimeoutSeconds: z.number().int().min(1).max(86400).optional(),
  resources: resourcesSchema.optional(),
});

const PORT = 8090;
/** The `node` user of the official Node image. */
const NODE_UID = 1000;
/** The rooms one replica holds on 2 cores, measured (research/voice-bridge.md, December 2026). */
const DEFAULT_ROOMS_MAX = 12;
/** Time after the drain limit for leaving the last room and closing the browser before a forced kill. */
const STOP_MARGIN_SECONDS = 10;

/**
 * The Jitsi agent bridge (services/jitsi-agent-bridge): joins a Jitsi room as the voice agent
 * ("AI agent"), in headless Chromium with lib-jitsi-meet loaded from the stack's own jitsi-web,
 * and carries the room's audio to a TEN session over the session's websocket port and the
 * agent's voice back. The console starts, stops and watches the agent in a room through its API.
 *
 * Its rooms (browser page, TEN session, port) live in one replica's memory. Rooms are placed on
 * bridge and TEN replicas by leases in Redis, and a replica that gets the console's call for a
 * room another holds forwards it there, on the peer's own address: its replicas reach each other.
 */
export class JitsiAgentBridge extends StackService {
  constructor(scope: Construct, id: string, props: JitsiAgentBridgeProps) {
    const fail = failForNewService(scope, id);
    checkProps(jitsiAgentBridgePropsSchema, props, fail);
    const { tenAgent, jitsi } = props;
    const workerPorts = tenAgent.workerPorts;
    const sessions = workerPorts.end - workerPorts.start + 1;
    if (props.roomsMax !== undefined && props.roomsMax > sessions) {
      fail(
        'roomsMax',
        `each room needs one of the TEN agent's worker ports, and "${tenAgent.name}" has ${sessions} (${workerPorts.start}-${workerPorts.end}), ` +
          `got ${describeValue(props.roomsMax)}; raise the TEN agent's workersMax or lower roomsMax`,
      );
    }
    const roomsMax = props.roomsMax ?? Math.min(DEFAULT_ROOMS_MAX, sessions);
    const drainTimeoutSeconds = props.drainTimeoutSeconds ?? 1800;
    super(scope, id, {
      description: 'Jitsi agent bridge: the voice agent in Jitsi rooms (headless Chromium) ↔ TEN sessions',
      // Built from the repository root, so the workspace's one lock file pins its dependencies.
      build: {
        context: '.',
        // Its image installs only this workspace's dependencies: others' upgrades do not rebuild it.
        npmWorkspace: { path: 'services/jitsi-agent-bridge', devDependencies: false },
        dockerfile: 'services/jitsi-agent-bridge/Dockerfile',
        // Exactly what the image is made of: its tests or README changing redeploys nothing.
        paths: [
          'package-lock.json',
          'services/jitsi-agent-bridge/Dockerfile',
          'services/jitsi-agent-bridge/package.json',
          'services/jitsi-agent-bridge/src',
        ],
      },
      ports: [{ name: 'http', port: PORT, appProtocol: 'agent bridge API' }],
      // Its only port is private already.
      metrics: { port: PORT },
      // /ready says 503 while the bridge drains, so it gets no new rooms; /health stays up.
      healthCheck: nodeHttpHealthCheck(PORT, '/health', '/ready'),
      // Forwarded calls for a room go to the replica that holds it.
      peerPorts: [PORT],
      // It has nothing to do without the TEN agent, so it runs where the agent runs.
      tier: 'voice',
      env: {
        PORT: String(PORT),
        HOST: '::',
        // The console knows this token as the bridge's; every /rooms call carries it.
        BRIDGE_API_TOKEN: secret('AGENT_BRIDGE_TOKEN'),
        // One per TEN replica: a session's websocket listens on its replica's host, on a port of
        // the range that the bridge allocates.
        TEN_AGENT_URLS: uniqueList(tenAgent.apiUrls),
        TEN_AGENT_GRAPH: tenAgent.graphName,
        TEN_WORKER_PORTS: `${workerPorts.start}-${workerPorts.end}`,
        // The `timeout` /start gives each session; the bridge pings well within it.
        TEN_SESSION_TIMEOUT_SECONDS: String(tenAgent.workerQuitTimeoutSeconds),
        // The bot page loads lib-jitsi-meet and XMPP from the stack's own web, on the private network.
        JITSI_URL: jitsi.webPrivateUrl,
        JITSI_XMPP_DOMAIN: jitsi.xmppDomain,
        JITSI_MUC_DOMAIN: jitsi.mucDomain,
        // A web rendered without /xmpp-websocket leaves the bot BOSH at /http-bind.
        JITSI_XMPP_TRANSPORT: jitsi.xmppTransport,
        // The agent's room token carries exactly the claims prosody checks, as the console's do.
        JITSI_JWT_APP_ID: jitsi.jwtAppId,
        JITSI_JWT_AUDIENCE: jitsi.jwtAudience,
        JITSI_JWT_SUBJECT: jitsi.xmppDomain,
        JWT_APP_SECRET: secret('JWT_APP_SECRET'),
        ROOMS_MAX: String(roomsMax),
        EMPTY_ROOM_GRACE_SECONDS: String(props.emptyRoomGraceSeconds ?? 30),
        DRAIN_TIMEOUT_SECONDS: String(drainTimeoutSeconds),
        REDIS_URL: props.redis.connectionUrl,
        // Debian's Chromium, installed in the image; playwright-core downloads no browser.
        CHROMIUM_PATH: '/usr/bin/chromium',
        LOG_LEVEL: 'info',
        // Chromium keeps its profile and caches under HOME, the one writable directory.
        HOME: '/tmp',
      },
      replicas: props.replicas ?? 1,
      resources: props.resources ?? resourcesFor(roomsMax),
      // Chromium runs with --disable-dev-shm-usage, so its shared memory goes to /tmp as files and
      // /dev/shm (64 MB in a container) need not be sized.
      volumes: [{ name: 'tmp', mountPath: '/tmp' }],
      runAs: { uid: NODE_UID, gid: NODE_UID },
      // Read-only like the other Node services. Traced on this machine (strace, Debian's Chromium
      // 156 under playwright-core, a page with an AudioContext and two peer connections): every
      // file it creates or writes is under /tmp (profile, HOME's caches, PulseAudio's runtime
      // directory). Only a run of the built image in a real conference proves it (no Docker
      // here); if Chromium fails to start there, this is the setting to turn off.
      readOnlyRootFilesystem: true,
      // Media goes to the video bridge at the public address it advertises (JVB_ADVERTISE_IPS),
      // which is the internet as far as the network is concerned, and TURN over TCP/TLS 443 when
      // UDP cannot leave.
      egressToInternet: true,
      udpEgress:
        `WebRTC media to "${jitsi.jvb.name}" at its advertised public address, UDP ${JVB_MEDIA_PORT}; ` +
        'fallback: a TURN relay over TCP or TLS on 443 that jitsi-prosody advertises (TURN_HOST, TURNS_HOST), which the stack does not deploy',
      drain: { seconds: drainTimeoutSeconds, marginSeconds: STOP_MARGIN_SECONDS },
    });
    tenAgent.allowWorkerConnections(this);
    // The Host names callers use on the private network, however the target spells it, and the
    // loopback names a port-forward or a health probe uses. Origins are the bridge's own: a page
    // of another origin (DNS rebinding included) never starts an agent.
    const hosts = [this.host(PORT), id, 'localhost', '127.0.0.1', '[::1]'];
    this.addEnv('BRIDGE_ALLOWED_HOSTS', uniqueList(hosts));
    this.addEnv('BRIDGE_ALLOWED_ORIGINS', uniqueList(hosts.map((host) => interpolate`http://${host}:${PORT}`)));
  }

  /** The controller API (/rooms/:room/agent, /rooms), for the console; calls carry AGENT_BRIDGE_TOKEN. */
  public get apiUrl(): ServiceEndpointRef {
    return this.url(PORT);
  }
}

/**
 * Resources for `rooms` rooms, from `npm run bench:bridge` on 2 cores (December 2026; all rooms
 * share one page): one Chromium takes about 290 MiB PSS whatever the rooms, each room 4–7 MiB more
 * (40 MiB budgeted, for rooms with more people), and each room about 0.14 of a core in Chromium
 * and 0.02 in the controller. So CPU is 250 millicores for the controller and the browser's own
 * processes plus 160 per room, and memory 300 MiB for the browser, 100 for the Node controller and
 * 40 per room, each rounded up (to 250 millicores, 256 MiB). For 12 rooms: 250 + 12 × 160 = 2170
 * → 2250 millicores; 300 + 100 + 12 × 40 = 880 → 1024 MiB. The CPU limit (twice the request)
 * leaves room for bursts; the bridge refuses a room while less than ADMISSION_MIN_FREE_CPU of it
 * is free.
 */
function resourcesFor(rooms: number): ResourcesProps {
  const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;
  return { cpuMillicores: roundUp(250 + 160 * rooms, 250), memoryMiB: roundUp(300 + 100 + 40 * rooms, 256) };
}
