import { randomUUID } from 'node:crypto';
import type { Tool, CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { describeArguments, type AuditLog } from './audit/audit-log.ts';
import type { CatalogTool } from './catalog.ts';
import type { Metrics } from './metrics.ts';
import type { PipedreamConnect } from './pipedream-connect.ts';
import { runTool } from './tool-runner.ts';

/** Who is calling, as every transport establishes it. */
export interface CallContext {
  readonly caller: string;
  readonly externalUserId: string;
  readonly transport: 'mcp' | 'sse' | 'rest';
  readonly signal?: AbortSignal;
}

export interface ToolServiceOptions {
  readonly tools: readonly CatalogTool[];
  readonly connect: PipedreamConnect | undefined;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Key of the argument digest in the audit log. */
  readonly digestKey: string;
}

/**
 * The one path every tool call takes, whatever the transport: look the tool up in the catalog,
 * run it, count it, audit it. MCP, the legacy SSE transport and the REST endpoint all call here.
 */
export class ToolService {
  private readonly byName: Map<string, CatalogTool>;
  private readonly options: ToolServiceOptions;
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(options: ToolServiceOptions) {
    this.options = options;
    this.byName = new Map(options.tools.map((tool) => [tool.entry.name, tool]));
  }

  /** The catalog as MCP tool definitions. */
  public list(): Tool[] {
    return this.options.tools.map(({ entry }) => ({
      name: entry.name,
      title: entry.title,
      description: entry.description,
      inputSchema: entry.inputSchema as Tool['inputSchema'],
      annotations: { title: entry.title, openWorldHint: true, ...entry.annotations },
    }));
  }

  public has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Calls running now. */
  public get inFlight(): number {
    return this.running;
  }

  /** Runs a tool by name. Never throws for tool failures; those are `isError` results. */
  public async call(name: string, args: unknown, context: CallContext): Promise<CallToolResult> {
    const tool = this.byName.get(name);
    if (tool === undefined) {
      return { isError: true, content: [{ type: 'text', text: `I don't have a tool called ${name}.` }] };
    }
    const { metrics, audit, logger } = this.options;
    const started = performance.now();
    this.running += 1;
    metrics.inFlight.inc();
    try {
      const run = await runTool(tool, args, { externalUserId: context.externalUserId, ...(context.signal ? { signal: context.signal } : {}) }, this.options.connect);
      const durationMs = Math.round(performance.now() - started);
      metrics.toolCalls.inc({ tool: name, outcome: run.outcome, transport: context.transport });
      metrics.toolDuration.observe({ tool: name, outcome: run.outcome }, durationMs / 1000);
      if (run.errorClass !== undefined) metrics.toolErrors.inc({ tool: name, error_class: run.errorClass });
      audit.record({
        id: randomUUID(),
        calledAt: new Date(),
        tool: name,
        caller: context.caller,
        endUser: context.externalUserId,
        transport: context.transport,
        ...describeArguments(args, this.options.digestKey),
        durationMs,
        outcome: run.outcome,
        errorClass: run.errorClass ?? null,
      });
      metrics.auditPending.set(audit.pending);
      logger.info({ tool: name, caller: context.caller, transport: context.transport, outcome: run.outcome, errorClass: run.errorClass, durationMs }, 'tool call');
      return run.result;
    } finally {
      this.running -= 1;
      metrics.inFlight.dec();
      if (this.running === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Resolves when no call is running, or after `timeoutMs`; returns whether it drained. */
  public async drain(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return drained;
  }
}
