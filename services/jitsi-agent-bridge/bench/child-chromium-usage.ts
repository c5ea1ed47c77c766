import { processTreeUsage, type ProcessUsage } from '../src/browser/process-usage.ts';

/**
 * CPU and PSS of a Chromium this process launched, found by a switch on its command line. The
 * bot's joiner has its own marker (joiner.usage()); the humans' browser is launched by the test
 * harness with fixed switches, and Chromium hands some of them (the fake-audio file among them)
 * on to its utility processes, so the browser process is told apart as the one whose parent is
 * this Node process.
 */
export function childChromiumUsage(switchPrefix: string): Promise<ProcessUsage | undefined> {
  return processTreeUsage(({ parent, args }) => parent === process.pid && args.some((arg) => arg.startsWith(switchPrefix)));
}
