/**
 * Synth entry, as `cdk8s.yaml` names it: builds the construct tree of every environment and
 * renders every target. Same as `npm run synth`.
 */
import { SpecError } from './constructs/index.ts';
import { synth } from './cli/synth.ts';

try {
  await synth();
} catch (error) {
  const known = SpecError.isSpecError(error);
  process.stderr.write(`${known ? 'error' : 'internal error'}: ${error instanceof Error ? error.message : String(error)}\n${known ? 'nothing was written.\n' : ''}`);
  process.exitCode = known ? 1 : 2;
}
