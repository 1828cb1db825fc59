import type { FastifyReply } from 'fastify';
import { PAGE_SECURITY_HEADERS } from '../protocol/page-security-headers';

/**
 * Sends a rendered page with the page security headers (src/protocol/page-security-headers.ts):
 * never cached, never framed, no script. The language follows Accept-Language, hence `vary`.
 */
export function sendHtml(reply: FastifyReply, html: string, status = 200): FastifyReply {
  for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) reply.header(name, value);
  return reply
    .status(status)
    .header('vary', 'accept-language')
    .type('text/html; charset=utf-8')
    .send(html);
}
