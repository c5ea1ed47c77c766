import { voiceAgentProgram } from './program.ts';
import { runProgram } from './run-program.ts';

// The entry point every npm script runs: `node --import tsx cli/index.ts <command> -- <args>`.
await runProgram(voiceAgentProgram(), process.argv);
