import { readFileSync } from 'node:fs';
import { resolvePlaceholders, MissingEnvironmentVariable } from './env-placeholders.ts';
import { ADDONS } from './extensions/index.ts';
import { readAutoStartGraph } from './graph.ts';
import { EVENT_MARKER, SCRIPT_VARIABLE, type FakeTenEvent, type FakeTenScript } from './protocol.ts';
import { Runtime } from './runtime.ts';

/**
 * One session's worker process, what `tman run start -- --property <file>` starts for TEN: it
 * reads the temporary property file, resolves each node's `${env:…}` placeholders (exiting with
 * status 1 on a required variable that is unset, as the runtime does), starts every node's
 * extension and runs until SIGTERM. It reports what happens as event lines on stdout.
 */

const emit = (event: FakeTenEvent) => process.stdout.write(`${EVENT_MARKER}${JSON.stringify(event)}\n`);
const log = (line: string) => process.stdout.write(`${line}\n`);

function propertyFileArgument(): string {
  const index = process.argv.indexOf('--property');
  const file = index === -1 ? undefined : process.argv[index + 1];
  if (file === undefined || file === '') {
    log('usage: worker --property <file>');
    process.exit(1);
  }
  return file;
}

async function main(): Promise<void> {
  const script = JSON.parse(process.env[SCRIPT_VARIABLE] ?? '{}') as FakeTenScript;
  // Only a test's stand-in could leave a worker behind: end with the server that started us.
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();

  const selected = readAutoStartGraph(JSON.parse(readFileSync(propertyFileArgument(), 'utf8')));
  if ('refused' in selected) {
    log(`graph refused: ${selected.refused}`);
    emit({ type: 'graph_refused', reason: selected.refused });
    process.exit(1);
  }
  const { graph } = selected;
  const missingAddon = graph.nodes.find((node) => ADDONS[node.addon] === undefined);
  if (missingAddon !== undefined) {
    const reason = `addon "${missingAddon.addon}" of node "${missingAddon.name}" is not installed`;
    log(`graph refused: ${reason}`);
    emit({ type: 'graph_refused', reason });
    process.exit(1);
  }

  const resolved = new Map<string, Record<string, unknown>>();
  for (const node of graph.nodes) {
    try {
      resolved.set(node.name, resolvePlaceholders(node.property, process.env) as Record<string, unknown>);
    } catch (error) {
      if (!(error instanceof MissingEnvironmentVariable)) throw error;
      log(error.message);
      process.exit(1);
    }
  }

  const runtime = new Runtime(graph, script, emit, log);
  for (const node of graph.nodes) {
    const factory = ADDONS[node.addon];
    if (factory !== undefined) runtime.register(node.name, factory(runtime.contextFor(node.name, resolved.get(node.name) ?? {})));
  }

  let stopping = false;
  process.on('SIGTERM', () => {
    emit({ type: 'sigterm' });
    if (script.ignoreSigterm === true || stopping) return;
    stopping = true;
    void Promise.allSettled([...runtime.all.values()].map((extension) => extension.stop?.())).then(() => {
      emit({ type: 'stopped' });
      process.exit(0);
    });
  });

  emit({ type: 'graph_started', graph: graph.name, nodes: graph.nodes.map((node) => node.name), properties: Object.fromEntries(resolved) });
  await Promise.all([...runtime.all.entries()].map(([name, extension]) => extension.start?.().catch((error: unknown) => log(`[${name}] on_start failed: ${String(error)}`))));
}

main().catch((error: unknown) => {
  log(`worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
