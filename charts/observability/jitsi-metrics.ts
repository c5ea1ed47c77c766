/**
 * Series that Jitsi's own /metrics endpoints export, as read in their sources (jicoco's
 * MetricsContainer joins a component's namespace and the registered name with "_", and adds
 * "_total" to counters). Names only: our alerts and panels must not guess them.
 */

/**
 * jitsi-videobridge: namespace "jitsi_jvb" (jvb/src/main/kotlin/org/jitsi/videobridge/metrics/VideobridgeMetricsContainer.kt).
 */
export const JVB = {
  /**
   * The last load measurement divided by the overload threshold: 1 is "overloaded", where jvb's
   * own load reducer starts cutting last-N (registered as "stress" in
   * jvb/src/main/kotlin/org/jitsi/videobridge/metrics/VideobridgeMetrics.kt, set by
   * load_management/JvbLoadManager.kt every 10 s).
   */
  stress: 'jitsi_jvb_stress',
  /** Conferences on this bridge now ("conferences", VideobridgeMetrics.kt). */
  conferences: 'jitsi_jvb_conferences',
  /** Endpoints connected to this bridge now ("local_endpoints", VideobridgeMetrics.kt). */
  localEndpoints: 'jitsi_jvb_local_endpoints',
  /** Fraction of RTP packets lost, in and out ("loss_fraction", metrics/VideobridgePeriodicMetrics.kt). */
  lossFraction: 'jitsi_jvb_loss_fraction',
} as const;

/**
 * jicofo: namespace "jitsi_jicofo" (jicofo-common/src/main/kotlin/org/jitsi/jicofo/metrics/JicofoMetricsContainer.kt).
 */
export const JICOFO = {
  /** Running conferences, health checks excluded ("conferences", jicofo/src/main/kotlin/org/jitsi/jicofo/conference/ConferenceMetrics.kt). */
  conferences: 'jitsi_jicofo_conferences',
  /** Participants now, visitors included ("participants_current", ConferenceMetrics.kt). */
  participants: 'jitsi_jicofo_participants_current',
  /** Bridges jicofo knows ("bridge_selector_bridge_count", jicofo-selector/src/main/kotlin/org/jitsi/jicofo/bridge/BridgeSelector.kt). */
  bridges: 'jitsi_jicofo_bridge_selector_bridge_count',
  /** Bridges jicofo would place a conference on ("bridge_selector_bridge_count_operational", BridgeSelector.kt). */
  operationalBridges: 'jitsi_jicofo_bridge_selector_bridge_count_operational',
} as const;
