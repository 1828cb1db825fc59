/** Node's system-error code; not `instanceof Error`, which fails across realms (e.g. under Jest). */
export function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
