import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { BridgeError } from '../../src/bridge-error.ts';
import { connectTenSocket, type TenSocket } from '../../src/ten-socket.ts';
import type { TenMessage } from '../../src/ten-messages.ts';
import { freePortRange } from '../helpers/ports.ts';
import { waitUntil } from '../helpers/wait.ts';

/**
 * The worker websocket client on its own, against plain `ws` servers that behave as
 * websocket_server does at the edges: listening late, turning a second client away, closing.
 */

const servers: WebSocketServer[] = [];
const sockets: TenSocket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function listen(port: number): Promise<WebSocketServer> {
  return new Promise((resolve) => {
    const server: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port }, () => resolve(server));
    servers.push(server);
  });
}

describe('connectTenSocket', () => {
  it('retries until the server listens, then delivers what it sends and sends frames as {"audio": base64}', async () => {
    const { first: port } = await freePortRange(1);
    const attempts: string[] = [];
    let server: WebSocketServer | undefined;
    const connecting = connectTenSocket(`ws://127.0.0.1:${port}`, {
      deadlineAt: Date.now() + 20_000,
      timeoutSeconds: 20,
      onAttempt: (result, attempt, detail) => {
        attempts.push(`${attempt}:${result}:${detail}`);
        // The server comes up only after three refused attempts.
        if (attempt === 3 && server === undefined) void listen(port).then((listening) => (server = listening));
      },
    });
    const socket = await connecting;
    sockets.push(socket);
    expect(attempts.slice(0, 3)).toEqual(['1:refused:ECONNREFUSED', '2:refused:ECONNREFUSED', '3:refused:ECONNREFUSED']);
    expect(attempts.at(-1)).toMatch(/:open:open$/);

    const received: string[] = [];
    const [client] = [...server!.clients];
    client!.on('message', (data) => received.push(String(data)));
    const messages: TenMessage[] = [];
    socket.listen({ onMessage: (message) => messages.push(message), onClosed: () => undefined });
    const frame = Buffer.alloc(640);
    frame.writeInt16LE(-2, 0);
    frame.writeInt16LE(1234, 638);
    expect(socket.sendFrame(frame)).toBe(true);
    await waitUntil('the frame at the server', () => received.length === 1);
    expect(JSON.parse(received[0]!)).toEqual({ audio: frame.toString('base64') });

    client!.send(JSON.stringify({ type: 'cmd', name: 'flush', data: {} }));
    await waitUntil('the flush', () => messages.length === 1);
    expect(messages).toEqual([{ kind: 'flush' }]);
  });

  it('gives up at the deadline, saying how often it tried and what the last attempt met', async () => {
    const { first: port } = await freePortRange(1);
    const error = await connectTenSocket(`ws://127.0.0.1:${port}`, { deadlineAt: Date.now() + 600, timeoutSeconds: 0.6 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).status).toBe(504);
    expect((error as BridgeError).message).toMatch(new RegExp(`^TEN's worker websocket at ws://127\\.0\\.0\\.1:${port} did not answer within 0\\.6 s \\(TEN_CONNECT_TIMEOUT_SECONDS; [2-9]\\d* attempts, last: ECONNREFUSED\\)$`));
  });

  it('does not retry when the server turns it away as a second client (1008), and says so', async () => {
    const { first: port } = await freePortRange(1);
    const server = await listen(port);
    let connections = 0;
    server.on('connection', (client) => {
      connections += 1;
      // websocket_server's answer to a second client.
      client.send(JSON.stringify({ type: 'error', error: 'Connection rejected: server only accepts one connection at a time' }));
      client.close(1008, 'Only one connection allowed');
    });
    const error = (await connectTenSocket(`ws://127.0.0.1:${port}`, { deadlineAt: Date.now() + 10_000, timeoutSeconds: 10 }).catch((thrown: unknown) => thrown)) as BridgeError;
    expect(error.status).toBe(502);
    expect(error.message).toBe(
      `TEN's worker websocket at ws://127.0.0.1:${port} already has a client and turned the bridge away (close 1008 "Only one connection allowed"): websocket_server takes one client per session, so another bridge or client holds this session`,
    );
    expect(connections).toBe(1);
  });

  it('reports a close after it was connected as the session ending, and 1008 as the one-client rule', async () => {
    const { first: port } = await freePortRange(1);
    const server = await listen(port);
    const socket = await connectTenSocket(`ws://127.0.0.1:${port}`, { deadlineAt: Date.now() + 10_000, timeoutSeconds: 10 });
    sockets.push(socket);
    const problems: string[] = [];
    socket.listen({ onMessage: () => undefined, onClosed: (problem) => problems.push(problem) });
    [...server.clients][0]!.close(1011, 'worker exiting');
    await waitUntil('the close', () => problems.length === 1);
    expect(problems).toEqual([`TEN's worker websocket at ws://127.0.0.1:${port} closed (code 1011 "worker exiting"): the TEN session ended or its worker exited`]);
    expect(socket.sendFrame(Buffer.alloc(640))).toBe(false);
  });

  it('stops retrying when the session is stopped', async () => {
    const { first: port } = await freePortRange(1);
    const abort = new AbortController();
    const connecting = connectTenSocket(`ws://127.0.0.1:${port}`, {
      deadlineAt: Date.now() + 60_000,
      timeoutSeconds: 60,
      signal: abort.signal,
      onAttempt: (_result, attempt) => {
        if (attempt === 2) abort.abort();
      },
    });
    await expect(connecting).rejects.toMatchObject({ status: 409, message: `stopped while connecting to TEN's worker websocket at ws://127.0.0.1:${port}` });
  });
});
