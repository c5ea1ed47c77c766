import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { voiceAgentProgram } from '../../cli/program.ts';
import { REPO_ROOT } from '../../constructs/repo-root.ts';
import { runCli } from '../helpers/synth.ts';

/** A command's help as `--help` prints it, text added after the options included. */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

function withSubcommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(withSubcommands)];
}

describe('the command line', () => {
  it('prints the repository version with --version, from any command', () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['synth', '--version'], ['deploy', '-V']]) {
      const result = runCli(args);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });

  it('gives its help examples as npm scripts of this repository, never as a voice-agent binary', () => {
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const examples = withSubcommands(voiceAgentProgram()).flatMap((command) => {
      const help = helpOf(command);
      const start = help.indexOf('\nExamples:\n');
      return start === -1 ? [] : help.slice(start + '\nExamples:\n'.length).split('\n').filter((line) => line.trim() !== '');
    });
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      expect(example).not.toMatch(/(^|&&)\s*voice-agent\s/);
      const run = [...example.matchAll(/npm run (\S+)/g)].map((match) => match[1]!);
      expect(run, example).not.toEqual([]);
      for (const script of run) expect(Object.keys(scripts), example).toContain(script);
    }
  });
});
