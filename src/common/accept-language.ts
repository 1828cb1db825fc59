/** How far we read a hostile Accept-Language header. */
const MAX_ACCEPT_LANGUAGE = 512;

/**
 * The language to answer in for an `Accept-Language` header (RFC 9110 §12.5.4): the offered
 * language with the highest q-value (the first listed on a tie), a region ignored (`de-CH` is
 * `de`), `q=0` meaning "not this one", `*` meaning the fallback; the fallback when the header
 * names none that is offered.
 */
export function negotiateLanguage<L extends string>(
  acceptLanguage: string | readonly string[] | undefined, offered: readonly L[], fallback: L,
): L {
  const header = typeof acceptLanguage === 'string' ? acceptLanguage : acceptLanguage?.join(',');
  if (!header) return fallback;
  let best: { language: L; q: number } | undefined;
  for (const part of header.slice(0, MAX_ACCEPT_LANGUAGE).split(',')) {
    const [range, ...params] = part.trim().split(';');
    const primary = range.trim().toLowerCase().split('-')[0];
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(param);
      if (match) q = Number(match[1]);
    }
    const language = primary === '*' ? fallback : offered.find((candidate) => candidate === primary);
    if (q <= 0 || language === undefined) continue;
    if (!best || q > best.q) best = { language, q };
  }
  return best?.language ?? fallback;
}
