import { servicesOf, SpecError, TenAgent, type StackEnvironment } from '../../constructs/index.ts';
import type { TenGraph } from '../../constructs/ten/ten-graph.ts';
import {
  checkTenappFiles,
  TENAPP_MANIFEST_PATH,
  TENAPP_PROPERTY_PATH,
  tenappManifest,
  tenappProperty,
} from '../../constructs/ten/tenapp.ts';
import { emptyOutput, type RenderedOutput } from '../rendered-output.ts';

/**
 * The tenapp's property.json and manifest.json, which the ten-agent image is built from. One image
 * serves every environment, so it holds the graph of each environment's vendors; what else
 * differs per environment (model, voice, prompt…) reaches the graph through variables.
 */
export function renderTenapp(environments: StackEnvironment[]): RenderedOutput {
  const graphs = new Map<string, { graph: TenGraph; json: string; environment: string }>();
  for (const environment of environments) {
    for (const agent of servicesOf(environment).filter((service): service is TenAgent => service instanceof TenAgent)) {
      const json = JSON.stringify(agent.graph.toJson());
      const seen = graphs.get(agent.graph.name);
      if (seen !== undefined && seen.json !== json) {
        throw new SpecError(
          { environment: environment.name, service: agent.name, field: `graph.${agent.graph.name}` },
          `describes graph "${agent.graph.name}" differently from environment "${seen.environment}"; one image holds one graph of each name`,
        );
      }
      graphs.set(agent.graph.name, { graph: agent.graph, json, environment: environment.name });
    }
  }
  const output = emptyOutput();
  if (graphs.size === 0) return output;
  const all = [...graphs.values()].map((entry) => entry.graph);
  const property = tenappProperty(all);
  const manifest = tenappManifest(all);
  checkTenappFiles(property, manifest, (field, problem) => {
    throw new SpecError({ service: 'ten-agent', field }, problem);
  });
  output.files.set(TENAPP_PROPERTY_PATH, `${JSON.stringify(property, null, 2)}\n`);
  output.files.set(TENAPP_MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
  return output;
}
