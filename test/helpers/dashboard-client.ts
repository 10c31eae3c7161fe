/**
 * A browser without a browser for the dashboard: a cookie jar, redirects followed by hand (so
 * every Set-Cookie is seen), and the sign-in flow against the GitHub double.
 */
export class DashboardClient {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header received, in order. */
  readonly setCookies: string[] = [];

  constructor(readonly baseUrl: string) {}

  private remember(answer: Response): void {
    for (const header of answer.headers.getSetCookie()) {
      this.setCookies.push(header);
      const [pair] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/max-age=0/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** One request, no redirect following; cookies of our own origin sent. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const absolute = new URL(url, this.baseUrl).toString();
    const ours = absolute.startsWith(this.baseUrl);
    const headers = new Headers(init.headers);
    if (ours && this.cookies.size) headers.set('cookie', this.cookieHeader());
    const answer = await fetch(absolute, { ...init, headers, redirect: 'manual' });
    if (ours) this.remember(answer);
    return answer;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(url, { headers });
  }

  /** A form POST (urlencoded), as the dashboard's forms send it. */
  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(url, { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  }

  /** Follows redirects from `url` (across hosts, like a browser), returning the last answer. */
  async follow(url: string, limit = 10): Promise<Response> {
    let answer = await this.get(url);
    for (let i = 0; i < limit && answer.status >= 300 && answer.status < 400; i++) {
      answer = await this.get(new URL(answer.headers.get('location')!, answer.url || url).toString());
    }
    return answer;
  }

  /** Signs in through /auth/login → the double's authorize page → /auth/callback. */
  async signIn(): Promise<Response> {
    return this.follow('/auth/login');
  }

  /** The CSRF token of a page's forms. */
  static csrfOf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error('no CSRF field on the page');
    return m[1]!;
  }
}
