import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';
import { runCli, temporaryDirectory } from '../helpers/synth.ts';

/** `npm run smoke -- …` as CI calls it: progress on stdout, clear errors, no stack traces. */
describe('smoke command line', () => {
  it('prepare prints what it starts, leaves out and builds', () => {
    const out = temporaryDirectory('smoke-cli-');
    const result = runCli(['smoke', 'prepare', '--env', 'development', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ {2}starts: frontend, .*mcp-server, postgres, redis$/m);
    expect(result.stdout).toMatch(/^ {2}not started: ten-agent-0, in the voice profile/m);
    expect(result.stdout).toMatch(/^ {2}builds: frontend \(voice-agent\/frontend:dev, linux\/amd64\), mcp-server/m);
  });

  it('up refuses to start without our images in Docker (or without Docker), naming what to do', () => {
    const out = temporaryDirectory('smoke-cli-');
    expect(runCli(['smoke', 'prepare', '--env', 'development', '--out', out]).status).toBe(0);
    const result = runCli(['smoke', 'up', '--dir', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/docker is not installed here|voice-agent\/frontend:dev \(frontend\) is not in Docker: build the images of .*bake\.json first/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('check fails, exit 1, when a service is not up, and writes the table to the GitHub step summary', async () => {
    const out = temporaryDirectory('smoke-cli-');
    const [pipedream, nothing] = [await freePort(), await freePort()];
    expect(runCli(['smoke', 'prepare', '--env', 'development', '--out', out, '--fake-pipedream-port', String(pipedream), '--fake-pipedream-host', '127.0.0.1']).status).toBe(0);
    const summary = join(out, 'summary.md');
    const result = runCli(['smoke', 'check', '--dir', out, '--native', '--only', 'mcp-server', '--map-port', `8080=${nothing}`, '--timeout', '5'], { GITHUB_STEP_SUMMARY: summary });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/mcp-server: health command +FAILED/);
    expect(result.stdout).toContain("not checked: the console reaches the MCP server: needs frontend, not checked here");
    expect(result.stderr).toContain('2 of 2 smoke checks failed: mcp-server: health command; the MCP server runs a workflow against the stand-in Pipedream');
    const written = readFileSync(summary, 'utf8');
    expect(written).toContain('### Smoke test: FAILED');
    expect(written).toMatch(/\| mcp-server: health command \| \*\*failed\*\* \| exit 1/);
  });

  it('check and down name the missing smoke.json; check refuses a bad --map-port and an --only it does not start', () => {
    const empty = temporaryDirectory('smoke-cli-');
    const missing = runCli(['smoke', 'check', '--dir', empty]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`${empty}/smoke.json does not exist: run npm run smoke -- prepare`);
    expect(runCli(['smoke', 'down', '--dir', empty]).stderr).toContain('smoke.json does not exist');
    const out = temporaryDirectory('smoke-cli-');
    expect(runCli(['smoke', 'prepare', '--env', 'development', '--out', out]).status).toBe(0);
    const badPort = runCli(['smoke', 'check', '--dir', out, '--native', '--map-port', '3000:1']);
    expect(badPort.status).toBe(1);
    expect(badPort.stderr).toContain('--map-port 3000:1: give <port>=<port>');
    const only = runCli(['smoke', 'check', '--dir', out, '--native', '--only', 'ten-agent-0']);
    expect(only.status).toBe(1);
    expect(only.stderr).toContain('--only ten-agent-0: not started by the smoke test');
  });
});
