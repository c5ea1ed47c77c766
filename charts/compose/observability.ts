import { instancesOf, quoted, SpecError, type StackEnvironment, type StackService } from '../../constructs/index.ts';
import { observabilityContent } from '../observability/observability-content.ts';

/** The Compose profile of the local Prometheus and Grafana: started only when asked for. */
export const OBSERVABILITY_PROFILE = 'observability';

/** The Compose services the profile adds. */
const OBSERVABILITY_SERVICES = ['prometheus', 'grafana'];

/** How often the local Prometheus scrapes and evaluates rules (as the Kubernetes ServiceMonitors do). */
const SCRAPE_INTERVAL = '30s';
/** Host ports, on loopback only: the console already has 3000. */
const PROMETHEUS_HOST_PORT = 9090;
const GRAFANA_HOST_PORT = 3001;
/** The user the official Prometheus image runs as (nobody), and Grafana's (472). */
const PROMETHEUS_UID = 65534;
const GRAFANA_UID = 472;

/** Files of the profile, relative to the Compose file's directory. */
export const OBSERVABILITY_FILES = {
  prometheusConfig: 'observability/prometheus.yml',
  alertRules: 'observability/alert-rules.yml',
  grafanaDatasources: 'observability/grafana/datasources.yml',
  grafanaDashboards: 'observability/grafana/dashboards.yml',
  dashboard: 'observability/dashboards/voice-path.json',
} as const;

/** What the profile adds to a Compose file: its two services, its volume, and the files they mount. */
export interface ObservabilityProfile {
  readonly services: Record<string, unknown>;
  readonly volumes: Record<string, unknown>;
  /** Contents by path relative to the Compose file's directory. */
  readonly files: Map<string, unknown>;
}

/**
 * Prometheus scrapes each service with metrics by its Compose name. Docker's DNS answers a name
 * with every container of the service, so a DNS lookup (not a static target) reaches each
 * replica; a replica addressed on its own is a service of its own, with a name of its own.
 */
export function scrapeConfigs(services: readonly StackService[]): Array<Record<string, unknown>> {
  return services.flatMap((service) => {
    const metrics = service.data.metrics;
    if (metrics === undefined) return [];
    return [
      {
        job_name: service.name,
        metrics_path: metrics.path,
        dns_sd_configs: [{ names: instancesOf(service).map((instance) => instance.name), type: 'A', port: metrics.port, refresh_interval: SCRAPE_INTERVAL }],
        // The label the alert rules and the dashboard group by, as the ServiceMonitors give it.
        relabel_configs: [{ target_label: 'service', replacement: service.name }],
      },
    ];
  });
}

/**
 * The `observability` profile of the environment's Compose file, or undefined when the
 * environment asks for none. The rules and the dashboard are the Kubernetes rendering's own.
 */
