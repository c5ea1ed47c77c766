import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, pingIntervalMs } from '../../src/config.ts';
import { AGENT_JWT_TTL_SECONDS, mintAgentJwt } from '../../src/jitsi-jwt.ts';
import { PortPool } from '../../src/port-pool.ts';
import { ROOM_NAME_RULE, roomNameProblem } from '../../src/room-name.ts';

const VALID_ENV = {
  BRIDGE_API_TOKEN: 'x'.repeat(32),
  BRIDGE_ALLOWED_HOSTS: 'jitsi-agent-bridge, localhost',
  BRIDGE_ALLOWED_ORIGINS: 'https://console.example/',
  TEN_AGENT_URLS: 'http://ten-agent-0.ten-agent.voice.svc.cluster.local:8080/, http://ten-agent-1.ten-agent.voice.svc.cluster.local:8080',
  TEN_WORKER_PORTS: '8800-8809',
  JITSI_URL: 'https://meet.example',
  JITSI_JWT_APP_ID: 'voice-agent',
  JITSI_JWT_AUDIENCE: 'voice-agent',
  JITSI_JWT_SUBJECT: 'meet.jitsi',
  JWT_APP_SECRET: 's'.repeat(16),
};

describe('port pool', () => {
  it('hands out each port of the range once, reuses a freed port last, and refuses when empty', () => {
    const pool = new PortPool({ first: 8800, last: 8802 });
    expect([pool.take(), pool.take()]).toEqual([8800, 8801]);
    pool.release(8800);
    expect([pool.take(), pool.take(), pool.take()]).toEqual([8802, 8800, undefined]);
    expect(pool.available).toBe(0);
    pool.release(8801);
    expect(pool.available).toBe(1);
    expect(pool.take()).toBe(8801);
  });

  it('refuses to free a port twice or one it never gave out', () => {
    const pool = new PortPool({ first: 8800, last: 8800 });
    expect(() => pool.release(8800)).toThrow('port 8800 was not taken from this pool');
    pool.release(pool.take()!);
    expect(() => pool.release(8800)).toThrow('port 8800 was not taken from this pool');
    expect(() => new PortPool({ first: 9000, last: 8000 })).toThrow('a port range is first-last with 1 <= first <= last <= 65535, got 9000-8000');
  });
});

describe('room names', () => {
  it("takes the console's names", () => {
    for (const room of ['abc', 'order-desk', 'team-42', '0day', 'a'.repeat(63)]) expect(roomNameProblem(room), room).toBeUndefined();
  });

  it('refuses anything else, naming the rule', () => {
    for (const room of ['ab', 'Order-Desk', '-desk', 'a'.repeat(64), 'room.name', 'room_name', 'room name', 'räum', '../etc', 'room%2f']) {
      expect(roomNameProblem(room), room).toBe(ROOM_NAME_RULE);
    }
    expect(ROOM_NAME_RULE).toBe('a room name is 3 to 63 lowercase letters, digits or dashes, starting with a letter or digit');
  });
});

