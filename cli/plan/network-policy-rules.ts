/**
 * The traffic a NetworkPolicy allows, one peer and port at a time, in words:
 * `ingress from pods of frontend on 8080/TCP`, `egress to 0.0.0.0/0 except 10.0.0.0/8 on 5432/TCP`,
 * `egress to pods with k8s-app=kube-dns in namespace kube-system on 53/UDP`. A rule allows each of
 * its peers on each of its ports, so this is what a reviewer compares; sorted, since the order of
 * rules and peers means nothing.
 */
export function networkPolicyAllows(policy: unknown): string[] {
  const { spec } = policy as NetworkPolicy;
  const allowed = [
    ...(spec?.ingress ?? []).flatMap((rule) => traffic('ingress from', rule.from, rule.ports)),
    ...(spec?.egress ?? []).flatMap((rule) => traffic('egress to', rule.to, rule.ports)),
  ];
  return [...new Set(allowed)].sort();
}

interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: ReadonlyArray<{ key: string; operator: string; values?: string[] }>;
}

interface Peer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyPort {
  readonly port?: number | string;
  readonly endPort?: number;
  readonly protocol?: string;
}

interface Rule {
  readonly from?: Peer[];
  readonly to?: Peer[];
  readonly ports?: PolicyPort[];
}

interface NetworkPolicy {
  readonly spec?: { ingress?: Rule[]; egress?: Rule[] };
}

/** A rule without peers or without ports allows every peer or every port. */
function traffic(direction: string, peers: Peer[] | undefined, ports: PolicyPort[] | undefined): string[] {
  const who = peers === undefined || peers.length === 0 ? ['anywhere'] : peers.map(peer);
  const where = ports === undefined || ports.length === 0 ? ['any port'] : ports.map(port);
  return who.flatMap((source) => where.map((target) => `${direction} ${source} on ${target}`));
}

/** The label the renderer selects a service's pods by, and the one Kubernetes gives every namespace. */
const SERVICE_LABEL = 'app.kubernetes.io/name';
const NAMESPACE_LABEL = 'kubernetes.io/metadata.name';

function peer({ podSelector, namespaceSelector, ipBlock }: Peer): string {
  if (ipBlock !== undefined) return ipBlock.except?.length ? `${ipBlock.cidr} except ${ipBlock.except.join(', ')}` : ipBlock.cidr;
  const pods = podSelector === undefined ? undefined : selected(podSelector, SERVICE_LABEL, { one: 'pods of', all: 'every pod', some: 'pods with' });
  const namespaces = namespaceSelector === undefined ? undefined : selected(namespaceSelector, NAMESPACE_LABEL, { one: 'namespace', all: 'every namespace', some: 'namespaces with' });
  if (pods !== undefined && namespaces !== undefined) return `${pods} in ${namespaces}`;
  return pods ?? namespaces ?? 'anywhere';
}

/** `pods of frontend` when the selector names one by its naming label, else the labels it matches. */
function selected(selector: LabelSelector, namingLabel: string, words: { one: string; all: string; some: string }): string {
  const labels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (labels.length === 0 && expressions.length === 0) return words.all;
  const only = labels.length === 1 && expressions.length === 0 ? labels[0] : undefined;
  if (only !== undefined && only[0] === namingLabel) return `${words.one} ${only[1]}`;
  const terms = [...labels.map(([key, value]) => `${key}=${value}`), ...expressions.map((term) => `${term.key} ${term.operator} ${(term.values ?? []).join(',')}`.trim())];
  return `${words.some} ${terms.join(', ')}`;
}

function port({ port, endPort, protocol = 'TCP' }: PolicyPort): string {
  if (port === undefined) return `any ${protocol} port`;
  return `${port}${endPort === undefined ? '' : `-${endPort}`}/${protocol}`;
}
