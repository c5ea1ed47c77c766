import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// graphql-js is installed with the `railway` SDK (railway@3.11.0 depends on graphql 16); the fake
// uses it to parse, validate and execute operations against a faithful subset of Railway's schema.
import { buildSchema, execute, GraphQLError, parse, validate, type DocumentNode, type OperationDefinitionNode } from 'graphql';

/**
 * A local stand-in for Railway's public GraphQL API (backboard.railway.com/graphql/v2), speaking
 * the operations cli/railway/railway-api.ts sends. Operations are checked against a subset of the
 * real schema (types and argument signatures copied from railwayapp/cli `src/gql/schema.json`), so
 * a wrong variable type, an unknown field or a selection on a `Boolean!` mutation fails here the
 * way it fails on Railway. Deployments move through scripted statuses, one step each time a
 * response shows them.
 */

/** Copied from schema.json; only the fields and arguments the client can use. */
const SCHEMA_SDL = /* GraphQL */ `
  scalar DateTime
  scalar EnvironmentVariables
  scalar DeploymentMeta

  enum DeploymentStatus { BUILDING CRASHED DEPLOYING FAILED INITIALIZING NEEDS_APPROVAL QUEUED REMOVED REMOVING SKIPPED SLEEPING SUCCESS WAITING }

  input DeploymentStatusInput { in: [DeploymentStatus!] notIn: [DeploymentStatus!] }
  input DeploymentListInput { environmentId: String includeDeleted: Boolean projectId: String serviceId: String status: DeploymentStatusInput }
  input VariableCollectionUpsertInput {
    environmentId: String!
    projectId: String!
    replace: Boolean = false
    serviceId: String
    skipDeploys: Boolean = false
    variables: EnvironmentVariables!
  }

  type PageInfo { endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String }

  type Deployment {
    canRedeploy: Boolean!
    canRollback: Boolean!
    createdAt: DateTime!
    environmentId: String!
    id: ID!
    meta: DeploymentMeta
    projectId: String!
    serviceId: String
    staticUrl: String
    status: DeploymentStatus!
    statusUpdatedAt: DateTime
    updatedAt: DateTime!
    url: String
  }
  type QueryDeploymentsConnectionEdge { cursor: String! node: Deployment! }
  type QueryDeploymentsConnection { edges: [QueryDeploymentsConnectionEdge!]! pageInfo: PageInfo! }

  type Environment { id: ID! name: String! projectId: String! }
  type Service { id: ID! name: String! projectId: String! }
  type ProjectEnvironmentsConnectionEdge { cursor: String! node: Environment! }
  type ProjectEnvironmentsConnection { edges: [ProjectEnvironmentsConnectionEdge!]! pageInfo: PageInfo! }
  type ProjectServicesConnectionEdge { cursor: String! node: Service! }
  type ProjectServicesConnection { edges: [ProjectServicesConnectionEdge!]! pageInfo: PageInfo! }
  type Project {
    id: ID!
    name: String!
    environments(after: String, before: String, first: Int, last: Int): ProjectEnvironmentsConnection!
    services(after: String, before: String, first: Int, last: Int): ProjectServicesConnection!
  }
  type ProjectToken {
    createdAt: DateTime!
    environment: Environment!
    environmentId: String!
    id: ID!
    name: String!
    project: Project!
    projectId: String!
  }

  type Query {
    deployment(id: String!): Deployment!
    deployments(after: String, before: String, first: Int, input: DeploymentListInput!, last: Int): QueryDeploymentsConnection!
    project(id: String!): Project!
    projectToken: ProjectToken!
  }

  type Mutation {
    deploymentCancel(id: String!): Boolean!
    deploymentRedeploy(id: String!, usePreviousImageTag: Boolean): Deployment!
    deploymentRollback(id: String!): Boolean!
    serviceInstanceDeployV2(commitSha: String, environmentId: String!, serviceId: String!): String!
    variableCollectionUpsert(input: VariableCollectionUpsertInput!): Boolean!
  }
`;

const schema = buildSchema(SCHEMA_SDL);

