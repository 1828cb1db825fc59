/**
 * A tiny browser for the HTML forms: keeps cookies, follows local redirects on request, and
 * submits a page's form with its hidden fields (anti-forgery included) plus what the test types.
 */
export interface Page {
  readonly status: number;
  readonly url: string;
  readonly html: string;
  readonly location?: string;
}

export class FormBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly baseUrl: string) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Puts a cookie into the jar (e.g. replaying a stolen session cookie). */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  clearCookies(): void {
    this.cookies.clear();
  }

  async get(url: string): Promise<Page> {
    return this.request('GET', url);
  }

  /** GET, following redirects that stay on the server. */
  async open(url: string): Promise<Page> {
    let page = await this.get(url);
    for (let hops = 0; page.location && this.isLocal(page.location) && hops < 10; hops++) page = await this.get(page.location);
    return page;
  }

  /** Submits the page's form (the one containing `button` when given), then follows local redirects. */
  async submit(page: Page, values: Record<string, string>, button?: { name: string; value: string }): Promise<Page> {
    const form = findForm(page.html, button);
    const fields = new URLSearchParams();
    for (const [name, value] of prefilledFields(form.body)) if (!(name in values)) fields.append(name, value);
    for (const [name, value] of Object.entries(values)) fields.append(name, value);
    if (button) fields.append(button.name, button.value);
    const action = new URL(decodeEntities(form.action || page.url), new URL(page.url, this.baseUrl)).toString();
    let result = await this.request('POST', action, fields.toString());
    for (let hops = 0; result.location && this.isLocal(result.location) && hops < 10; hops++) result = await this.get(result.location);
    return result;
  }

  private isLocal(location: string): boolean {
    return new URL(location, this.baseUrl).origin === new URL(this.baseUrl).origin;
  }

  private async request(method: 'GET' | 'POST', url: string, body?: string): Promise<Page> {
    const absolute = new URL(url, this.baseUrl).toString();
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(absolute, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const location = response.headers.get('location') ?? undefined;
    return { status: response.status, url: absolute, html: await response.text(), location };
  }
}

function decodeEntities(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

function findForm(html: string, button?: { name: string; value: string }): { action: string; body: string } {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
  const match = button
    ? forms.find((f) => new RegExp(`name="${button.name}"[^>]*value="${button.value}"`).test(f[2]))
    : forms[0];
  if (!match) throw new Error(`no form${button ? ` with button ${button.name}=${button.value}` : ''} in page:\n${html.slice(0, 500)}`);
  const action = /action="([^"]*)"/i.exec(match[1])?.[1] ?? '';
  return { action, body: match[2] };
}

function prefilledFields(formBody: string): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const input of formBody.matchAll(/<input\b[^>]*>/gi)) {
    const tag = input[0];
    const type = (/type="([^"]*)"/i.exec(tag)?.[1] ?? 'text').toLowerCase();
    // What a browser submits untouched: hidden and prefilled text fields, checked boxes.
    if (type === 'password' || type === 'submit' || ((type === 'checkbox' || type === 'radio') && !/\schecked\b/i.test(tag))) continue;
    const name = /name="([^"]*)"/i.exec(tag)?.[1];
    const value = /value="([^"]*)"/i.exec(tag)?.[1] ?? '';
    if (name) fields.push([decodeEntities(name), decodeEntities(value)]);
  }
  return fields;
}
