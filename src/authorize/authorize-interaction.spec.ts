import type { UserSession } from '../sessions/user-session';
import type { Client } from '../stores/models';
import { decideInteraction, type InteractionInput } from './authorize-interaction';
import type { AuthorizeContext, ValidatedAuthorizeRequest } from './authorize-request';

const NOW = new Date('2030-01-01T12:00:00Z');
const REQUESTED_AT = NOW.getTime() - 5_000;

function session(overrides: Partial<UserSession> = {}): UserSession {
  return {
    key: 'k', sessionId: 'SID', subjectId: '1', authTime: new Date(NOW.getTime() - 60_000), amr: ['pwd'], clientIds: [],
    created: new Date(NOW.getTime() - 60_000), expires: new Date(NOW.getTime() + 3_600_000), ...overrides,
  };
}

function input(overrides: {
  prompt?: ValidatedAuthorizeRequest['prompt'];
  maxAge?: number;
  requireConsent?: boolean;
  session?: UserSession | undefined;
  remembered?: readonly string[];
  consent?: AuthorizeContext['consent'];
  loginCancelled?: boolean;
} = {}): InteractionInput {
  const client = { clientId: 'web', requireConsent: overrides.requireConsent ?? false } as Client;
  const request = {
    client, prompt: overrides.prompt ?? [], maxAge: overrides.maxAge,
    resources: { scopes: ['openid', 'api1'], identityResources: [], apiScopes: [], apiResources: [], offlineAccess: false },
  } as unknown as ValidatedAuthorizeRequest;
  return {
    request,
    context: { v: 1, params: {}, pushed: false, requestedAt: REQUESTED_AT, consent: overrides.consent, loginCancelled: overrides.loginCancelled },
    session: 'session' in overrides ? overrides.session : session(),
    rememberedScopes: overrides.remembered,
    now: NOW,
  };
}

describe('decideInteraction', () => {
  it('when the user cancelled the login page, should answer access_denied instead of asking again', () => {
    expect(decideInteraction(input({ session: undefined, loginCancelled: true }))).toMatchObject({ kind: 'error', error: 'access_denied' });
  });

  it('when there is no session, should ask for login', () => {
    expect(decideInteraction(input({ session: undefined })).kind).toBe('login');
  });

  it('when there is no session and prompt=none, should answer login_required', () => {
    expect(decideInteraction(input({ session: undefined, prompt: ['none'] }))).toMatchObject({ kind: 'error', error: 'login_required' });
  });

  it('when prompt=login and the login predates the request, should ask for login', () => {
    expect(decideInteraction(input({ prompt: ['login'] })).kind).toBe('login');
  });

  it('when prompt=login and the user logged in after the request arrived, should complete', () => {
    const fresh = session({ authTime: new Date(REQUESTED_AT + 1_000) });
    expect(decideInteraction(input({ prompt: ['login'], session: fresh })).kind).toBe('complete');
  });

  it('when the login is older than max_age, should ask for login; when younger, should complete', () => {
    expect(decideInteraction(input({ maxAge: 30 })).kind).toBe('login');
    expect(decideInteraction(input({ maxAge: 120 })).kind).toBe('complete');
    expect(decideInteraction(input({ maxAge: 30, prompt: ['none'] }))).toMatchObject({ error: 'login_required' });
  });

  it('when max_age=0 and the user just logged in for this request, should complete instead of looping', () => {
    const fresh = session({ authTime: new Date(REQUESTED_AT) });
    expect(decideInteraction(input({ maxAge: 0, session: fresh })).kind).toBe('complete');
  });

  it('when the client requires consent and nothing is remembered, should ask for consent (or consent_required with prompt=none)', () => {
    expect(decideInteraction(input({ requireConsent: true })).kind).toBe('consent');
    expect(decideInteraction(input({ requireConsent: true, prompt: ['none'] }))).toMatchObject({ error: 'consent_required' });
  });

  it('when the remembered consent covers the scopes, should complete; when it misses one, should ask', () => {
    expect(decideInteraction(input({ requireConsent: true, remembered: ['openid', 'api1', 'email'] })).kind).toBe('complete');
    expect(decideInteraction(input({ requireConsent: true, remembered: ['openid'] })).kind).toBe('consent');
  });

  it('when prompt=consent, should ask even without requireConsent and with remembered consent', () => {
    expect(decideInteraction(input({ prompt: ['consent'], remembered: ['openid', 'api1'] })).kind).toBe('consent');
  });

  it('when the context carries this user\'s consent, should complete with the granted scopes or deny', () => {
    expect(decideInteraction(input({ prompt: ['consent'], consent: { subjectId: '1', granted: true, scopes: ['openid'] } })))
      .toMatchObject({ kind: 'complete', grantedScopes: ['openid'] });
    expect(decideInteraction(input({ requireConsent: true, consent: { subjectId: '1', granted: false, scopes: [] } })))
      .toMatchObject({ kind: 'error', error: 'access_denied' });
  });

  it('when the context carries another user\'s consent, should ignore it', () => {
    expect(decideInteraction(input({ requireConsent: true, consent: { subjectId: '2', granted: true, scopes: ['openid', 'api1'] } })).kind).toBe('consent');
  });
});