export type DeploymentStatus =
  | 'BUILDING'
  | 'CRASHED'
  | 'DEPLOYING'
  | 'FAILED'
  | 'INITIALIZING'
  | 'NEEDS_APPROVAL'
  | 'QUEUED'
  | 'REMOVED'
  | 'REMOVING'
  | 'SKIPPED'
  | 'SLEEPING'
  | 'SUCCESS'
  | 'WAITING';

/** How a new deployment of a service goes: one status per step. */
export type Script = 'success' | 'failed' | 'crashed' | 'hang';

const DEPLOY_STEPS: Record<Script, DeploymentStatus[]> = {
  success: ['INITIALIZING', 'BUILDING', 'DEPLOYING', 'SUCCESS'],
  failed: ['INITIALIZING', 'BUILDING', 'FAILED'],
  // It went live, then its process exited.
  crashed: ['BUILDING', 'DEPLOYING', 'CRASHED'],
  hang: ['INITIALIZING', 'BUILDING'],
};
const ROLLBACK_STEPS: Record<Script, DeploymentStatus[]> = {
  success: ['INITIALIZING', 'DEPLOYING', 'SUCCESS'],
  failed: ['INITIALIZING', 'DEPLOYING', 'FAILED'],
  crashed: ['DEPLOYING', 'CRASHED'],
  hang: ['INITIALIZING', 'DEPLOYING'],
};

export interface ServiceBehaviour {
  /** New deployments (serviceInstanceDeployV2, redeploys, addDeployment): one script per deployment, the last one repeats. @default 'success' */
  readonly deploy?: Script | Script[];
  /** Deployments a rollback creates. @default 'success' */
  readonly rollback?: Script;
  /** Railway no longer keeps the images of earlier deployments (canRollback false). @default true */
  readonly canRollback?: boolean;
}

export interface FakeRailwayOptions {
  readonly token?: string;
  /** Which header the token must come in: `Project-Access-Token` or `Authorization: Bearer`. @default 'project' */
  readonly tokenKind?: 'project' | 'account';
  /** How a missing or wrong token is answered: HTTP 401, or HTTP 200 with a GraphQL "Not Authorized" error (what Railway does). @default 'graphql' */
  readonly authFailure?: 'http' | 'graphql';
  readonly projectId?: string;
  readonly projectName?: string;
  readonly environments?: readonly string[];
  /** The environment a project token belongs to. @default the first environment */
  readonly tokenEnvironment?: string;
  /** Service names in the project. */
  readonly services: readonly string[];
  readonly behaviour?: Readonly<Record<string, ServiceBehaviour>>;
}

export interface RecordedOperation {
  readonly operationName: string | undefined;
  /** The root field, e.g. `deploymentRollback`. */
  readonly field: string;
  readonly variables: Record<string, unknown>;
}

export interface FakeDeployment {
  readonly id: string;
  readonly service: string;
  readonly serviceId: string;
  readonly environmentId: string;
  readonly createdAt: string;
  /** What made it: `history`, `deploy`, `redeploy`, `rollback`, `external`. */
  readonly origin: string;
  /** For rollback deployments: the deployment rolled back to. */
  readonly rollbackOf?: string;
  steps: DeploymentStatus[];
  step: number;
  everLive: boolean;
}

export class FakeRailway {
  readonly token: string;
  readonly projectId: string;
  readonly projectName: string;
  readonly operations: RecordedOperation[] = [];
  /** Requests refused for their token (operation names only). */
  readonly rejected: string[] = [];
  readonly deployments: FakeDeployment[] = [];
  /** Variables written by variableCollectionUpsert, by `environmentId/serviceId|shared`. */
  readonly variables = new Map<string, Record<string, string>>();
  readonly #options: FakeRailwayOptions;
  readonly #environments: Array<{ id: string; name: string }>;
  readonly #services: Array<{ id: string; name: string }>;
  readonly #deployCount = new Map<string, number>();
  #server: Server | undefined;
  #url = '';
  #nextId = 1;

