import { describe, expect, it } from 'vitest';
import { withoutConnectTokens } from '../lib/connect-link.ts';

describe('Connect Links in what the console stores', () => {
  it('lose their token and keep the rest of the URL', () => {
    expect(withoutConnectTokens('Open this link: https://pipedream.com/_static/connect.html?token=ctok_abc123&connectLink=true&app=slack')).toBe(
      'Open this link: https://pipedream.com/_static/connect.html?token=[redacted]&connectLink=true&app=slack',
    );
    expect(withoutConnectTokens('two: https://a.example/x?app=b&token=t1 and "https://c.example/?token=t2"')).toBe('two: https://a.example/x?app=b&token=[redacted] and "https://c.example/?token=[redacted]"');
  });

  it('leave text without a token as it was', () => {
    expect(withoutConnectTokens('Order A-1 ships on Friday; tokens: none. ?tokens=1')).toBe('Order A-1 ships on Friday; tokens: none. ?tokens=1');
  });
});
