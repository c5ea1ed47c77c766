'use client';

import { useEffect, useId, useState } from 'react';
import { api } from './api.ts';
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
}

/** Lists the MCP server's tools and runs one with a form made from its input schema. */
export function ToolsPanel({ onCall }: { onCall: () => void }) {
  const selectId = useId();
  const [tools, setTools] = useState<ToolSummary[]>();
  const [selected, setSelected] = useState<string>('');
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<ToolResult>();
  const [error, setError] = useState<string>();

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
    try {
      setResult(await api<ToolResult>('/api/tools/call', { name: tool.name, arguments: args }));
    } catch (failure) {
      setError((failure as Error).message);
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
