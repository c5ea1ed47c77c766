/**
 * Signing in over plain HTTP, as a browser does it, for tests that need the real flow without a
 * browser: a cookie jar and the walk through the local provider's pages.
 */

/** A minimal cookie jar: the provider's cookies, by name, dropped when expired. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = '', attributeValue = ''] = attribute.trim().split('=');
        if (key.toLowerCase() === 'max-age') return Number(attributeValue) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(attribute.trim().slice(8)) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Does what a browser does from the authorization URL: follows the provider's redirects, fills the
 * login form with the username (and the password, for a provider that has its own users) and
 * submits it, until the provider sends the browser back to the client. Returns that final URL
 * (the client's redirect_uri with code, state and iss).
 */
export async function browserSignIn(
  authorizationUrl: URL,
  issuer: string,
  username: string,
  jar = new CookieJar(),
  password?: string,
): Promise<{ callback: URL; pages: string[] }> {
  let next = authorizationUrl.href;
  let method: 'GET' | 'POST' = 'GET';
  let body: URLSearchParams | undefined;
  const pages: string[] = [];
  for (let step = 0; step < 20; step++) {
    if (!next.startsWith(issuer)) return { callback: new URL(next), pages };
    const response = await fetch(next, {
      method,
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(body ? { body } : {}),
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      next = new URL(location, next).href;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await response.text();
    pages.push(html);
    const form = /<form method="post" action="([^"]+)"[^>]*>[\s\S]*?<input[^>]*name="login"/.exec(html);
    if (response.status !== 200 || form === null) throw new Error(`unexpected page ${response.status} at ${next}: ${html.slice(0, 500)}`);
    next = new URL(form[1]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))), next).href;
    method = 'POST';
    body = new URLSearchParams({ login: username, ...(password !== undefined ? { password } : {}) });
  }
  throw new Error('too many steps');
}

