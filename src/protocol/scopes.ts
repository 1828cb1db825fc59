/** OpenID Connect Core §11: the scope that asks for a refresh token. */
export const OFFLINE_ACCESS_SCOPE = 'offline_access';
