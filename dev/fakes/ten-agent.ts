/**
 * The TEN agent server for `npm run dev`: the repository's fake (test/fakes/ten-agent), running the
 * generated graph in real worker processes, one per session. Its vendors are stand-ins too: the
 * agent hears a scripted transcript and answers with espeak-ng's voice (a chirp without espeak-ng).
 */
import { spawnSync } from 'node:child_process';
import { startFakeTenAgent, type FakeTenAgentOptions } from '../../test/fakes/ten-agent/index.ts';
import { runStandIn } from './run-stand-in.ts';

const canSpeak = ['espeak-ng', 'sox'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);

await runStandIn<FakeTenAgentOptions>('ten-agent', (options) => startFakeTenAgent({ ...options, script: { voice: canSpeak ? 'espeak-ng' : 'chirp', ...options.script } }));
