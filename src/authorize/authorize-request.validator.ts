import { Injectable } from '@nestjs/common';
import { ResourceCatalog } from '../resources/resource-catalog';
import { validateResources } from '../resources/resource-validation';
import { ClientStore } from '../stores/client.store';
import { GRANT_TYPES, type Client } from '../stores/models';
import type {
  AuthorizeParameters, AuthorizeValidationResult, ErrorTarget, Prompt, ResponseMode, ValidatedAuthorizeRequest,
} from './authorize-request';

/** Parameters of one request while its checks run; each check reads and fills it. */
interface Draft {
  readonly params: AuthorizeParameters;
  readonly pushed: boolean;
  client?: Client;
  redirectUri?: string;
  responseMode: ResponseMode;
  prompt: Prompt[];
  maxAge?: number;
  resources?: ValidatedAuthorizeRequest['resources'];
  codeChallengeMethod?: 'S256';
}

interface CheckError {
  readonly error: string;
  readonly description: string;
}
type Check = (draft: Draft) => CheckError | undefined | Promise<CheckError | undefined>;

const fail = (error: string, description: string): CheckError => ({ error, description });

const RESPONSE_MODES: readonly ResponseMode[] = ['query', 'form_post'];
const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent', 'select_account'];
/** RFC 7636 §4.2: 43–128 characters of [A-Z a-z 0-9 - . _ ~] */
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;
const MAX_LENGTHS: Readonly<Record<string, number>> = { state: 2000, nonce: 300, login_hint: 200, scope: 2000, max_age: 10 };

/**
 * Validates authorization requests (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636, RFC 9126) as
 * a list of small checks in a visible order. Failures before the client and its redirect_uri
 * are trusted are shown on the error page; later ones go back to the client.
 */
@Injectable()
export class AuthorizeRequestValidator {
  /** Checks whose failure must never redirect: nothing about the redirect target is trusted yet. */
  private readonly pageChecks: readonly Check[] = [
    checkLengths,
    (d) => this.checkClient(d),
    checkRedirectUri,
  ];

  /** Checks whose failure is reported to the client's redirect_uri. */
  private readonly redirectChecks: readonly Check[] = [
    checkPushedAuthorizationRequired,
    checkNoRequestObject,
    checkResponseType,
    checkGrantTypeAllowed,
    (d) => this.checkScope(d),
    checkPkce,
    checkPrompt,
    checkMaxAge,
  ];

  constructor(private readonly clients: ClientStore, private readonly catalog: ResourceCatalog) {}

  async validate(params: AuthorizeParameters, options: { readonly pushed: boolean; readonly client?: Client }): Promise<AuthorizeValidationResult> {
    const draft: Draft = {
      params,
      pushed: options.pushed,
      client: options.client,
      // A bad response_mode must not decide where its own error goes: fall back to query.
      responseMode: RESPONSE_MODES.includes(params.response_mode as ResponseMode) ? (params.response_mode as ResponseMode) : 'query',
      prompt: [],
    };
    for (const check of this.pageChecks) {
      const error = await check(draft);
      // The client, once known and enabled, is named on the error page with a way back to it.
      if (error) return { valid: false, kind: 'page', ...error, ...(draft.client && { client: draft.client }) };
    }
    const client = draft.client;
    const redirectUri = draft.redirectUri;
    if (!client || !redirectUri) return { valid: false, kind: 'page', error: 'invalid_request', description: 'the client could not be validated' };

    const target: ErrorTarget = { redirectUri, responseMode: draft.responseMode, state: params.state };
    if (params.response_mode !== undefined && !RESPONSE_MODES.includes(params.response_mode as ResponseMode)) {
      return { valid: false, kind: 'redirect', error: 'invalid_request', description: `response_mode must be one of ${RESPONSE_MODES.join(', ')}`, target, client };
    }
    for (const check of this.redirectChecks) {
      const error = await check(draft);
      if (error) return { valid: false, kind: 'redirect', ...error, target, client };
    }
    const resources = draft.resources;
    if (!resources) return { valid: false, kind: 'redirect', error: 'invalid_scope', description: 'scope could not be validated', target, client };
    return {
      valid: true,
      request: {
        params,
        client,
        redirectUri,
        responseMode: draft.responseMode,
        state: params.state,
        nonce: params.nonce,
        resources,
        resource: params.resource,
        codeChallenge: params.code_challenge,
        codeChallengeMethod: draft.codeChallengeMethod,
        prompt: draft.prompt,
        maxAge: draft.maxAge,
        loginHint: params.login_hint,
        pushed: draft.pushed,
      },
    };
  }

