import { CliError } from '../cli-error.ts';
import { describeNetworkError } from '../network-error.ts';

/**
 * A small typed client for the few operations of Railway's public GraphQL API that deploys,
 * rollbacks and the secrets sync need. Every operation below is written against the schema the
 * Railway CLI is generated from (railwayapp/cli `src/gql/schema.json`) and, where the CLI has the
 * same operation, in the CLI's own shape (`src/gql/queries/*.graphql`, `mutations/*.graphql`).
 *
 * Configuration comes from the environment:
 * - `RAILWAY_API_TOKEN` (required): a project token, or an account/workspace token.
 * - `RAILWAY_TOKEN_KIND`: `project` (default) sends it as `Project-Access-Token: <token>`;
 *   `account`, `team` or `workspace` send `Authorization: Bearer <token>`.
 * - `RAILWAY_API_URL`: the endpoint, default `https://backboard.railway.com/graphql/v2`.
 * - `RAILWAY_PROJECT_ID`: the project; optional with a project token (it names its project).
 *
 * Failures become a `CliError` that never contains the token.
 */

export const DEFAULT_RAILWAY_API_URL = 'https://backboard.railway.com/graphql/v2';

/** `DeploymentStatus` of Railway's schema, all thirteen values. */
export const DEPLOYMENT_STATUSES = [
  'BUILDING',
  'CRASHED',
  'DEPLOYING',
  'FAILED',
  'INITIALIZING',
  'NEEDS_APPROVAL',
  'QUEUED',
  'REMOVED',
  'REMOVING',
  'SKIPPED',
  'SLEEPING',
  'SUCCESS',
  'WAITING',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** The fields of Railway's `Deployment` type this client reads. */
export interface Deployment {
  readonly id: string;
  readonly status: DeploymentStatus;
  /** ISO date-time (`DateTime` scalar). */
  readonly createdAt: string;
  readonly canRollback: boolean;
  /** The deployment's Railway-provided domain, when the service has one. */
  readonly staticUrl: string | null;
}

export type TokenKind = 'project' | 'account';

export interface RailwayApiOptions {
  readonly endpoint?: string;
  readonly token: string;
  readonly tokenKind?: TokenKind;
  /** Delay before retrying a read that failed on the network, HTTP 429 or 5xx. @default 1000 */
  readonly retryDelayMs?: number;
  /** Per request. @default 30000 */
  readonly requestTimeoutMs?: number;
}

/** The project, one of its environments and its services, by name. */
export interface ResolvedProject {
  readonly projectId: string;
  readonly projectName: string;
  readonly environmentId: string;
  readonly environmentName: string;
  /** Service name → service id. */
  readonly services: ReadonlyMap<string, string>;
}

export interface VariableUpsert {
  readonly projectId: string;
  readonly environmentId: string;
  /** Leave out to write shared variables of the environment. */
  readonly serviceId?: string;
  readonly variables: Readonly<Record<string, string>>;
  /** Railway deletes every variable of the target that is not in `variables`. @default false */
  readonly replace?: boolean;
  /** Leave the change staged instead of redeploying the affected services. @default true */
  readonly skipDeploys?: boolean;
}

const DEPLOYMENT_FIELDS = 'id status createdAt canRollback staticUrl';

/** The operations, exactly as sent. Variable types follow the schema's argument types. */
export const OPERATIONS = {
  /** cli src/gql/queries/strings/Project.graphql, without `plugins`. */
  project: `query Project($id: String!) {
  project(id: $id) {
    id
    name
    environments { edges { node { id name } } }
    services { edges { node { id name } } }
  }
}`,
  /** cli src/gql/queries/strings/ProjectToken.graphql: what a project token is scoped to. */
  projectToken: `query ProjectToken {
  projectToken {
    projectId
    environmentId
    project { id name }
    environment { id name }
  }
}`,
  /** cli src/gql/queries/strings/Deployments.graphql, with the fields a rollback needs. */
  deployments: `query Deployments($input: DeploymentListInput!, $first: Int) {
  deployments(input: $input, first: $first) {
    edges { node { ${DEPLOYMENT_FIELDS} } }
  }
}`,
  /** cli src/gql/queries/strings/Deployment.graphql. */
  deployment: `query Deployment($id: String!) {
  deployment(id: $id) { ${DEPLOYMENT_FIELDS} }
}`,
  /** cli src/gql/mutations/strings/ServiceInstanceDeploy.graphql: deploys the instance's current config, returns the deployment id. */
  serviceInstanceDeployV2: `mutation ServiceInstanceDeployV2($serviceId: String!, $environmentId: String!) {
  serviceInstanceDeployV2(serviceId: $serviceId, environmentId: $environmentId)
}`,
  /** cli src/gql/mutations/strings/DeploymentRollback.graphql: `Boolean!`, so no selection set. */
  deploymentRollback: `mutation DeploymentRollback($id: String!) {
  deploymentRollback(id: $id)
}`,
  /** cli src/gql/mutations/strings/DeploymentRedeploy.graphql; returns the new `Deployment!`. */
  deploymentRedeploy: `mutation DeploymentRedeploy($id: String!, $usePreviousImageTag: Boolean) {
  deploymentRedeploy(id: $id, usePreviousImageTag: $usePreviousImageTag) { ${DEPLOYMENT_FIELDS} }
}`,
  /** schema.json Mutation.deploymentCancel(id: String!): Boolean!. */
  deploymentCancel: `mutation DeploymentCancel($id: String!) {
  deploymentCancel(id: $id)
}`,
  /** schema.json Mutation.variableCollectionUpsert(input: VariableCollectionUpsertInput!): Boolean!. */
  variableCollectionUpsert: `mutation VariableCollectionUpsert($input: VariableCollectionUpsertInput!) {
  variableCollectionUpsert(input: $input)
}`,
} as const;

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message?: string }>;
}

