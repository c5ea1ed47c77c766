import { isIP } from 'node:net';
import { Construct } from 'constructs';
import { z } from 'zod';
import { parseImage } from './image.ts';
import { checkProps, envValueSchema, failForNewConstruct, imageTagSchema } from './props-check.ts';
import { interpolate, secret, type EnvValue, type ServiceEndpointRef } from './references.ts';
import { resourcesSchema, type ResourcesProps, type VolumeProps } from './service-props.ts';
import { quoted } from './spec-error.ts';
import { StackService } from './stack-service.ts';
import { describeValue } from './zod-issues.ts';

/** Properties of `JitsiMeet`. */
export interface JitsiMeetProps {
  /**
   * The Jitsi release all four components run, the tag of their images: `stable-11146-2`. The
   * environment files pass the pin that Renovate keeps current in `environments/versions.ts`.
   */
  readonly version: string;
  /**
   * Public IP addresses clients use to reach the video bridge's UDP port (the LoadBalancer IP in
   * Kubernetes, the host's public IP for Compose). Without them, calls of three or more fail.
   */
  readonly advertiseIps: string[];
  /** JWT `iss` values prosody accepts. @default - [appId] */
  readonly jwtAcceptedIssuers?: string[];
  /** JWT `aud` values prosody accepts; Jitsi accepts any audience unless this is set. @default - [appId] */
  readonly jwtAcceptedAudiences?: string[];
  /** The JWT application id (`JWT_APP_ID`). @default 'voice-agent' */
  readonly jwtAppId?: string;
  /**
   * Sources in `frame-ancestors` of the web component's CSP, i.e. who may embed the meeting.
   * Services of the stack are added by reference with `allowEmbeddingBy`. @default "'self'"
   */
  readonly frameAncestors?: EnvValue;
  /**
   * XMPP over WebSocket between browsers and web. The web image builds the WebSocket URL as
   * `wss://<PUBLIC_URL host>`, so turn it off where the public URL is plain HTTP (local Compose);
   * browsers then use BOSH over the same origin. @default true
   */
  readonly xmppWebSocket?: boolean;
  /** Time zone of all components. @default 'UTC' */
  readonly timeZone?: string;
  /** Replicas of the web component (stateless nginx). @default 1 */
  readonly webReplicas?: number;
  /** @default - sized per component for a small deployment */
  readonly resources?: Partial<Record<'web' | 'prosody' | 'jicofo' | 'jvb', ResourcesProps>>;
  /**
   * The IPv4 block whose addresses prosody answers `/metrics` to (`PROSODY_METRICS_ALLOWED_CIDR`;
   * the image's own default is 172.16.0.0/12, Docker's usual networks). Who reaches the port at
   * all is the network's business (the NetworkPolicy on Kubernetes admits only web, jicofo, the
   * video bridge and the monitoring namespace), so by default any address that gets there, since
   * the scraping Prometheus's pod or container address is not known in advance.
   * @default '0.0.0.0/0'
   */
  readonly prosodyMetricsAllowedCidr?: string;
}

/** A JWT claim value prosody compares; its lists are comma-separated. */
const jwtClaim = z.string().regex(/^[^\s,\x00-\x1f\x7f]+$/, 'must be a non-empty value without spaces or commas (prosody reads a comma-separated list)');

const jitsiMeetPropsSchema = z.strictObject({
  version: imageTagSchema,
  advertiseIps: z
    .array(z.string().refine((address) => isIP(address) !== 0, 'must be an IP address: the video bridge hands it to browsers as a media candidate, and names are not resolved there'))
    .min(1, 'give the public IP address(es) browsers reach the video bridge at'),
  jwtAcceptedIssuers: z.array(jwtClaim).min(1, 'give at least one issuer, or leave it out for [jwtAppId]').optional(),
  jwtAcceptedAudiences: z.array(jwtClaim).min(1, 'give at least one audience, or leave it out for [jwtAppId]; an empty list would accept any').optional(),
  jwtAppId: jwtClaim.optional(),
  frameAncestors: envValueSchema.optional(),
  xmppWebSocket: z.boolean().optional(),
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin').optional(),
  webReplicas: z.number().optional(),
  resources: z
    .strictObject({ web: resourcesSchema.optional(), prosody: resourcesSchema.optional(), jicofo: resourcesSchema.optional(), jvb: resourcesSchema.optional() })
    .optional(),
  prosodyMetricsAllowedCidr: z.cidrv4('must be an IPv4 block such as 10.0.0.0/8 (prosody takes one)').optional(),
});

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The media port of the video bridge; clients send RTP over UDP here. */
export const JVB_MEDIA_PORT = 10000;

