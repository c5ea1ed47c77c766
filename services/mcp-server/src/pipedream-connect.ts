import { PipedreamClient } from '@pipedream/sdk';

/** What a Connect action run needs and returns, without the SDK's types leaking further. */
export interface ConnectRunRequest {
  readonly actionKey: string;
  readonly app: string;
  readonly externalUserId: string;
  readonly configuredProps: Record<string, unknown>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly signal: AbortSignal;
}

export type ConnectRunResult =
  | { readonly kind: 'ran'; readonly ret: unknown; readonly summary?: string }
  /** The user has no connected account for the app: they must connect it first, at this link. */
  | { readonly kind: 'not-connected'; readonly connectLinkUrl?: string; readonly connectLinkExpiresAt?: string };

export interface ConnectCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly projectId: string;
  readonly projectEnvironment: 'development' | 'production';
  readonly baseUrl: string;
}

/** How long a user's connected account id is remembered, so each run costs one request, not two. */
const ACCOUNT_CACHE_MS = 60_000;

/**
 * Runs Pipedream Connect actions for an end user with the SDK and our OAuth client credentials:
 * looks up the user's connected account for the app, and passes it as the app prop.
 */
export class PipedreamConnect {
  private readonly client: PipedreamClient;
  private readonly accounts = new Map<string, { id: string; until: number }>();

  constructor(credentials: ConnectCredentials) {
    this.client = new PipedreamClient({
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      projectId: credentials.projectId,
      projectEnvironment: credentials.projectEnvironment,
      baseUrl: credentials.baseUrl,
    });
  }

  public async run(request: ConnectRunRequest): Promise<ConnectRunResult> {
    const options = { timeoutInSeconds: Math.max(1, Math.ceil(request.timeoutMs / 1000)), abortSignal: request.signal };
    const account = await this.accountFor(request.externalUserId, request.app, options);
    if (account === undefined) {
      const token = await this.client.tokens.create({ externalUserId: request.externalUserId }, { ...options, maxRetries: 0 });
      return {
        kind: 'not-connected',
        connectLinkUrl: `${token.connectLinkUrl}&app=${encodeURIComponent(request.app)}`,
        connectLinkExpiresAt: token.expiresAt.toISOString(),
      };
    }
    const response = await this.client.actions.run(
      {
        id: request.actionKey,
        externalUserId: request.externalUserId,
        configuredProps: { ...request.configuredProps, [request.app]: { authProvisionId: account } },
      },
      // Never retried unless the catalog says the action is idempotent: a retried POST could
      // send the message twice.
      { ...options, maxRetries: request.retries },
    );
    const summary = (response.exports as Record<string, unknown> | undefined)?.['$summary'];
    return { kind: 'ran', ret: response.ret ?? null, ...(typeof summary === 'string' ? { summary } : {}) };
  }

  private async accountFor(
    externalUserId: string,
    app: string,
    options: { timeoutInSeconds: number; abortSignal: AbortSignal },
  ): Promise<string | undefined> {
    const key = `${externalUserId}\u0000${app}`;
    const cached = this.accounts.get(key);
    if (cached !== undefined && cached.until > Date.now()) return cached.id;
    // Listing is a read, so the SDK's own retries are safe here.
    const page = await this.client.accounts.list({ externalUserId, app, limit: 10 }, options);
    const account = page.data.find((candidate) => candidate.healthy !== false && candidate.dead !== true);
    if (account === undefined) {
      this.accounts.delete(key);
      return undefined;
    }
    this.accounts.set(key, { id: account.id, until: Date.now() + ACCOUNT_CACHE_MS });
    return account.id;
  }
}