describe('configuration', () => {
  it('reads the contract defaults', () => {
    const config = loadConfig(VALID_ENV);
    expect(config).toMatchObject({
      PORT: 8090,
      HOST: '::',
      BRIDGE_ALLOWED_HOSTS: ['jitsi-agent-bridge', 'localhost'],
      BRIDGE_ALLOWED_ORIGINS: ['https://console.example'],
      TEN_AGENT_URLS: [
        { name: 'ten-agent-0', apiUrl: 'http://ten-agent-0.ten-agent.voice.svc.cluster.local:8080', workerHost: 'ten-agent-0.ten-agent.voice.svc.cluster.local' },
        { name: 'ten-agent-1', apiUrl: 'http://ten-agent-1.ten-agent.voice.svc.cluster.local:8080', workerHost: 'ten-agent-1.ten-agent.voice.svc.cluster.local' },
      ],
      TEN_AGENT_GRAPH: 'voice_agent',
      TEN_WORKER_BIND_HOST: '::',
      TEN_WORKER_PORTS: { first: 8800, last: 8809 },
      TEN_SESSION_TIMEOUT_SECONDS: 60,
      TEN_CONNECT_TIMEOUT_SECONDS: 30,
      JITSI_XMPP_DOMAIN: 'meet.jitsi',
      JITSI_MUC_DOMAIN: 'muc.meet.jitsi',
      JITSI_XMPP_TRANSPORT: 'websocket',
      AGENT_DISPLAY_NAME: 'AI agent',
      ROOMS_MAX: 12,
      ADMISSION_MIN_FREE_CPU: 0.25,
      EMPTY_ROOM_GRACE_SECONDS: 30,
      DRAIN_TIMEOUT_SECONDS: 30,
      VOICE_TIER_KEY_PREFIX: 'voice-tier:',
      CHROMIUM_PATH: '/usr/bin/chromium',
      LOG_LEVEL: 'info',
    });
    expect(loadConfig({ ...VALID_ENV, TEN_WORKER_PORTS: '8800' }).TEN_WORKER_PORTS).toEqual({ first: 8800, last: 8800 });
    // Without Redis the replica places rooms alone; no replica id or address is required.
    expect(loadConfig(VALID_ENV)).not.toHaveProperty('REDIS_URL');
    expect(loadConfig(VALID_ENV)).not.toHaveProperty('BRIDGE_REPLICA_ID');
  });

  it('names TEN replicas by their host, by an address and port, or as given', () => {
    const replicas = (text: string) => loadConfig({ ...VALID_ENV, TEN_AGENT_URLS: text }).TEN_AGENT_URLS.map(({ name, workerHost }) => `${name}@${workerHost}`);
    expect(replicas('http://ten-agent-0:8080,http://ten-agent-1.railway.internal:8080')).toEqual(['ten-agent-0@ten-agent-0', 'ten-agent-1@ten-agent-1.railway.internal']);
    expect(replicas('http://127.0.0.1:7001, http://[::1]:7002')).toEqual(['127.0.0.1:7001@127.0.0.1', '[::1]:7002@::1']);
    expect(replicas('ten-a=http://127.0.0.1:7001,ten-b=http://127.0.0.1:7002')).toEqual(['ten-a@127.0.0.1', 'ten-b@127.0.0.1']);
  });

  it('pings every quarter of the timeout, at least every 10 s', () => {
    expect(pingIntervalMs({ TEN_SESSION_TIMEOUT_SECONDS: 60 })).toBe(10_000);
    expect(pingIntervalMs({ TEN_SESSION_TIMEOUT_SECONDS: 20 })).toBe(5_000);
    expect(pingIntervalMs({ TEN_SESSION_TIMEOUT_SECONDS: 2 })).toBe(500);
  });

  it('names every missing variable in one error', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(
      'invalid configuration: BRIDGE_API_TOKEN is not set; BRIDGE_ALLOWED_HOSTS give at least one host name; BRIDGE_ALLOWED_ORIGINS give at least one origin; TEN_AGENT_URLS is not set; TEN_WORKER_PORTS is not set; JITSI_URL is not set; JITSI_JWT_APP_ID is not set; JITSI_JWT_AUDIENCE is not set; JITSI_JWT_SUBJECT is not set; JWT_APP_SECRET is not set',
    );
  });

  it('names the variable and the rule for a bad value, never the value', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ BRIDGE_API_TOKEN: 'short-secret-token' }, 'BRIDGE_API_TOKEN must be at least 32 characters'],
      [{ JWT_APP_SECRET: 'short-jwt' }, 'JWT_APP_SECRET must be at least 16 characters'],
      [{ TEN_WORKER_PORTS: '8809-8800' }, 'TEN_WORKER_PORTS must be a port range first-last (e.g. 8800-8809) with 1 <= first <= last <= 65535'],
      [{ TEN_WORKER_PORTS: '88000' }, 'TEN_WORKER_PORTS must be a port range first-last (e.g. 8800-8809) with 1 <= first <= last <= 65535'],
      [{ TEN_AGENT_URLS: 'ten-agent:8080' }, 'TEN_AGENT_URLS must be a comma-separated list of http:// URLs of TEN agent servers, each optionally as name=url'],
      [{ TEN_AGENT_URLS: ' , ' }, 'TEN_AGENT_URLS give at least one TEN agent server URL'],
      [{ TEN_AGENT_URLS: 'http://ten-agent-0:8080,http://ten-agent-0.other:8080' }, 'TEN_AGENT_URLS names the replica ten-agent-0 twice: each TEN replica needs its own name'],
      [{ REDIS_URL: 'http://redis:6379' }, 'REDIS_URL must be a redis:// or rediss:// URL'],
      [{ TEN_SESSION_TIMEOUT_SECONDS: '1.5' }, 'TEN_SESSION_TIMEOUT_SECONDS must be a whole number from 1 to 86400 (seconds)'],
      [{ EMPTY_ROOM_GRACE_SECONDS: 'soon' }, 'EMPTY_ROOM_GRACE_SECONDS must be a number of seconds, at least 0'],
      [{ ROOMS_MAX: '0' }, 'ROOMS_MAX must be a whole number from 1 to 1000 (rooms)'],
      [{ JITSI_XMPP_TRANSPORT: 'xmpp' }, 'JITSI_XMPP_TRANSPORT must be websocket or bosh'],
      [{ ADMISSION_MIN_FREE_CPU: '-1' }, 'ADMISSION_MIN_FREE_CPU must be a number of cores from 0 to 64'],
      [{ ADMISSION_MIN_FREE_CPU: 'lots' }, 'ADMISSION_MIN_FREE_CPU must be a number of cores from 0 to 64'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"'],
    ];
    for (const [override, message] of cases) {
      let error: unknown;
      try {
        loadConfig({ ...VALID_ENV, ...override });
      } catch (thrown) {
        error = thrown;
      }
      expect(error, JSON.stringify(override)).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(`invalid configuration: ${message}`);
    }
    // Secrets are not repeated back.
    for (const override of [{ BRIDGE_API_TOKEN: 'short-secret-token' }, { JWT_APP_SECRET: 'short-jwt' }]) {
      expect(() => loadConfig({ ...VALID_ENV, ...override })).toThrow(/^(?![\s\S]*short-)/);
    }
  });
});

