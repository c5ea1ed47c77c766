export * from './alert-rules.ts';
export * from './grafana-dashboard.ts';
export * from './jitsi-metrics.ts';
export * from './observed-services.ts';
export * from './prometheus-rules.ts';
export * from './thresholds.ts';
export * from './voice-dashboard.ts';
export * from './component-versions.ts';