interface Connection<T> {
  edges: Array<{ node: T }>;
}

/** Reads the client settings from environment variables; a missing token is a `CliError` naming the variable. */
export function railwayApiFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<RailwayApiOptions> = {}): RailwayApi {
  const token = env['RAILWAY_API_TOKEN']?.trim();
  if (token === undefined || token === '') {
    throw new CliError(
      'RAILWAY_API_TOKEN is not set: give it a Railway project token for the environment (RAILWAY_TOKEN_KIND=project, the default) ' +
        'or an account/workspace token (RAILWAY_TOKEN_KIND=account)',
    );
  }
  const kind = (env['RAILWAY_TOKEN_KIND'] ?? 'project').trim().toLowerCase();
  let tokenKind: TokenKind;
  if (kind === '' || kind === 'project') tokenKind = 'project';
  else if (kind === 'account' || kind === 'team' || kind === 'workspace') tokenKind = 'account';
  else throw new CliError(`RAILWAY_TOKEN_KIND must be project, account, team or workspace, got "${kind}"`);
  const endpoint = env['RAILWAY_API_URL']?.trim() || DEFAULT_RAILWAY_API_URL;
  try {
    new URL(endpoint);
  } catch {
    throw new CliError(`RAILWAY_API_URL is not a URL: "${endpoint}"`);
  }
  return new RailwayApi({ endpoint, token, tokenKind, ...overrides });
}

export class RailwayApi {
  readonly endpoint: string;
  readonly tokenKind: TokenKind;
  readonly #token: string;
  readonly #retryDelayMs: number;
  readonly #requestTimeoutMs: number;

