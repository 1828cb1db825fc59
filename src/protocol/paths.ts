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
  /** the login and consent pages return here; it resumes the authorization request */
  authorizeCallback: '/connect/authorize/callback',
} as const;

/** Paths a browser visits (the pages, authorize, end session): their errors are shown as a page. */
const INTERACTIVE_PATHS: ReadonlySet<string> = new Set<string>([
  ...Object.values(PAGE_PATHS), ENDPOINT_PATHS.authorization, ENDPOINT_PATHS.endSession,
]);

/** True for the path (no query) of a page a browser visits; a trailing slash is ignored. */
export function isInteractivePath(path: string): boolean {
  return INTERACTIVE_PATHS.has(path.replace(/\/+$/, '') || '/');
}
