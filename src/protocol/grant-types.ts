/**
 * The grant types the token endpoint handles: the built-in handlers plus the extension handlers
 * given to `IdentityServerModule.forRoot`, computed there once. The token endpoint, discovery's
 * `grant_types_supported` and the validation of a client's `allowedGrantTypes` all read this one
 * value, so a registered handler is the whole story of adding a grant (RFC 6749 §4.5).
 */
export class SupportedGrantTypes {
  readonly names: readonly string[];

  constructor(names: Iterable<string>) {
    this.names = Object.freeze([...names]);
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }
}
