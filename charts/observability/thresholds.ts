/**
 * The defaults the alerts and the dashboard share, so a line on a panel sits where its alert fires.
 * test/charts/observability/thresholds.test.ts holds the first two to the sources they come from.
 */

/** The bridge benchmark's target: "added p95 ≤ 100 ms each way" (services/jitsi-agent-bridge/bench/bridge.bench.ts, TARGET_ADDED_P95_MS). */
export const DEFAULT_ADDED_LATENCY_TARGET_SECONDS = 0.1;

/** The MCP server's AUDIT_MAX_LAG_MS default, 30 000 ms (services/mcp-server/src/config.ts), where its /ready turns 503. */
export const DEFAULT_AUDIT_MAX_LAG_SECONDS = 30;

/** jvb's stress is 1 at its own overload threshold, where it starts cutting video: 0.8 leaves time to add a bridge. */
export const DEFAULT_VIDEOBRIDGE_STRESS_THRESHOLD = 0.8;
