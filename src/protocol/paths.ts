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

/** Paths a browser visits (the pages, authorize, end session): their errors are shown as a page. */
const INTERACTIVE_PATHS: ReadonlySet<string> = new Set<string>([
  ...Object.values(PAGE_PATHS), ENDPOINT_PATHS.authorization, ENDPOINT_PATHS.endSession,
]);

/** True for the path (no query) of a page a browser visits; a trailing slash is ignored. */
export function isInteractivePath(path: string): boolean {
  const trimmed = path.replace(/\/+$/, '') || '/';
  // /signin/{scheme}: an external provider sends the browser back there
  return INTERACTIVE_PATHS.has(trimmed) || trimmed.startsWith(`${PAGE_PATHS.externalSignInCallback}/`);
}
