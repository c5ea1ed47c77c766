import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import type { CallToolResult, Tool } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { ArgumentLimits } from './argument-bounds.ts';
import { describeArguments, type ArgumentDescription } from './audit/argument-description.ts';
import type { AuditLog } from './audit/audit-log.ts';
import type { CatalogTool } from './catalog.ts';
import { InFlight } from './in-flight.ts';
import type { Metrics } from './metrics.ts';
import type { PipedreamConnect } from './pipedream-connect.ts';
import { runTool, type ToolRun } from './tool-runner.ts';

/** Who is calling, as every transport establishes it. */
export interface CallContext {
  readonly caller: string;
  readonly externalUserId: string;
  readonly transport: 'mcp' | 'sse' | 'rest';
  readonly signal?: AbortSignal;
  /** The id of the HTTP request that made the call, for its log line (none over legacy SSE). */
  readonly requestId?: string;
}

export interface ToolServiceOptions {
  readonly tools: readonly CatalogTool[];
  readonly connect: PipedreamConnect | undefined;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Key of the argument digest in the audit log. */
  readonly digestKey: string;
  readonly argumentLimits: ArgumentLimits;
}

/**
 * The one path every tool call takes, whatever the transport: look the tool up in the catalog,
 * run it, count it, audit it. MCP, the legacy SSE transport and the REST endpoint all call here.
 */
export class ToolService {
  private readonly byName: Map<string, CatalogTool>;
  private readonly options: ToolServiceOptions;
  private readonly running = new InFlight();
  /** The digest key as OpenSSL takes it, prepared once rather than for every call. */
  private readonly digestKey: KeyObject;

  constructor(options: ToolServiceOptions) {
    this.options = options;
    this.byName = new Map(options.tools.map((tool) => [tool.entry.name, tool]));
    this.digestKey = createSecretKey(Buffer.from(options.digestKey, 'utf8'));
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
    return this.running.size;
  }

  /**
   * Runs a tool by name. Never throws for tool failures; those are `isError` results. Every call
   * that reaches a tool gets its audit record and its log line, whatever fails on the way.
   */
  public async call(name: string, args: unknown, context: CallContext): Promise<CallToolResult> {
    const tool = this.byName.get(name);
    if (tool === undefined) {
      return { isError: true, content: [{ type: 'text', text: `I don't have a tool called ${name}.` }] };
    }
    const calledAt = new Date();
    const started = performance.now();
    // Before the tool runs, so nothing about the arguments can fail after it has.
    const description = this.describe(args);
    // Counted here; mcp_tool_calls_in_flight reads the count when it is scraped (src/app.ts).
    const done = this.running.enter();
    try {
      const run = await this.run(tool, args, context);
      this.account({ name, context, description, run, calledAt, durationMs: Math.round(performance.now() - started) });
      return run.result;
    } finally {
      done();
    }
  }

  private describe(args: unknown): ArgumentDescription {
    try {
      return describeArguments(args, this.digestKey);
    } catch (error) {
      this.options.logger.error({ err: (error as Error).message }, 'could not describe tool arguments for the audit log');
      return { argumentNames: [], argumentDigest: 'unavailable' };
    }
  }

  private async run(tool: CatalogTool, args: unknown, context: CallContext): Promise<ToolRun> {
    try {
      return await runTool(
        tool,
        args,
        { externalUserId: context.externalUserId, argumentLimits: this.options.argumentLimits, ...(context.signal ? { signal: context.signal } : {}) },
        this.options.connect,
      );
    } catch (error) {
      // runTool turns every failure into a result; this only keeps a bug there from leaving a
      // call that may have run without its record.
      this.options.logger.error({ tool: tool.entry.name, err: (error as Error).message }, 'tool runner failed');
      return { outcome: 'tool_error', errorClass: 'internal', result: { isError: true, content: [{ type: 'text', text: `${tool.entry.title} ran into a problem on my side.` }] } };
    }
  }

  /** Audit record, log line and metrics, each on its own: one failing never stops the others. */
  private account(call: { name: string; context: CallContext; description: ArgumentDescription; run: ToolRun; calledAt: Date; durationMs: number }): void {
    const { name, context, description, run, calledAt, durationMs } = call;
    const { metrics, audit, logger } = this.options;
    const record = {
      id: randomUUID(),
      calledAt,
      tool: name,
      caller: context.caller,
      endUser: context.externalUserId,
      transport: context.transport,
      ...description,
      durationMs,
      outcome: run.outcome,
      errorClass: run.errorClass ?? null,
    };
    try {
      audit.record(record);
    } catch (error) {
      // The record must not vanish: it goes to the log, as the audit log does with what it cannot write.
      attempt(logger, 'audit record', () => logger.error({ err: (error as Error).message, reason: 'audit log failed', auditRecord: record }, 'audit record not written to Postgres; logged instead'));
    }
    attempt(logger, 'log line', () =>
      logger.info(
        { ...(context.requestId !== undefined ? { requestId: context.requestId } : {}), tool: name, caller: context.caller, transport: context.transport, outcome: run.outcome, errorClass: run.errorClass, durationMs },
        'tool call',
      ),
    );
    attempt(logger, 'metrics', () => {
      metrics.toolCalls.inc({ tool: name, outcome: run.outcome, transport: context.transport });
      metrics.toolDuration.observe({ tool: name, outcome: run.outcome }, durationMs / 1000);
      if (run.errorClass !== undefined) metrics.toolErrors.inc({ tool: name, error_class: run.errorClass });
    });
  }

  /** Resolves when no call is running, or after `timeoutMs`; returns whether it drained. */
  public drain(timeoutMs: number): Promise<boolean> {
    return this.running.waitUntilIdle(timeoutMs);
  }
}

function attempt(logger: Logger, what: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    try {
      logger.error({ err: (error as Error).message }, `tool call ${what} failed`);
    } catch {
      // The logger itself failed: nothing left to tell.
    }
  }
}