const WEB_HTTP_PORT = 8000;
const PROSODY_C2S_PORT = 5222;
const PROSODY_HTTP_PORT = 5280;
const JICOFO_REST_PORT = 8888;
const JVB_HTTP_PORT = 8080;
/** The rootless Jitsi images (stable-11146 and later) run as uid/gid 1000. */
const JITSI_UID = 1000;

/** The XMPP domain of the rooms; room tokens carry it as their `sub`. */
const XMPP_DOMAIN = 'meet.jitsi';

/** The XMPP domain of the conference rooms (prosody's MUC component), `hosts.muc` to a client. */
const XMPP_MUC_DOMAIN = 'muc.meet.jitsi';

/** Internal XMPP domains; they need no DNS records. */
const XMPP_DOMAINS = {
  XMPP_DOMAIN,
  XMPP_AUTH_DOMAIN: 'auth.meet.jitsi',
  XMPP_MUC_DOMAIN,
  XMPP_INTERNAL_MUC_DOMAIN: 'internal-muc.meet.jitsi',
  XMPP_GUEST_DOMAIN: 'guest.meet.jitsi',
  XMPP_HIDDEN_DOMAIN: 'hidden.meet.jitsi',
};

/** Room access by JWT only: no anonymous guests. */
const JWT_AUTH = { ENABLE_AUTH: '1', AUTH_TYPE: 'jwt', ENABLE_GUESTS: '0' };

/** The rootless images write only to /config, /run and /tmp; everything else stays read-only. */
function writableDirs(extra: VolumeProps[] = []): VolumeProps[] {
  return [
    { name: 'config', mountPath: '/config' },
    { name: 'run', mountPath: '/run' },
    { name: 'tmp', mountPath: '/tmp' },
    ...extra,
  ];
}

/**
 * Self-hosted Jitsi Meet as its four components, all from one image version:
 * `jitsi-web` (UI and BOSH/WebSocket proxy), `jitsi-prosody` (XMPP), `jitsi-jicofo` (focus) and
 * `jitsi-jvb` (video bridge, public UDP). Rooms require a JWT signed with JWT_APP_SECRET.
 */
export class JitsiMeet extends Construct {
  public readonly web: StackService;
  public readonly prosody: StackService;
  public readonly jicofo: StackService;
  public readonly jvb: StackService;
  /** The release tag all four components run (`stable-NNNN`), for the version metrics. */
  public readonly version: string;
  /** The JWT application id prosody knows (`JWT_APP_ID`); room tokens name it as their `iss`. */
  public readonly jwtAppId: string;
  /** The `aud` room tokens carry: the first audience prosody accepts. */
  public readonly jwtAudience: string;
  /** The XMPP domain of the rooms; room tokens carry it as their `sub`. */
  public readonly xmppDomain: string = XMPP_DOMAIN;
  /** The XMPP domain of the conference rooms, which a client joining by XMPP names as `hosts.muc`. */
  public readonly mucDomain: string = XMPP_MUC_DOMAIN;
  /**
   * How a client reaches XMPP through the web: `websocket` (`/xmpp-websocket`), or `bosh`
   * (`/http-bind`) where the web is rendered without the websocket, which it then does not serve.
   */
  public readonly xmppTransport: 'websocket' | 'bosh';
  /** Who may embed the meeting, in order: the configured sources, then services added by `allowEmbeddingBy`. */
  private readonly frameAncestors: EnvValue[];

