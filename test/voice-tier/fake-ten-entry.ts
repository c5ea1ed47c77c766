/**
 * One TEN replica as a process, standing in for /app/server/bin/api under the image's real drain
 * wrapper (services/ten-agent/drain/ten_drain.py run -- …): the fake agent server on
 * FAKE_TEN_ADDRESS:SERVER_PORT (its API also on 127.0.0.1, the container's loopback the drain
 * step asks), running our generated graph. SIGTERM closes it, as the real server exits on it.
 */
import { startFakeTenAgent } from '../fakes/ten-agent/server.ts';
import type { FakeTenScript } from '../fakes/ten-agent/worker/protocol.ts';
import { GENERATED_TENAPP, VOICE_AGENT_ENV } from '../helpers/tenapp.ts';

const address = process.env['FAKE_TEN_ADDRESS'] ?? '127.0.0.1';
const ten = await startFakeTenAgent({
  tenappDir: GENERATED_TENAPP,
  env: { ...VOICE_AGENT_ENV, MCP_SERVER_URL: process.env['MCP_SERVER_URL'] ?? '' },
  script: JSON.parse(process.env['FAKE_TEN_SCRIPT'] ?? '{}') as FakeTenScript,
  workersMax: Number(process.env['WORKERS_MAX'] ?? 10),
  address,
  listenAddress: '0.0.0.0',
  port: Number(process.env['SERVER_PORT']),
  logStdout: false,
});
process.stdout.write(`${JSON.stringify({ msg: 'fake ten listening', url: ten.url })}\n`);
// The sessions' tool calls and MCP connections, as lines the test reads (the workers' events
// live in this process). `afterStop`: the session had been told to stop (its call ended), so a
// tool call cut then is the call ending, not a failure of the tier.
const reported = new Map<object, number>();
setInterval(() => {
  for (const worker of ten.sessions) {
    const seen = reported.get(worker) ?? 0;
    for (const event of worker.events.slice(seen)) {
      if (['tool_called', 'tool_call_failed', 'mcp_connected', 'mcp_failed'].includes(event.type)) {
        process.stdout.write(`${JSON.stringify({ msg: 'session event', channel: worker.channelName, session: worker.requestId, event: event.type, detail: event.type === 'tool_call_failed' || event.type === 'mcp_failed' ? event.error : undefined, afterStop: worker.signalsSent.length > 0 })}\n`);
      }
    }
    reported.set(worker, worker.events.length);
  }
}, 100).unref();
// SIGTERM as the real server exits on it; SIGINT (which the drain wrapper passes on at once) too.
// Closing kills the sessions' workers, which run in process groups of their own.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void ten.close().then(() => process.exit(0));
  });
}