export function observabilityProfile(environment: StackEnvironment, services: readonly StackService[]): ObservabilityProfile | undefined {
  const settings = environment.settings.compose.observability;
  if (settings === undefined) return undefined;
  const taken = services.find((service) => OBSERVABILITY_SERVICES.includes(service.name));
  if (taken !== undefined) {
    throw new SpecError(
      { environment: environment.name, field: 'compose.observability' },
      `the observability profile adds Compose services ${OBSERVABILITY_SERVICES.map(quoted).join(' and ')}, but the stack has a service called ${quoted(taken.name)}; rename it or drop compose.observability`,
    );
  }
  const content = observabilityContent(environment, services);
  const common = {
    profiles: [OBSERVABILITY_PROFILE],
    read_only: true,
    security_opt: ['no-new-privileges:true'],
    restart: 'unless-stopped',
  };
  const files = new Map<string, unknown>([
    [
      OBSERVABILITY_FILES.prometheusConfig,
      {
        global: { scrape_interval: SCRAPE_INTERVAL, evaluation_interval: SCRAPE_INTERVAL },
        // Relative to the configuration file, so promtool checks the rendered pair as Prometheus reads it.
        rule_files: ['alert-rules.yml'],
        scrape_configs: scrapeConfigs(services),
      },
    ],
    [OBSERVABILITY_FILES.alertRules, content.ruleGroups],
    [
      OBSERVABILITY_FILES.grafanaDatasources,
      { apiVersion: 1, datasources: [{ name: 'Prometheus', uid: 'prometheus', type: 'prometheus', access: 'proxy', url: 'http://prometheus:9090', isDefault: true }] },
    ],
    [
      OBSERVABILITY_FILES.grafanaDashboards,
      { apiVersion: 1, providers: [{ name: 'voice-agent', type: 'file', disableDeletion: true, allowUiUpdates: false, options: { path: '/etc/grafana/dashboards' } }] },
    ],
    [OBSERVABILITY_FILES.dashboard, content.dashboard],
  ]);
  const mount = (source: string, target: string) => ({ type: 'bind', source: `./${source}`, target, read_only: true });
  return {
    services: {
      prometheus: {
        image: settings.prometheusImage,
        ...common,
        command: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=7d', '--web.enable-lifecycle'],
        ports: [`127.0.0.1:${PROMETHEUS_HOST_PORT}:9090`],
        volumes: [
          mount(OBSERVABILITY_FILES.prometheusConfig, '/etc/prometheus/prometheus.yml'),
          mount(OBSERVABILITY_FILES.alertRules, '/etc/prometheus/alert-rules.yml'),
          { type: 'volume', source: 'prometheus-data', target: '/prometheus' },
        ],
        // The image is busybox-based: wget is there, curl is not.
        healthcheck: { test: ['CMD', 'wget', '--quiet', '--spider', 'http://127.0.0.1:9090/-/ready'], interval: '10s', timeout: '5s', retries: 6, start_period: '10s' },
        user: `${PROMETHEUS_UID}:${PROMETHEUS_UID}`,
        'x-voice-agent': { description: `Prometheus: scrapes every service with metrics and evaluates the voice path's alert rules` },
      },
      grafana: {
        image: settings.grafanaImage,
        ...common,
        environment: {
          // A local, read-only view: anyone on this machine sees the dashboard, nobody edits or signs in.
          GF_AUTH_ANONYMOUS_ENABLED: 'true',
          GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
          GF_AUTH_DISABLE_LOGIN_FORM: 'true',
          GF_AUTH_BASIC_ENABLED: 'false',
          GF_ANALYTICS_REPORTING_ENABLED: 'false',
          GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
          GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: '/etc/grafana/dashboards/voice-path.json',
        },
        ports: [`127.0.0.1:${GRAFANA_HOST_PORT}:3000`],
        volumes: [
          mount(OBSERVABILITY_FILES.grafanaDatasources, '/etc/grafana/provisioning/datasources/voice-agent.yml'),
          mount(OBSERVABILITY_FILES.grafanaDashboards, '/etc/grafana/provisioning/dashboards/voice-agent.yml'),
          mount(OBSERVABILITY_FILES.dashboard, '/etc/grafana/dashboards/voice-path.json'),
          // Grafana writes its SQLite database, plugins and sessions here.
          { type: 'tmpfs', target: '/var/lib/grafana', tmpfs: { mode: 0o1777 } },
          { type: 'tmpfs', target: '/tmp', tmpfs: { mode: 0o1777 } },
        ],
        healthcheck: { test: ['CMD', 'wget', '--quiet', '--spider', 'http://127.0.0.1:3000/api/health'], interval: '10s', timeout: '5s', retries: 6, start_period: '20s' },
        depends_on: { prometheus: { condition: 'service_healthy' } },
        user: `${GRAFANA_UID}:${GRAFANA_UID}`,
        'x-voice-agent': { description: 'Grafana: the voice-path dashboard, read-only, on 127.0.0.1' },
      },
    },
    volumes: { 'prometheus-data': {} },
    files,
  };
}
