/**
 * Series of TEN's runtime (its service hub's telemetry), as the OpenTelemetry Collector in the
 * ten-agent image serves them: TEN records OpenTelemetry histograms and gauges with no unit, so
 * the collector's Prometheus exporter adds no suffix but the histograms' `_bucket`, `_sum` and
 * `_count`. Values are microseconds. Names and labels as TEN's runtime creates them
 * (core/src/ten_runtime/app/service_hub/metric.c, `ten_app_service_hub_create_metric`); every
 * series also carries `app_uri` and the session's `graph_id`.
 */
export const TEN = {
  /** How long an extension's callback ran (on_cmd, on_data, on_audio_frame, on_video_frame); labels extension_name, msg_type, msg_name. */
  callbackDuration: 'extension_callback_execution_duration',
  /** From on_cmd to the command's final result; labels extension_name, msg_name. */
  commandDuration: 'extension_cmd_processing_duration',
  /** How long a message waited in an extension thread's queue before it was handled; label extension_group_name. */
  queueWait: 'extension_thread_msg_queue_stay_time',
} as const;
