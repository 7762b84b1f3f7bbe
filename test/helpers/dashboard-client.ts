import request from 'supertest';

/** A signed-in browser as the tests see it: its cookie header and its session's CSRF token. */
export interface TestBrowser {
  cookie: string;
  csrf: string;
}

/** `name=value` pairs of a response's Set-Cookie headers. */
export function setCookies(res: request.Response): Record<string, string> {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  const out: Record<string, string> = {};
  for (const c of raw ?? []) {
    const [pair] = c.split(';');
    const eq = (pair as string).indexOf('=');
    out[(pair as string).slice(0, eq)] = (pair as string).slice(eq + 1);
  }
  return out;
}

/** The value of the hidden `_csrf` field on a page. */
export function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]*)"/.exec(page);
  if (!m) throw new Error(`no CSRF field on the page: ${page.slice(0, 300)}`);
  return m[1] as string;
}

/** Signs in through the form, as a browser would: GET /login (its cookie + field), POST the token. */
export async function signIn(url: string, token: string, cookieName: string): Promise<TestBrowser> {
  const form = await request(url).get('/login');
  const loginCookies = Object.entries(setCookies(form))
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
  const res = await request(url)
    .post('/login')
    .set('Cookie', loginCookies)
    .type('form')
    .send({ _csrf: csrfOf(form.text), token, next: '/' });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}: ${res.text.slice(0, 300)}`);
  const session = setCookies(res)[cookieName];
  if (!session) throw new Error(`no ${cookieName} cookie after sign-in`);
  const cookie = `${cookieName}=${session}`;
  const home = await request(url).get('/').set('Cookie', cookie);
  return { cookie, csrf: csrfOf(home.text) };
}
