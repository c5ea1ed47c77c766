import type { Readable } from 'node:stream';

/**
 * Copies a child's output to `write` line by line, each line behind `prefix`, so the logs of
 * every process can be told apart in one terminal. A last line without a newline is written when
 * the stream ends.
 */
export function prefixLines(stream: Readable, prefix: string, write: (text: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    if (lines.length > 0) write(lines.map((line) => `${prefix}${line}\n`).join(''));
  });
  stream.on('end', () => {
    if (pending !== '') write(`${prefix}${pending}\n`);
    pending = '';
  });
}