  constructor(options: RailwayApiOptions) {
    this.endpoint = options.endpoint ?? DEFAULT_RAILWAY_API_URL;
    this.tokenKind = options.tokenKind ?? 'project';
    this.#token = options.token;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** The HTTP headers of every request: the token in the header its kind needs. */
  #headers(): Record<string, string> {
    const auth: Record<string, string> =
      this.tokenKind === 'project' ? { 'Project-Access-Token': this.#token } : { Authorization: `Bearer ${this.#token}` };
    return { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': 'voice-agent-gitops', ...auth };
  }

  /** Removes the token from text that came back from the server or the network stack. */
  #redact(text: string): string {
    return this.#token.length > 0 ? text.split(this.#token).join('***') : text;
  }

  /**
   * Sends one operation. Reads (`query`) are retried twice after a network error, HTTP 429 or
   * 5xx; mutations are sent once, since repeating one could deploy twice.
   */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const operationName = /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'anonymous';
    const retries = query.trimStart().startsWith('query') ? 2 : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#send<T>(operationName, query, variables);
      } catch (error) {
        if (!(error instanceof TransientError) || attempt >= retries) {
          throw error instanceof TransientError ? new CliError(error.message) : error;
        }
        await sleep(this.#retryDelayMs * (attempt + 1));
      }
    }
  }

  async #send<T>(operationName: string, query: string, variables: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: this.#headers(),
        body: JSON.stringify({ query, variables, operationName }),
        signal: AbortSignal.timeout(this.#requestTimeoutMs),
      });
    } catch (error) {
      throw new TransientError(`could not reach the Railway API at ${this.endpoint} (${operationName}): ${this.#redact(describeNetworkError(error, this.#requestTimeoutMs))}`);
    }
    if (response.status === 401 || response.status === 403) {
      throw this.#authError(`HTTP ${response.status}`);
    }
    const text = await response.text().catch(() => '');
    if (response.status === 429 || response.status >= 500) {
      throw new TransientError(`the Railway API at ${this.endpoint} answered HTTP ${response.status} to ${operationName}${response.status === 429 ? ' (rate limited)' : ''}`);
    }
    let body: GraphQLResponse<T>;
    try {
      body = JSON.parse(text) as GraphQLResponse<T>;
    } catch {
      throw new CliError(`the Railway API at ${this.endpoint} answered ${operationName} with HTTP ${response.status} and no GraphQL JSON`);
    }
    const messages = (body.errors ?? []).map((error) => this.#redact(String(error.message ?? 'unknown error')));
    // Railway reports a bad or foreign token as a GraphQL error "Not Authorized" (the CLI checks for it).
    if (messages.some((message) => /not authori[sz]ed|unauthori[sz]ed/i.test(message))) {
      throw this.#authError(messages.join('; '));
    }
    if (messages.length > 0) {
      throw new CliError(`Railway API error in ${operationName}: ${messages.join('; ')}`);
    }
    if (!response.ok || body.data === undefined || body.data === null) {
      throw new CliError(`the Railway API at ${this.endpoint} answered ${operationName} with HTTP ${response.status} and no data`);
    }
    return body.data;
  }

  #authError(detail: string): CliError {
    const header = this.tokenKind === 'project' ? 'Project-Access-Token' : 'Authorization: Bearer';
    return new CliError(
      `the Railway API rejected RAILWAY_API_TOKEN (${detail}): the token is invalid, expired, or lacks access to this project or environment. ` +
        `It was sent as ${header} (RAILWAY_TOKEN_KIND=${this.tokenKind}); a project token only works for its own environment, ` +
        'account and workspace tokens need RAILWAY_TOKEN_KIND=account',
    );
  }

  /** What a project token belongs to (`projectToken` fails for account tokens). */
  async projectToken(): Promise<{ projectId: string; environmentId: string; projectName: string; environmentName: string }> {
    const data = await this.request<{
      projectToken: { projectId: string; environmentId: string; project: { name: string }; environment: { name: string } };
    }>(OPERATIONS.projectToken);
    const token = data.projectToken;
    return { projectId: token.projectId, environmentId: token.environmentId, projectName: token.project.name, environmentName: token.environment.name };
  }

  /**
   * Finds the project, the environment by name and every service's id. Without a project id, a
   * project token names its own project (and must belong to this environment).
   */
  async resolveProject(projectId: string | undefined, environmentName: string): Promise<ResolvedProject> {
    let id = projectId;
    if (id === undefined || id === '') {
      if (this.tokenKind !== 'project') {
        throw new CliError('RAILWAY_PROJECT_ID is not set: an account or workspace token needs the project id (Railway dashboard → project settings)');
      }
      const token = await this.projectToken();
      if (token.environmentName !== environmentName) {
        throw new CliError(
          `RAILWAY_API_TOKEN is a project token for the Railway environment "${token.environmentName}", not "${environmentName}": use that environment's token`,
        );
      }
      id = token.projectId;
    }
    const data = await this.request<{
      project: { id: string; name: string; environments: Connection<{ id: string; name: string }>; services: Connection<{ id: string; name: string }> };
    }>(OPERATIONS.project, { id });
    const project = data.project;
    const environments = project.environments.edges.map((edge) => edge.node);
    const environment = environments.find((candidate) => candidate.name === environmentName);
    if (environment === undefined) {
      throw new CliError(
        `the Railway project "${project.name}" has no environment "${environmentName}" (it has ${environments.map((candidate) => `"${candidate.name}"`).join(', ') || 'none'})`,
      );
    }
    return {
      projectId: project.id,
      projectName: project.name,
      environmentId: environment.id,
      environmentName: environment.name,
      services: new Map(project.services.edges.map((edge) => [edge.node.name, edge.node.id])),
    };
  }

  /** Recent deployments of a service in an environment, newest first. */
  async deployments(input: { projectId: string; environmentId: string; serviceId: string }, first = 20): Promise<Deployment[]> {
    const data = await this.request<{ deployments: Connection<Deployment> }>(OPERATIONS.deployments, {
      input: { projectId: input.projectId, environmentId: input.environmentId, serviceId: input.serviceId },
      first,
    });
    return data.deployments.edges.map((edge) => edge.node).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  }

  async deployment(id: string): Promise<Deployment> {
    return (await this.request<{ deployment: Deployment }>(OPERATIONS.deployment, { id })).deployment;
  }

  /** Starts a deployment of the service instance with its current configuration; returns the deployment id. */
  async deployServiceInstance(serviceId: string, environmentId: string): Promise<string> {
    return (await this.request<{ serviceInstanceDeployV2: string }>(OPERATIONS.serviceInstanceDeployV2, { serviceId, environmentId })).serviceInstanceDeployV2;
  }

  /** Rolls the service back to deployment `id` (image and variables of that deployment). */
  async rollbackDeployment(id: string): Promise<boolean> {
    return (await this.request<{ deploymentRollback: boolean }>(OPERATIONS.deploymentRollback, { id })).deploymentRollback;
  }

  /** Deploys deployment `id` again (same snapshot); returns the new deployment. */
  async redeployDeployment(id: string, usePreviousImageTag?: boolean): Promise<Deployment> {
    return (
      await this.request<{ deploymentRedeploy: Deployment }>(OPERATIONS.deploymentRedeploy, {
        id,
        ...(usePreviousImageTag !== undefined ? { usePreviousImageTag } : {}),
      })
    ).deploymentRedeploy;
  }

  /** Cancels a deployment that is still building or deploying. */
  async cancelDeployment(id: string): Promise<boolean> {
    return (await this.request<{ deploymentCancel: boolean }>(OPERATIONS.deploymentCancel, { id })).deploymentCancel;
  }

  /**
   * Upserts variables of a service (or the environment's shared variables without `serviceId`).
   * By default the change stays staged (`skipDeploys: true`): the caller deploys when it is ready.
   */
  async upsertVariables(upsert: VariableUpsert): Promise<boolean> {
    const input = {
      projectId: upsert.projectId,
      environmentId: upsert.environmentId,
      ...(upsert.serviceId !== undefined ? { serviceId: upsert.serviceId } : {}),
      variables: upsert.variables,
      replace: upsert.replace ?? false,
      skipDeploys: upsert.skipDeploys ?? true,
    };
    return (await this.request<{ variableCollectionUpsert: boolean }>(OPERATIONS.variableCollectionUpsert, { input })).variableCollectionUpsert;
  }
}

/**
 * `variableCollectionUpsert` for a `secrets sync`: writes `variables` to a service, or to the
 * environment's shared variables when `serviceId` is left out, without redeploying unless
 * `skipDeploys: false`. Reads the token and endpoint from the environment like every command.
 */
export async function upsertRailwayVariables(upsert: VariableUpsert, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return railwayApiFromEnv(env).upsertVariables(upsert);
}

/** A failure worth retrying for reads. */
class TransientError extends Error {}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