  constructor(scope: Construct, id: string, props: JitsiMeetProps) {
    checkProps(jitsiMeetPropsSchema, props, failForNewConstruct(scope, id));
    super(scope, id);
    const appId = props.jwtAppId ?? 'voice-agent';
    const acceptedAudiences = props.jwtAcceptedAudiences ?? [appId];
    this.jwtAppId = appId;
    this.version = props.version;
    this.jwtAudience = acceptedAudiences[0] ?? appId;
    this.xmppTransport = props.xmppWebSocket === false ? 'bosh' : 'websocket';
    this.frameAncestors = [props.frameAncestors ?? "'self'"];
    const common: Record<string, EnvValue> = {
      TZ: props.timeZone ?? 'UTC',
      ...XMPP_DOMAINS,
      // Kubernetes emptyDirs and Compose tmpfs mounts are world-writable; s6 refuses /run
      // like that unless told it is expected.
      S6_YES_I_WANT_A_WORLD_WRITABLE_RUN_BECAUSE_KUBERNETES: '1',
    };
    const image = (component: string) => `ghcr.io/jitsi/${component}:${props.version}`;
    // What web proxies to prosody's HTTP port: BOSH, and XMPP over WebSocket unless it is off.
    const xmppOverHttp = this.xmppTransport === 'bosh' ? 'BOSH' : 'BOSH and XMPP WebSocket';
    const resources = props.resources ?? {};

    this.prosody = new StackService(this, 'jitsi-prosody', {
      description: 'Jitsi XMPP server (prosody)',
      image: image('prosody'),
      ports: [
        { name: 'xmpp-c2s', port: PROSODY_C2S_PORT, appProtocol: 'XMPP' },
        { name: 'bosh', port: PROSODY_HTTP_PORT, appProtocol: xmppOverHttp },
      ],
      // /health answers 403 to anyone but localhost, so remote probes use /http-bind.
      healthCheck: {
        http: { path: '/http-bind', port: PROSODY_HTTP_PORT },
        exec: ['/usr/local/bin/healthcheck.sh'],
      },
      // The image's template loads mod_http_openmetrics when PROSODY_ENABLE_METRICS is true
      // (prosody/rootfs/defaults/prosody.cfg.lua): prosody_* series at /metrics on the HTTP port,
      // answered to source addresses in PROSODY_METRICS_ALLOWED_CIDR only.
      metrics: { port: PROSODY_HTTP_PORT },
      env: {
        ...common,
        PROSODY_ENABLE_METRICS: 'true',
        PROSODY_METRICS_ALLOWED_CIDR: props.prosodyMetricsAllowedCidr ?? '0.0.0.0/0',
        ...JWT_AUTH,
        JWT_APP_ID: appId,
        JWT_APP_SECRET: secret('JWT_APP_SECRET'),
        JWT_ACCEPTED_ISSUERS: (props.jwtAcceptedIssuers ?? [appId]).join(','),
        JWT_ACCEPTED_AUDIENCES: acceptedAudiences.join(','),
        JWT_ALLOW_EMPTY: '0',
        JICOFO_AUTH_PASSWORD: secret('JICOFO_AUTH_PASSWORD'),
        JVB_AUTH_PASSWORD: secret('JVB_AUTH_PASSWORD'),
      },
      resources: resources.prosody ?? { cpuMillicores: 250, memoryMiB: 256 },
      volumes: writableDirs([{ name: 'data', mountPath: '/var/lib/prosody' }]),
      runAs: { uid: JITSI_UID, gid: JITSI_UID },
      // Jicofo and the bridges stay connected to one prosody; two at once would split them.
      rollout: 'recreate',
      singleton: 'jicofo and the video bridge stay connected to one prosody, and a second one would split them',
    });

    this.web = new StackService(this, 'jitsi-web', {
      description: 'Jitsi Meet web UI, proxies BOSH and XMPP WebSocket to prosody',
      image: image('web'),
      ports: [{ name: 'http', port: WEB_HTTP_PORT, exposure: 'public', appProtocol: `Jitsi Meet web app, ${xmppOverHttp}` }],
      healthCheck: {
        http: { path: '/', port: WEB_HTTP_PORT },
        exec: ['curl', '--fail', '--silent', '--output', '/dev/null', `http://127.0.0.1:${WEB_HTTP_PORT}/`],
      },
      env: {
        ...common,
        ...JWT_AUTH,
        // TLS ends at the Ingress or Railway's edge; the container serves plain HTTP.
        DISABLE_HTTPS: '1',
        ENABLE_HTTP_REDIRECT: '0',
        ENABLE_LETSENCRYPT: '0',
        ENABLE_XMPP_WEBSOCKET: this.xmppTransport === 'bosh' ? '0' : '1',
        XMPP_BOSH_URL_BASE: this.prosody.url(PROSODY_HTTP_PORT),
        CSP_HEADER: cspHeader(this.frameAncestors),
      },
      replicas: props.webReplicas ?? 1,
      resources: resources.web ?? { cpuMillicores: 250, memoryMiB: 256 },
      volumes: writableDirs(),
      runAs: { uid: JITSI_UID, gid: JITSI_UID },
    });

    // Both need the address browsers use; prosody is created first because web proxies to it.
    this.prosody.addEnv('PUBLIC_URL', this.web.publicUrl());
    this.web.addEnv('PUBLIC_URL', this.web.publicUrl());

    this.jicofo = new StackService(this, 'jitsi-jicofo', {
      description: 'Jitsi conference focus (jicofo)',
      image: image('jicofo'),
      ports: [{ name: 'rest', port: JICOFO_REST_PORT, appProtocol: 'jicofo REST (health, metrics)' }],
      // jicofo serves jitsi_jicofo_* series at /metrics on its REST port (rest.prometheus.enabled
      // defaults to true in jicofo's reference.conf); JICOFO_ENABLE_REST below opens it beyond loopback.
      metrics: { port: JICOFO_REST_PORT },
      // /about/health fails while no bridge is connected, which would restart jicofo whenever the
      // bridge restarts (and never let a Railway deploy pass, its bridge being elsewhere).
      // /about/version answers once the REST server is up.
      healthCheck: {
        http: { path: '/about/version', port: JICOFO_REST_PORT },
        exec: ['curl', '--fail', '--silent', '--output', '/dev/null', `http://127.0.0.1:${JICOFO_REST_PORT}/about/version`],
      },
      env: {
        ...common,
        ...JWT_AUTH,
        XMPP_SERVER: this.prosody.host(PROSODY_C2S_PORT),
        XMPP_PORT: this.prosody.portNumber(PROSODY_C2S_PORT),
        JICOFO_AUTH_PASSWORD: secret('JICOFO_AUTH_PASSWORD'),
        // REST binds 127.0.0.1 unless enabled; probes from outside the container need it.
        JICOFO_ENABLE_REST: '1',
      },
      resources: resources.jicofo ?? { cpuMillicores: 250, memoryMiB: 512 },
      volumes: writableDirs(),
      runAs: { uid: JITSI_UID, gid: JITSI_UID },
      // There is one focus per deployment.
      rollout: 'recreate',
      singleton: 'jicofo is the one conference focus of the deployment, and a second one would run conferences of its own',
    });

    this.jvb = new StackService(this, 'jitsi-jvb', {
      description: 'Jitsi video bridge: routes media over public UDP',
      image: image('jvb'),
      ports: [
        { name: 'media', port: JVB_MEDIA_PORT, protocol: 'udp', exposure: 'public', appProtocol: 'WebRTC media' },
        { name: 'http', port: JVB_HTTP_PORT, appProtocol: 'jvb REST (health, metrics)' },
      ],
      // The video bridge serves jitsi_jvb_* series (jitsi_jvb_stress among them) at /metrics on its
      // private HTTP server (videobridge.rest.prometheus.enabled defaults to true); the image binds
      // that server to every address.
      metrics: { port: JVB_HTTP_PORT },
      healthCheck: {
        http: { path: '/about/health', port: JVB_HTTP_PORT },
        exec: ['/usr/local/bin/healthcheck.sh'],
      },
      env: {
        ...common,
        XMPP_SERVER: this.prosody.host(PROSODY_C2S_PORT),
        XMPP_PORT: this.prosody.portNumber(PROSODY_C2S_PORT),
        JVB_AUTH_PASSWORD: secret('JVB_AUTH_PASSWORD'),
        JVB_PORT: String(JVB_MEDIA_PORT),
        JVB_ADVERTISE_IPS: props.advertiseIps.join(','),
      },
      resources: resources.jvb ?? { cpuMillicores: 1000, memoryMiB: 1024 },
      volumes: writableDirs(),
      runAs: { uid: JITSI_UID, gid: JITSI_UID },
      // STUN lookups and media to clients anywhere.
      egressToInternet: true,
      externalServices: [{ name: 'STUN servers', protocol: 'UDP: STUN' }],
      singleton: 'each video bridge needs a public address of its own (JVB_ADVERTISE_IPS), and replicas would share one, receiving each other\'s media',
    });
    checkImages(this.services);
  }

