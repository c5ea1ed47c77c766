import type { PriorDiscovery } from '@modelcontextprotocol/client';

/**
 * How long the console reuses the MCP server's `server/discover` answer. Reusing it saves the
 * probe (a round trip and a unit of the server's rate limit) on every short connection; a minute
 * bounds how long a changed server is spoken to as it was (a stale verdict fails loudly, and the
 * failure forgets it at once).
 */
const DISCOVERY_TTL_MS = 60_000;

/**
 * The era verdict per MCP server URL, for one authorization context (the console's own token),
 * as the SDK's `connect({ prior })` takes it.
 */
export class DiscoveryCache {
  private readonly verdicts = new Map<string, { prior: PriorDiscovery; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  public get(url: string): PriorDiscovery | undefined {
    const entry = this.verdicts.get(url);
    if (entry === undefined || entry.until <= this.now()) return undefined;
    return entry.prior;
  }

  public remember(url: string, prior: PriorDiscovery): void {
    this.verdicts.set(url, { prior, until: this.now() + DISCOVERY_TTL_MS });
  }

  /** After a failure: the next connection probes again. */
  public forget(url: string): void {
    this.verdicts.delete(url);
  }
}
