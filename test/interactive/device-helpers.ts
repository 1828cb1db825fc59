import type { DeviceAuthorizationResponse } from '../../src/device-flow/device-authorization.controller';
import { FormBrowser, type Page } from '../support/form-browser';

export interface JsonResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export async function postForm(baseUrl: string, path: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const response = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function authorizeDevice(baseUrl: string, clientId: string, scope: string): Promise<DeviceAuthorizationResponse> {
  const response = await postForm(baseUrl, '/connect/deviceauthorization', { client_id: clientId, scope });
  if (response.status !== 200) throw new Error(`device authorization failed: ${JSON.stringify(response.body)}`);
  return response.body as unknown as DeviceAuthorizationResponse;
}

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export function poll(baseUrl: string, clientId: string, deviceCode: string): Promise<JsonResponse> {
  return postForm(baseUrl, '/connect/token', { grant_type: DEVICE_GRANT, client_id: clientId, device_code: deviceCode });
}

/**
 * The user's side: open verification_uri_complete, confirm the prefilled code, sign in when
 * asked, answer consent when asked. Returns the last page.
 */
export async function approveOnDevicePage(
  browser: FormBrowser,
  authorization: Pick<DeviceAuthorizationResponse, 'user_code' | 'verification_uri'> & { readonly verification_uri_complete?: string },
  options: { username?: string; decision?: 'allow' | 'deny' } = {},
): Promise<Page> {
  // Path only: the browser may be talking to another instance than the one that issued the code.
  const complete = new URL(authorization.verification_uri_complete ?? authorization.verification_uri);
  const codePage = await browser.get(complete.pathname + complete.search);
  let page = await browser.submit(codePage, authorization.verification_uri_complete ? {} : { userCode: authorization.user_code });
  if (/name="password"/.test(page.body)) {
    page = await browser.submit(page, { username: options.username ?? 'alice', password: options.username ?? 'alice' });
  }
  if (/name="decision"/.test(page.body)) {
    page = await browser.submit(page, {}, { name: 'decision', value: options.decision ?? 'allow' });
  }
  return page;
}

/** Device flow end to end: returns the token response of the first poll after approval. */
export async function obtainDeviceTokens(baseUrl: string, clientId: string, scope: string, browser = new FormBrowser(baseUrl)): Promise<Record<string, unknown>> {
  const authorization = await authorizeDevice(baseUrl, clientId, scope);
  await approveOnDevicePage(browser, authorization);
  const tokens = await poll(baseUrl, clientId, authorization.device_code);
  if (tokens.status !== 200) throw new Error(`device token request failed: ${JSON.stringify(tokens.body)}`);
  return tokens.body;
}
