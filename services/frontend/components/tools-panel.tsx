'use client';

import { useEffect, useId, useState } from 'react';
import { api, ApiError, newRequestId } from './api.ts';
import { SchemaForm, type ObjectSchema } from './schema-form.tsx';

interface ToolSummary {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: ObjectSchema;
}

interface ToolResult {
  readonly isError: boolean;
  readonly text: string;
  readonly structuredContent?: { connectLinkUrl?: unknown };
  readonly durationMs: number;
  /** Set when history could not be written yet: the call ran, history will catch up. */
  readonly note?: string;
}

/** A run whose outcome the page does not know yet: running it again with the same arguments reuses its request id. */
interface UnsettledRun {
  readonly requestId: string;
  readonly tool: string;
  readonly argumentsJson: string;
}

/**
 * Whether an answer settles the run. Without an answer, or with one that says nothing about the
 * tool (still running, the console or its stores busy or away), the next run of the same call is
 * a retry and keeps the request id, so the console does not run the tool twice.
 */
function settles(failure: unknown): boolean {
  const status = failure instanceof ApiError ? failure.status : undefined;
  return status !== undefined && status !== 409 && status !== 429 && status < 500;
}

/** Lists the MCP server's tools and runs one with a form made from its input schema. */
export function ToolsPanel({ onCall }: { onCall: () => void }) {
  const selectId = useId();
  const [tools, setTools] = useState<ToolSummary[]>();
  const [selected, setSelected] = useState<string>('');
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<ToolResult>();
  const [error, setError] = useState<string>();
  const [unsettled, setUnsettled] = useState<UnsettledRun>();

  useEffect(() => {
    api<{ tools: ToolSummary[] }>('/api/tools')
      .then(({ tools: loaded }) => {
        setTools(loaded);
        setSelected(loaded[0]?.name ?? '');
      })
      .catch((failure: Error) => setError(failure.message));
  }, []);

  const tool = tools?.find((entry) => entry.name === selected);
  const run = async (args: Record<string, unknown>) => {
    if (tool === undefined) return;
    setRunning(true);
    setError(undefined);
    setResult(undefined);
    const argumentsJson = JSON.stringify(args);
    const retry = unsettled !== undefined && unsettled.tool === tool.name && unsettled.argumentsJson === argumentsJson;
    const requestId = retry ? unsettled.requestId : newRequestId();
    setUnsettled({ requestId, tool: tool.name, argumentsJson });
    try {
      setResult(await api<ToolResult>('/api/tools/call', { name: tool.name, arguments: args }, { 'idempotency-key': requestId }));
      setUnsettled(undefined);
    } catch (failure) {
      setError((failure as Error).message);
      if (settles(failure)) setUnsettled(undefined);
    } finally {
      setRunning(false);
      onCall();
    }
  };
  const connectLink = typeof result?.structuredContent?.connectLinkUrl === 'string' ? result.structuredContent.connectLinkUrl : undefined;

  return (
    <section className="panel" aria-labelledby="tools-heading">
      <h2 id="tools-heading">Tools</h2>
      {tools === undefined && error === undefined && (
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Loading tools…
        </p>
      )}
      {tools !== undefined && tools.length === 0 && <p className="muted">The tool server offers no tools.</p>}
      {tools !== undefined && tools.length > 0 && (
        <>
          <label htmlFor={selectId}>Tool</label>
          <select
            id={selectId}
            value={selected}
            onChange={(event) => {
              setSelected(event.target.value);
              setResult(undefined);
            }}
          >
            {tools.map((entry) => (
              <option key={entry.name} value={entry.name}>
                {entry.title}
              </option>
            ))}
          </select>
          {tool !== undefined && (
            <>
              <p className="muted">{tool.description}</p>
              <SchemaForm key={tool.name} schema={tool.inputSchema} busy={running} onSubmit={(args) => void run(args)} />
            </>
          )}
        </>
      )}
      {error !== undefined && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {result !== undefined && (
        <div className={result.isError ? 'result error' : 'result'} data-testid="tool-result" aria-live="polite">
          <p>
            <strong>{result.isError ? 'The tool could not finish' : 'Result'}</strong> <span className="muted">({result.durationMs} ms)</span>
          </p>
          <pre>{result.text}</pre>
          {result.note !== undefined && <p className="muted">{result.note}</p>}
          {connectLink !== undefined && (
            <a href={connectLink} target="_blank" rel="noreferrer">
              Connect the account
            </a>
          )}
        </div>
      )}
    </section>
  );
}
