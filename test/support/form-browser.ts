/**
 * A tiny "browser" for end-to-end tests: a cookie jar, redirects followed on the server's own
 * origin only (a redirect elsewhere — to a client — stops and is reported), and HTML forms
 * parsed and submitted the way a browser would (hidden fields included, one submit button).
 */

export interface Page {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** set when a redirect pointed away from the server (e.g. to the client's redirect_uri) */
  readonly redirectedTo?: string;
}

export interface ParsedForm {
  readonly action: string;
  readonly method: string;
  readonly fields: Record<string, string>;
  readonly buttons: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

interface StoredCookie {
  readonly value: string;
  readonly httpOnly: boolean;
  readonly sameSite?: string;
  readonly secure?: boolean;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

export function decodeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m] ?? m);
}

function attributes(tag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const match of tag.matchAll(/([a-zA-Z_:][\w:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    result[match[1].toLowerCase()] = decodeHtml(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return result;
}

/** Every <form> of a page, with its inputs' current values and its submit buttons. */
export function parseForms(html: string): ParsedForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((match) => {
    const formAttributes = attributes(match[1]);
    const fields: Record<string, string> = {};
    const buttons: { name: string; value: string }[] = [];
    for (const input of match[2].matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1]);
      if (!a.name) continue;
      if (a.type === 'checkbox' || a.type === 'radio') {
        if ('checked' in a) fields[a.name] = a.value ?? 'on';
      } else if (a.type === 'submit') {
        buttons.push({ name: a.name, value: a.value ?? '' });
      } else {
        fields[a.name] = a.value ?? '';
      }
    }
    for (const button of match[2].matchAll(/<button\b([^>]*)>/gi)) {
      const a = attributes(button[1]);
      if (a.name && (a.type === undefined || a.type === 'submit')) buttons.push({ name: a.name, value: a.value ?? '' });
    }
    return { action: formAttributes.action ?? '', method: (formAttributes.method ?? 'get').toLowerCase(), fields, buttons };
  });
}

export class FormBrowser {
  readonly cookies = new Map<string, StoredCookie>();
  private readonly origin: string;

  /** `send` replaces the global fetch, e.g. to record every request the browser makes. */
  constructor(baseUrl: string, private readonly send: typeof fetch = fetch) {
    this.origin = new URL(baseUrl).origin;
  }

  /** GET a URL (absolute or relative to the server) and follow same-origin redirects. */
  get(url: string): Promise<Page> {
    return this.navigate(new URL(url, this.origin).toString(), { method: 'GET' });
  }

  /** POST a form (urlencoded) and follow same-origin redirects. */
  post(url: string, fields: Record<string, string>): Promise<Page> {
    return this.navigate(new URL(url, this.origin).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /**
   * Submits a page's form as a browser would: its fields, overridden by `fill`, plus the chosen
   * submit button (by name and value). Picks the form with the button, else the first form.
   */
  submit(page: Page, fill: Record<string, string> = {}, button?: { name: string; value: string }): Promise<Page> {
    const forms = parseForms(page.body);
    const form = (button && forms.find((f) => f.buttons.some((b) => b.name === button.name && b.value === button.value))) ?? forms[0];
    if (!form) throw new Error(`no form on ${page.url} (status ${page.status}):\n${page.body.slice(0, 500)}`);
    const fields = { ...form.fields, ...fill, ...(button ? { [button.name]: button.value } : {}) };
    return this.post(new URL(form.action || page.url, page.url).toString(), fields);
  }

  cookieHeader(): string {
    return [...this.cookies.entries()].map(([name, c]) => `${name}=${c.value}`).join('; ');
  }

  private async navigate(url: string, init: RequestInit): Promise<Page> {
    let current = url;
    let request = init;
    for (let hops = 0; hops < 15; hops++) {
      const headers = new Headers(request.headers);
      const cookie = this.cookieHeader();
      if (cookie) headers.set('cookie', cookie);
      const response = await this.send(current, { ...request, headers, redirect: 'manual' });
      this.storeCookies(response.headers);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current).toString();
        await response.arrayBuffer();
        if (new URL(next).origin !== this.origin) {
          return { url: current, status: response.status, headers: response.headers, body: '', redirectedTo: next };
        }
        current = next;
        request = { method: 'GET' };
        continue;
      }
      return { url: current, status: response.status, headers: response.headers, body: await response.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  private storeCookies(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const lower = attrs.map((a) => a.toLowerCase());
      const expired = lower.some((a) => a === 'max-age=0' || (a.startsWith('expires=') && Date.parse(a.slice(8)) <= Date.now()));
      if (expired || value === '') {
        this.cookies.delete(name);
        continue;
      }
      this.cookies.set(name, {
        value,
        httpOnly: lower.includes('httponly'),
        secure: lower.includes('secure'),
        sameSite: lower.find((a) => a.startsWith('samesite='))?.slice(9),
      });
    }
  }
}
