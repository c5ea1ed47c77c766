import { AgentBridgeError } from './agent-bridge.ts';
import { consoleMetrics } from './metrics.ts';
import { RequestRefused } from './request-refused.ts';

/** Why the console refused a start itself, by its status: a short label for console_agent_starts_total. */
const REFUSALS: Readonly<Record<number, string>> = { 400: 'invalid', 403: 'forbidden', 409: 'conflict' };

/** The outcome label of a start that threw: the bridge's failure class, or the console's refusal. */
export function agentStartOutcome(error: unknown): string {
  if (error instanceof AgentBridgeError) return error.reason.replaceAll('-', '_');
  if (error instanceof RequestRefused) return REFUSALS[error.status] ?? 'rejected';
  return 'error';
}

/** Runs a start and counts how it ended in console_agent_starts_total. */
export async function countAgentStart<T>(start: () => Promise<T>): Promise<T> {
  try {
    const started = await start();
    consoleMetrics().agentStarts.inc({ outcome: 'ok' });
    return started;
  } catch (error) {
    consoleMetrics().agentStarts.inc({ outcome: agentStartOutcome(error) });
    throw error;
  }
}
