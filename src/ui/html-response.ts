import type { FastifyReply } from 'fastify';

/**
 * Sends a rendered page: never cached (it may carry anti-forgery tokens or user data) and never
 * framed (clickjacking on the login and consent forms).
 */
export function sendHtml(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "frame-ancestors 'none'")
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(html);
}
