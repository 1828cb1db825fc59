/** Endpoint paths (docs/endpoints.md), relative to the issuer. */
export const ENDPOINT_PATHS = {
  jwks: '/.well-known/openid-configuration/jwks',
  authorization: '/connect/authorize',
  pushedAuthorization: '/connect/par',
  token: '/connect/token',
  userinfo: '/connect/userinfo',
  introspection: '/connect/introspect',
  revocation: '/connect/revocation',
  endSession: '/connect/endsession',
  deviceAuthorization: '/connect/deviceauthorization',
} as const;

/** Pages of the interactive flows (docs/endpoints.md) and the path they return to. */
export const PAGE_PATHS = {
  login: '/account/login',
  logout: '/account/logout',
  consent: '/consent',
  device: '/device',
  grants: '/grants',
  /** GET ?scheme=&returnUrl=: sends the browser to an external provider */
  externalChallenge: '/account/external',
  /** /signin/{scheme}: where an external provider sends the browser back */
  externalSignInCallback: '/signin',
  /** the login and consent pages return here; it resumes the authorization request */
  authorizeCallback: '/connect/authorize/callback',
} as const;