  constructor(options: FakeRailwayOptions) {
    this.#options = options;
    this.token = options.token ?? 'fake-railway-token-3f9a';
    this.projectId = options.projectId ?? 'project-voice-agent';
    this.projectName = options.projectName ?? 'voice-agent';
    this.#environments = (options.environments ?? ['staging', 'production']).map((name) => ({ id: `env-${name}`, name }));
    this.#services = options.services.map((name) => ({ id: `svc-${name}`, name }));
    // Every service has served twice before: an older deployment (replaced) and the current one.
    const hour = 3_600_000;
    for (const environment of this.#environments) {
      for (const service of this.#services) {
        this.#add(service.name, environment.id, ['REMOVED'], 'history', new Date(Date.now() - 2 * hour), true);
        this.#add(service.name, environment.id, ['SUCCESS'], 'history', new Date(Date.now() - hour), true);
      }
    }
  }

  /** The endpoint, e.g. `http://127.0.0.1:41234/graphql/v2`. */
  get url(): string {
    return this.#url;
  }

  environmentId(name: string): string {
    const environment = this.#environments.find((candidate) => candidate.name === name);
    if (environment === undefined) throw new Error(`fake has no environment ${name}`);
    return environment.id;
  }

  serviceId(name: string): string {
    return `svc-${name}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      void this.#handle(request, response);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${address.port}/graphql/v2`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Root fields of the recorded operations, in order. */
  fields(): string[] {
    return this.operations.map((operation) => operation.field);
  }

  /** Recorded operations of one root field. */
  calls(field: string): RecordedOperation[] {
    return this.operations.filter((operation) => operation.field === field);
  }

  /** Deployments of a service in an environment, newest first. */
  deploymentsOf(service: string, environment = this.#environments[0]!.name): FakeDeployment[] {
    const environmentId = this.environmentId(environment);
    return this.deployments.filter((deployment) => deployment.service === service && deployment.environmentId === environmentId).reverse();
  }

  /** The deployment that serves a service now (the newest live one that has not been replaced). */
  serving(service: string, environment = this.#environments[0]!.name): FakeDeployment | undefined {
    return this.deploymentsOf(service, environment).find((deployment) => this.#status(deployment) === 'SUCCESS');
  }

  /** A deployment started outside the client (by `railway config apply` or a push). */
  addDeployment(service: string, environment = this.#environments[0]!.name): FakeDeployment {
    return this.#add(service, this.environmentId(environment), this.#nextDeployScript(service), 'external', new Date());
  }

  #add(service: string, environmentId: string, steps: DeploymentStatus[], origin: string, createdAt: Date, everLive = false, rollbackOf?: string): FakeDeployment {
    const deployment: FakeDeployment = {
      id: `dep-${this.#nextId++}-${service}`,
      service,
      serviceId: this.serviceId(service),
      environmentId,
      createdAt: createdAt.toISOString(),
      origin,
      ...(rollbackOf !== undefined ? { rollbackOf } : {}),
      steps: [...steps],
      step: 0,
      everLive,
    };
    this.deployments.push(deployment);
    return deployment;
  }

  #nextDeployScript(service: string): DeploymentStatus[] {
    const scripts = this.#options.behaviour?.[service]?.deploy ?? 'success';
    const list = Array.isArray(scripts) ? scripts : [scripts];
    const count = this.#deployCount.get(service) ?? 0;
    this.#deployCount.set(service, count + 1);
    return DEPLOY_STEPS[list[Math.min(count, list.length - 1)] ?? 'success'];
  }