  /** The client must exist and be enabled (a PAR request brings its authenticated client). */
  private async checkClient(draft: Draft): Promise<CheckError | undefined> {
    const clientId = draft.params.client_id;
    if (draft.client) {
      if (clientId !== undefined && clientId !== draft.client.clientId) return fail('invalid_request', 'client_id does not match the authenticated client');
      return undefined;
    }
    if (clientId === undefined) return fail('invalid_request', 'client_id is missing');
    const client = await this.clients.findClientById(clientId);
    if (!client || !client.enabled) return fail('invalid_client', 'unknown or disabled client');
    draft.client = client;
    return undefined;
  }

  private async checkScope(draft: Draft): Promise<CheckError | undefined> {
    const client = draft.client;
    if (!client) return fail('invalid_request', 'client is unknown');
    if (draft.params.scope === undefined) return fail('invalid_scope', 'scope is missing');
    const result = validateResources(await this.catalog.getIndex(), {
      client,
      scope: draft.params.scope,
      resource: draft.params.resource,
      allowIdentityScopes: true,
      allowOfflineAccess: true,
    });
    if (!result.valid) return fail(result.error, result.description);
    draft.resources = result.resources;
    return undefined;
  }
}

function checkLengths(draft: Draft): CheckError | undefined {
  for (const [name, max] of Object.entries(MAX_LENGTHS)) {
    const value = draft.params[name];
    if (value !== undefined && value.length > max) return fail('invalid_request', `${name} is too long`);
  }
  return undefined;
}

/** OIDC Core §3.1.2.1: redirect_uri is required and must exactly match a registered one. */
function checkRedirectUri(draft: Draft): CheckError | undefined {
  const redirectUri = draft.params.redirect_uri;
  if (redirectUri === undefined) return fail('invalid_request', 'redirect_uri is missing');
  if (!draft.client?.redirectUris.includes(redirectUri)) return fail('invalid_request', 'redirect_uri is not registered for this client');
  draft.redirectUri = redirectUri;
  return undefined;
}

/** RFC 9126 §5: a client that must push its requests may not send them through the browser. */
function checkPushedAuthorizationRequired(draft: Draft): CheckError | undefined {
  if (draft.client?.requirePushedAuthorization && !draft.pushed) {
    return fail('invalid_request', 'this client must use pushed authorization requests (request_uri)');
  }
  return undefined;
}

/** Request objects (JAR) are not supported; say so rather than silently ignore them. */
function checkNoRequestObject(draft: Draft): CheckError | undefined {
  if (draft.params.request !== undefined) return fail('request_not_supported', 'the request parameter is not supported');
  if (draft.params.request_uri !== undefined) return fail('invalid_request', 'request_uri must come from a pushed authorization request');
  return undefined;
}

function checkResponseType(draft: Draft): CheckError | undefined {
  const responseType = draft.params.response_type;
  if (responseType === undefined) return fail('invalid_request', 'response_type is missing');
  if (responseType !== 'code') return fail('unsupported_response_type', 'only response_type=code is supported');
  return undefined;
}

function checkGrantTypeAllowed(draft: Draft): CheckError | undefined {
  if (!draft.client?.allowedGrantTypes.includes(GRANT_TYPES.authorizationCode)) {
    return fail('unauthorized_client', 'the client is not allowed to use the authorization code flow');
  }
  return undefined;
}

/**
 * RFC 7636 and RFC 9700 §2.1.1: S256 only (`plain` and a missing method, which means plain, are
 * refused); a challenge is required when the client's requirePkce says so.
 */
function checkPkce(draft: Draft): CheckError | undefined {
  const challenge = draft.params.code_challenge;
  const method = draft.params.code_challenge_method;
  if (challenge === undefined) {
    if (draft.client?.requirePkce) return fail('invalid_request', 'code_challenge is required');
    if (method !== undefined) return fail('invalid_request', 'code_challenge_method without code_challenge');
    return undefined;
  }
  if (method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256 (plain is not supported)');
  if (!PKCE_VALUE.test(challenge)) return fail('invalid_request', 'code_challenge is malformed');
  draft.codeChallengeMethod = 'S256';
  return undefined;
}

/** OIDC Core §3.1.2.1: known prompt values only; `none` may not be combined with others. */
function checkPrompt(draft: Draft): CheckError | undefined {
  const raw = draft.params.prompt;
  if (raw === undefined) return undefined;
  const values = [...new Set(raw.split(' ').filter((p) => p !== ''))];
  const unknown = values.find((p) => !PROMPTS.includes(p as Prompt));
  if (unknown !== undefined) return fail('invalid_request', `prompt "${unknown}" is not supported`);
  if (values.includes('none') && values.length > 1) return fail('invalid_request', 'prompt=none cannot be combined with other values');
  draft.prompt = values as Prompt[];
  return undefined;
}

function checkMaxAge(draft: Draft): CheckError | undefined {
  const raw = draft.params.max_age;
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw)) return fail('invalid_request', 'max_age must be a non-negative number of seconds');
  draft.maxAge = Number(raw);
  return undefined;
}