describe('JITSI_XMPP_TRANSPORT', () => {
  it('is the websocket unless set, and takes bosh for a jitsi-web without /xmpp-websocket', () => {
    expect(loadConfig(VALID_ENV).JITSI_XMPP_TRANSPORT).toBe('websocket');
    expect(loadConfig({ ...VALID_ENV, JITSI_XMPP_TRANSPORT: 'bosh' }).JITSI_XMPP_TRANSPORT).toBe('bosh');
    expect(loadConfig({ ...VALID_ENV, JITSI_XMPP_TRANSPORT: 'websocket' }).JITSI_XMPP_TRANSPORT).toBe('websocket');
    expect(() => loadConfig({ ...VALID_ENV, JITSI_XMPP_TRANSPORT: 'BOSH' })).toThrow('invalid configuration: JITSI_XMPP_TRANSPORT must be websocket or bosh');
  });
});

describe("the agent's room JWT", () => {
  it('is HS256 with the room, the display name and no moderator rights, valid for its lifetime', async () => {
    const config = loadConfig({ ...VALID_ENV, AGENT_DISPLAY_NAME: 'Support agent' });
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    const jwt = await mintAgentJwt(config, 'order-desk', now);
    const { payload, protectedHeader } = await jwtVerify(jwt, new TextEncoder().encode(config.JWT_APP_SECRET), {
      issuer: 'voice-agent',
      audience: 'voice-agent',
      subject: 'meet.jitsi',
      currentDate: new Date(now),
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({
      room: 'order-desk',
      context: { user: { id: 'agent-bridge', name: 'Support agent', moderator: false, affiliation: 'member' } },
      iss: 'voice-agent',
      aud: 'voice-agent',
      sub: 'meet.jitsi',
      iat: now / 1000,
      nbf: now / 1000 - 10,
      exp: now / 1000 + AGENT_JWT_TTL_SECONDS,
    });
    await expect(jwtVerify(jwt, new TextEncoder().encode('another-secret-of-16'))).rejects.toThrow();
  });
});
