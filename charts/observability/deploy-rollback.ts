/**
 * The PromQL of "a version came back": a (service, version) running now that, within the window,
 * was gone while another version of the same service ran. Built from the services'
 * `*_build_info{version}` series alone, so it works from the first evaluation after Prometheus
 * starts (no recording rule to fill first).
 *
 * Step by step, per service and version (P = the versions running at an instant):
 *   replaced(t) = versions seen in [t - window, t], not running at t, while the service runs some version at t
 *   alert       = P now, and replaced(t) for some t in [now - window, now]
 *
 * What it tells apart:
 * - v1 → v2 (a deploy): v2 was never replaced, so nothing; v1 is replaced but not running.
 * - v1 → v2 → v1 (a rollback): v1 was replaced while v2 ran, and runs again: fires.
 * - v2 restarting (every replica gone, then back): while nothing ran, nothing "replaced" it.
 * - v1 and v2 side by side, then v2 removed (a canary dropped): v1 never left, so nothing.
 * A rollback that overlaps the rollout it undoes (v1 pods back before the last went) is not seen:
 * v1 never left.
 *
 * It fires at the first evaluation with the old version back, and stays until the window has
 * passed the last moment the version was replaced.
 */
export function rolledBackVersionsExpr(buildInfoSelector: string, windowHours: number): string {
  const running = `group by (service, version) (${buildInfoSelector})`;
  const window = `${windowHours}h`;
  const replaced = `(max_over_time((${running})[${window}:1m]) unless on (service, version) ${running}) and on (service) ${running}`;
  return `${running}\nand on (service, version)\nmax_over_time((${replaced})[${window}:1m])`;
}
