import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endUserId } from '../lib/end-user-id.ts';
import { consoleCall, signedInCookie } from './helpers/console-client.ts';
import { startConsoleStack, type ConsoleStack } from './helpers/console-stack.ts';

/**
 * Finding 5: the MCP server accepts X-End-User-Id only as 1–250 visible ASCII characters. Subjects
 * that fit (and have no `%`) pass unchanged, so existing Connect accounts stay their users'; others
 * are percent-encoded, and what is still too long becomes a prefixed SHA-256.
 */
const LONG_SUBJECT = `long-${'x'.repeat(295)}`;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('the end user id of a subject', () => {
  it('is the subject itself when it is visible ASCII without %', () => {
    expect(endUserId('ada-1234')).toBe('ada-1234');
    expect(endUserId('auth0|5f7c8ec7c33c6c004bbafe82')).toBe('auth0|5f7c8ec7c33c6c004bbafe82');
    expect(endUserId('x'.repeat(250))).toBe('x'.repeat(250));
  });

  it('is percent-encoded (reversibly) when it has spaces, non-ASCII or %', () => {
    expect(endUserId('Zoë Müller')).toBe('Zo%C3%AB%20M%C3%BCller');
    expect(endUserId('100%')).toBe('100%25');
    expect(decodeURIComponent(endUserId('Zoë Müller'))).toBe('Zoë Müller');
    // Encoding never lands on a subject that passes unchanged: those have no %.
    expect(endUserId('Zo%C3%AB%20M%C3%BCller')).toBe('Zo%25C3%25AB%2520M%25C3%25BCller');
  });

  it('is a prefixed SHA-256 when even that is over 250 characters', () => {
    expect(endUserId(LONG_SUBJECT)).toBe(`%sha256:${sha256(LONG_SUBJECT)}`);
    expect(endUserId('ü'.repeat(50))).toBe(`%sha256:${sha256('ü'.repeat(50))}`);
    expect(endUserId('ü'.repeat(41))).toBe('%C3%BC'.repeat(41));
  });
});

describe('users whose subject the MCP server would refuse as it is', () => {
  let stack: ConsoleStack;
  beforeAll(async () => {
    stack = await startConsoleStack();
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  for (const [label, sub, expected] of [
    ['a name with spaces and accents', `Zoë Müller ${randomBytes(2).toString('hex')}`, (sub: string) => encodeURIComponent(sub)],
    ['a 300-character subject', LONG_SUBJECT, (sub: string) => `%sha256:${sha256(sub)}`],
    ['an ordinary ASCII subject', `ada-${randomBytes(3).toString('hex')}`, (sub: string) => sub],
  ] as const) {
    it(`use their tools as themselves: ${label}`, async () => {
      const cookie = await signedInCookie(stack.redisUrl, { sub, name: label });
      expect((await consoleCall(stack.url, '/api/tools', { cookie })).status).toBe(200);

      const workflow = await consoleCall(stack.url, '/api/tools/call', { cookie, body: { name: 'lookup_order', arguments: { order_id: 'E-1001' } } });
      expect(workflow.status).toBe(200);
      expect(((await workflow.json()) as { isError: boolean }).isError).toBe(false);
      expect(stack.pipedream.requestsTo('/workflows/lookup-order').at(-1)?.headers['x-pd-external-user-id']).toBe(expected(sub));

      // A Connect action looks the user's accounts up under the same id.
      const action = await consoleCall(stack.url, '/api/tools/call', { cookie, body: { name: 'send_slack_message', arguments: { text: 'hello' } } });
      expect(action.status).toBe(200);
      const lookup = stack.pipedream.requests.filter((request) => request.path.endsWith('/accounts')).at(-1);
      expect(lookup?.query.get('external_user_id')).toBe(expected(sub));

      const history = (await (await consoleCall(stack.url, '/api/history', { cookie })).json()) as { toolCalls: Array<{ tool: string }> };
      expect(history.toolCalls.map((call) => call.tool)).toEqual(['send_slack_message', 'lookup_order']);
    });
  }
});