  #status(deployment: FakeDeployment): DeploymentStatus {
    return deployment.steps[deployment.step] ?? 'REMOVED';
  }

  /** A deployment that reaches SUCCESS (or crashes after it) went live: it replaces whatever served before. */
  #goLive(deployment: FakeDeployment): void {
    const status = this.#status(deployment);
    if ((status !== 'SUCCESS' && status !== 'CRASHED') || deployment.everLive) return;
    deployment.everLive = true;
    for (const other of this.deployments) {
      if (other !== deployment && other.service === deployment.service && other.environmentId === deployment.environmentId && this.#status(other) === 'SUCCESS') {
        other.steps = ['REMOVED'];
        other.step = 0;
      }
    }
  }

  /** Shows a deployment in a response: its current status, then one step further. */
  #view(deployment: FakeDeployment) {
    this.#goLive(deployment);
    const status = this.#status(deployment);
    if (deployment.step < deployment.steps.length - 1) deployment.step++;
    this.#goLive(deployment);
    return {
      id: deployment.id,
      status,
      createdAt: deployment.createdAt,
      updatedAt: deployment.createdAt,
      statusUpdatedAt: deployment.createdAt,
      canRollback: deployment.everLive && this.#options.behaviour?.[deployment.service]?.canRollback !== false,
      canRedeploy: true,
      staticUrl: `${deployment.service}-production.up.railway.app`,
      url: `https://${deployment.service}-production.up.railway.app`,
      projectId: this.projectId,
      environmentId: deployment.environmentId,
      serviceId: deployment.serviceId,
      meta: { origin: deployment.origin },
    };
  }

  #deployment(id: unknown): FakeDeployment {
    const deployment = this.deployments.find((candidate) => candidate.id === id);
    if (deployment === undefined) throw new GraphQLError('Deployment not found');
    return deployment;
  }

  #service(id: unknown): { id: string; name: string } {
    const service = this.#services.find((candidate) => candidate.id === id);
    if (service === undefined) throw new GraphQLError('Service not found');
    return service;
  }

  #environment(id: unknown): { id: string; name: string } {
    const environment = this.#environments.find((candidate) => candidate.id === id);
    if (environment === undefined) throw new GraphQLError('Environment not found');
    return environment;
  }

  #authorized(request: IncomingMessage): boolean {
    if ((this.#options.tokenKind ?? 'project') === 'project') {
      return request.headers['project-access-token'] === this.token && request.headers.authorization === undefined;
    }
    return request.headers.authorization === `Bearer ${this.token}` && request.headers['project-access-token'] === undefined;
  }

  #root() {
    const connection = <T>(nodes: T[]) => ({
      edges: nodes.map((node, index) => ({ cursor: String(index), node })),
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    return {
      project: ({ id }: { id: string }) => {
        if (id !== this.projectId) throw new GraphQLError('Project not found');
        return {
          id: this.projectId,
          name: this.projectName,
          environments: () => connection(this.#environments.map((environment) => ({ ...environment, projectId: this.projectId }))),
          services: () => connection(this.#services.map((service) => ({ ...service, projectId: this.projectId }))),
        };
      },
      projectToken: () => {
        if ((this.#options.tokenKind ?? 'project') !== 'project') throw new GraphQLError('Project Token not found');
        const environment = this.#environments.find((candidate) => candidate.name === (this.#options.tokenEnvironment ?? this.#environments[0]!.name))!;
        return {
          id: 'token-1',
          name: 'ci',
          createdAt: new Date(0).toISOString(),
          projectId: this.projectId,
          environmentId: environment.id,
          project: { id: this.projectId, name: this.projectName, environments: () => connection([]), services: () => connection([]) },
          environment: { ...environment, projectId: this.projectId },
        };
      },
      deployments: ({ input, first }: { input: { projectId?: string; environmentId?: string; serviceId?: string; status?: { in?: string[]; notIn?: string[] } }; first?: number }) => {
        const matching = this.deployments
          .filter(
            (deployment) =>
              (input.projectId === undefined || input.projectId === this.projectId) &&
              (input.environmentId === undefined || input.environmentId === deployment.environmentId) &&
              (input.serviceId === undefined || input.serviceId === deployment.serviceId),
          )
          .reverse()
          .filter((deployment) => {
            const status = this.#status(deployment);
            return (input.status?.in === undefined || input.status.in.includes(status)) && (input.status?.notIn === undefined || !input.status.notIn.includes(status));
          });
        return connection(matching.slice(0, first ?? matching.length).map((deployment) => this.#view(deployment)));
      },
      deployment: ({ id }: { id: string }) => this.#view(this.#deployment(id)),
      serviceInstanceDeployV2: ({ serviceId, environmentId }: { serviceId: string; environmentId: string }) => {
        const service = this.#service(serviceId);
        this.#environment(environmentId);
        return this.#add(service.name, environmentId, this.#nextDeployScript(service.name), 'deploy', new Date()).id;
      },
      deploymentRedeploy: ({ id }: { id: string }) => {
        const source = this.#deployment(id);
        return this.#view(this.#add(source.service, source.environmentId, this.#nextDeployScript(source.service), 'redeploy', new Date()));
      },
      deploymentRollback: ({ id }: { id: string }) => {
        const target = this.#deployment(id);
        const behaviour = this.#options.behaviour?.[target.service];
        if (!target.everLive || behaviour?.canRollback === false) throw new GraphQLError('Deployment cannot be rolled back');
        this.#add(target.service, target.environmentId, ROLLBACK_STEPS[behaviour?.rollback ?? 'success'], 'rollback', new Date(), false, target.id);
        return true;
      },
      deploymentCancel: ({ id }: { id: string }) => {
        const deployment = this.#deployment(id);
        deployment.steps = ['REMOVED'];
        deployment.step = 0;
        return true;
      },
      variableCollectionUpsert: ({ input }: { input: { projectId: string; environmentId: string; serviceId?: string; variables: unknown; replace: boolean } }) => {
        if (input.projectId !== this.projectId) throw new GraphQLError('Project not found');
        this.#environment(input.environmentId);
        if (input.serviceId !== undefined && input.serviceId !== null) this.#service(input.serviceId);
        const variables = input.variables;
        if (typeof variables !== 'object' || variables === null || Array.isArray(variables) || Object.values(variables).some((value) => typeof value !== 'string')) {
          throw new GraphQLError('Variable "$input" got invalid value: EnvironmentVariables must map names to strings');
        }
        const key = `${input.environmentId}/${input.serviceId ?? 'shared'}`;
        this.variables.set(key, { ...(input.replace ? {} : this.variables.get(key)), ...(variables as Record<string, string>) });
        return true;
      },
    };
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || !request.url?.startsWith('/graphql/v2')) {
      send(404, { errors: [{ message: 'Not Found' }] });
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      send(400, { errors: [{ message: 'POST body must be JSON' }] });
      return;
    }
    if (typeof body.query !== 'string') {
      send(400, { errors: [{ message: 'Must provide query string.' }] });
      return;
    }
    let document: DocumentNode;
    try {
      document = parse(body.query);
    } catch (error) {
      send(400, { errors: [{ message: (error as Error).message }] });
      return;
    }
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    const operation = document.definitions.find(
      (definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition' && (operationName === undefined || definition.name?.value === operationName),
    );
    if (!this.#authorized(request)) {
      this.rejected.push(operation?.name?.value ?? 'anonymous');
      if (this.#options.authFailure === 'http') send(401, { errors: [{ message: 'Not Authorized' }] });
      else send(200, { data: null, errors: [{ message: 'Not Authorized', extensions: { code: 'UNAUTHENTICATED' } }] });
      return;
    }
    const validationErrors = validate(schema, document);
    if (validationErrors.length > 0) {
      send(400, { errors: validationErrors.map((error) => ({ message: error.message })) });
      return;
    }
    const variables = (typeof body.variables === 'object' && body.variables !== null ? body.variables : {}) as Record<string, unknown>;
    const field = operation?.selectionSet.selections.find((selection) => selection.kind === 'Field');
    const result = await execute({ schema, document, rootValue: this.#root(), variableValues: variables, ...(operationName !== undefined ? { operationName } : {}) });
    // Only operations that passed variable coercion reached Railway's resolvers.
    const coercionFailed = result.data === undefined && (result.errors?.length ?? 0) > 0;
    if (!coercionFailed && field?.kind === 'Field') {
      this.operations.push({ operationName: operation?.name?.value, field: field.name.value, variables });
    }
    send(200, { data: result.data ?? null, ...(result.errors !== undefined ? { errors: result.errors.map((error) => ({ message: error.message, path: error.path })) } : {}) });
  }
}

/** Starts a fake Railway API on a free loopback port. */
export function startFakeRailway(options: FakeRailwayOptions): Promise<FakeRailway> {
  return new FakeRailway(options).start();
}

/** A local HTTP server standing in for a service's public URL; answers every request with `status()`. */
export interface HealthServer {
  readonly origin: string;
  /** Paths requested, in order. */
  readonly requests: string[];
  status: number;
  /** Milliseconds to wait before answering. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startHealthServer(status = 200): Promise<HealthServer> {
  const requests: string[] = [];
  const state = { status, delayMs: 0 };
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    setTimeout(() => {
      response.writeHead(state.status, { 'Content-Type': 'text/plain' });
      response.end(state.status < 300 ? 'ok' : 'unhealthy');
    }, state.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