  /**
   * jitsi-web's private URL, its container's HTTP port, for a service of the stack that joins
   * rooms itself: it loads lib-jitsi-meet from `/libs/` there, so client and server always run one
   * version, and reaches prosody through web's `/xmpp-websocket` and `/http-bind` proxies.
   */
  public get webPrivateUrl(): ServiceEndpointRef {
    return this.web.url(WEB_HTTP_PORT);
  }

  /** The four components, in start order. */
  public get services(): StackService[] {
    return [this.prosody, this.jicofo, this.jvb, this.web];
  }

  /**
   * Lets a public service of the stack embed the meeting in an iframe: its public origin joins
   * `frame-ancestors`, by reference, so each target spells it the way it serves it. A public URL
   * is what browsers use, not a connection between services, so this adds no dependency and
   * the embedding service may in turn refer to `web.publicUrl()`.
   */
  public allowEmbeddingBy(service: StackService): void {
    if (!(service instanceof StackService)) this.web.fail('env.CSP_HEADER', `only a service of the stack can embed the meeting, got ${describeValue(service)}`);
    if (service.publicHttpPort === undefined) {
      this.web.fail('env.CSP_HEADER', `"${service.name}" has no public HTTP port, so no browser loads it from an origin that could embed the meeting`);
    }
    this.frameAncestors.push(service.publicUrl());
    this.web.addEnv('CSP_HEADER', cspHeader(this.frameAncestors));
  }
}

