import { z } from 'zod';

// TEN's own rules for a tenapp's property.json and manifest.json, written in zod from TEN's JSON
// schemas (TEN-framework/ten-framework core/src/ten_rust/src/json_schema/data/graph.schema.json,
// property.schema.json, manifest.schema.json, draft-07). Only the parts our tenapp uses are
// modelled; everything else is refused, so a file we write is one TEN accepts.

/** TEN's `alphanumericCharacters`: node, addon, group, message and property names. */
export const tenName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must match ^[A-Za-z_][A-Za-z0-9_]*$ (TEN names)');

/** A property value: TEN allows strings, numbers, booleans, objects and arrays of them; never null. */
export type TenPropertyValue = string | number | boolean | TenPropertyObject | TenPropertyValue[];
export interface TenPropertyObject {
  [name: string]: TenPropertyValue;
}

const propertyValue: z.ZodType<TenPropertyValue> = z.lazy(() =>
  z.union([z.string(), z.number().refine(Number.isFinite, 'must be a finite number'), z.boolean(), propertyObject, z.array(propertyValue)]),
);
export const propertyObject: z.ZodType<TenPropertyObject> = z.lazy(() => z.record(tenName, propertyValue));

/** A node of type extension: `graphNode` with `type: "extension"` (name and addon required). */
export const tenNodeSchema = z.strictObject({
  type: z.literal('extension'),
  name: tenName,
  addon: tenName,
  extension_group: tenName.optional(),
  // TEN's schema makes it optional, but the agent server's /start handler asserts it is an object
  // on every node and panics otherwise (processProperty in ai_agents/server): always required here.
  property: propertyObject,
});

const messageLocation = z.strictObject({ extension: tenName });

/** One routing rule: `name` or `names`, and exactly one of `dest` or `source` (graph.schema.json). */
export const tenRouteSchema = z
  .strictObject({
    name: tenName.optional(),
    names: z.array(tenName).min(1).optional(),
    dest: z.array(messageLocation).min(1).optional(),
    source: z.array(messageLocation).min(1).optional(),
  })
  .refine((route) => route.name !== undefined || route.names !== undefined, { message: 'give name or names' })
  .refine((route) => (route.dest === undefined) !== (route.source === undefined), { message: 'give exactly one of dest or source' });

export const tenConnectionSchema = z.strictObject({
  extension: tenName,
  cmd: z.array(tenRouteSchema).optional(),
  data: z.array(tenRouteSchema).optional(),
  audio_frame: z.array(tenRouteSchema).optional(),
  video_frame: z.array(tenRouteSchema).optional(),
});

export const tenPredefinedGraphSchema = z.strictObject({
  name: tenName,
  auto_start: z.boolean().optional(),
  graph: z.strictObject({
    nodes: z.array(tenNodeSchema),
    connections: z.array(tenConnectionSchema),
  }),
});

/** One `ten.log` handler (property.schema.json `advancedLogHandler`), with the console and file emitters. */
const tenLogHandlerSchema = z.strictObject({
  matchers: z.array(z.strictObject({ level: z.enum(['off', 'debug', 'info', 'warn', 'error']), category: z.string().min(1).optional() })).min(1),
  formatter: z.strictObject({ type: z.enum(['plain', 'json']), colored: z.boolean().optional() }),
  emitter: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('console'), config: z.strictObject({ stream: z.enum(['stdout', 'stderr']) }) }),
    z.strictObject({ type: z.literal('file'), config: z.strictObject({ path: z.string().min(1) }) }),
  ]),
});

/**
 * `ten.services.telemetry` (property.schema.json `tenConfiguration.services`): the runtime's metrics,
 * pushed over OTLP. Only the OTLP exporter is modelled: TEN's Prometheus exporter would bind one port
 * in every worker process (see constructs/ten/ten-telemetry.ts).
 */
const tenTelemetrySchema = z.strictObject({
  enabled: z.boolean(),
  metrics: z.strictObject({
    enabled: z.boolean(),
    exporter: z.strictObject({
      type: z.literal('otlp'),
      config: z.strictObject({
        endpoint: z.url('must be a URL such as http://127.0.0.1:4317'),
        protocol: z.enum(['grpc', 'http']),
        headers: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'must match ^[A-Za-z0-9_-]+$ (header names)'), z.string()).optional(),
      }),
    }),
  }),
});

/** A tenapp's property.json: `ten.predefined_graphs`, the log configuration (`advancedLogConfiguration`) and the telemetry service. */
export const tenPropertyFileSchema = z.strictObject({
  ten: z.strictObject({
    predefined_graphs: z.array(tenPredefinedGraphSchema),
    log: z.strictObject({ handlers: z.array(tenLogHandlerSchema).min(1) }).optional(),
    services: z.strictObject({ telemetry: tenTelemetrySchema }).optional(),
  }),
});

/** manifest.schema.json `version` (semver) and `versionRequirement` (one range). */
const semver = z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/, 'must be a semver version');
const versionRequirement = z
  .string()
  .regex(/^(?:\^|~|>|<|>=|<=|=)?\d+(?:\.\d+)?(?:\.\d+)?(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/, 'must be a single semver requirement');

export const tenDependencySchema = z.union([
  z.strictObject({ path: z.string().min(1) }),
  z.strictObject({ type: z.enum(['app', 'extension', 'system', 'protocol', 'addon_loader']), name: tenName, version: versionRequirement }),
]);

export const tenManifestSchema = z.strictObject({
  type: z.literal('app'),
  name: tenName,
  version: semver,
  dependencies: z.array(tenDependencySchema),
  scripts: z.record(tenName, z.string()).optional(),
});

export type TenNode = z.infer<typeof tenNodeSchema>;
export type TenRoute = z.infer<typeof tenRouteSchema>;
export type TenConnection = z.infer<typeof tenConnectionSchema>;
export type TenPredefinedGraph = z.infer<typeof tenPredefinedGraphSchema>;
export type TenPropertyFile = z.infer<typeof tenPropertyFileSchema>;
export type TenDependency = z.infer<typeof tenDependencySchema>;
export type TenManifest = z.infer<typeof tenManifestSchema>;