/**
 * `frame-ancestors` takes space-separated sources. A public URL is scheme and host (and port)
 * without a path or trailing slash, i.e. an origin, which is what a source must be here.
 */
function cspHeader(frameAncestors: EnvValue[]): EnvValue {
  let header: EnvValue = 'frame-ancestors';
  for (const source of frameAncestors) header = interpolate`${header} ${source}`;
  return header;
}

/** Jitsi's image repository since stable-11146; web, prosody, jicofo and jvb live under it. */
const JITSI_REGISTRY = 'ghcr.io/jitsi/';

/**
 * Web, prosody, jicofo and jvb speak to each other in a protocol that changes between releases, so
 * all four run one release: the same tag, whichever registry each image comes from (an
 * environment may mirror them). A component pinned by digest alone has no release to compare.
 * An override naming Docker Hub's `jitsi/*` would pull from where Jitsi no longer publishes.
 */
function checkImages(components: StackService[]): void {
  let first: { service: StackService; tag: string } | undefined;
  for (const service of components) {
    const image = service.data.image === undefined ? undefined : parseImage(service.data.image);
    if (image === undefined) continue;
    if (/^(docker\.io\/)?jitsi\//.test(image.repository)) {
      service.fail('image', `Jitsi images moved to ${JITSI_REGISTRY}* in stable-11146; use ${JITSI_REGISTRY}${image.repository.split('/').pop()}`);
    }
    if (image.tag === undefined) {
      service.fail('image', `Jitsi images need their release tag (stable-NNNN), with or without a digest: it is how synth keeps the four components on one version, got ${quoted(service.data.image ?? '')}`);
    }
    if (first === undefined) first = { service, tag: image.tag };
    else if (first.tag !== image.tag) {
      service.fail('image', `Jitsi components must run one version: "${service.name}" uses ${image.tag} but "${first.service.name}" uses ${first.tag}`);
    }
  }
}
