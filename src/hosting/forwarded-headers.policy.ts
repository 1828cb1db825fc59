import { isIP } from 'node:net';
import { compile } from 'proxy-addr';
import type { AppConfig, ForwardedHeader } from '../config/app-config';

/**
 * Forwarded-header processing with ASP.NET Core's ForwardedHeadersMiddleware semantics
 * (docs/deployment.md): values are read right to left, one hop at a time, up to the forward limit,
 * stopping at the first peer that is not trusted. Pure: no I/O, no clock.
 */

/** Which headers to honour and whom to trust, compiled once from the configuration. */
export interface ForwardedHeadersPolicy {
  readonly forwardFor: boolean;
  readonly forwardProto: boolean;
  readonly forwardHost: boolean;
  /** how many hops to unwind at most */
  readonly forwardLimit: number;
  /** is this peer a known proxy or inside a known network? */
  readonly isTrusted: (address: string) => boolean;
}

/** The raw values a request arrived with. */
export interface ForwardedHeadersInput {
  /** the TCP peer (socket remote address); undefined when the server does not know it */
  readonly remoteAddress: string | undefined;
  /** scheme of the connection itself (TLS or not) */
  readonly scheme: 'http' | 'https';
  /** the Host header as received */
  readonly host: string | undefined;
  readonly xForwardedFor?: string | readonly string[];
  readonly xForwardedProto?: string | readonly string[];
  readonly xForwardedHost?: string | readonly string[];
}

/** Why forwarded headers that arrived were not applied (for deployment checks and metrics). */
export type IgnoredReason =
  /** the immediate peer is neither a known proxy nor inside a known network */
  | 'untrusted_proxy'
  /** the header is not in FORWARDED_HEADERS (nor the shortcut) */
  | 'not_enabled';

export interface ForwardedHeadersResult {
  readonly clientIp: string;
  readonly scheme: 'http' | 'https';
  readonly host: string;
  /** hops whose values were applied */
  readonly hopsApplied: number;
  /** set when forwarded headers arrived but were ignored entirely */
  readonly ignored?: IgnoredReason;
}

const ALL_HEADERS: readonly ForwardedHeader[] = ['XForwardedFor', 'XForwardedProto'];

/**
 * Builds the policy from configuration. `FORWARDED_HEADERS_ENABLED=true` is the cloud/Kubernetes
 * shortcut (like ASPNETCORE_FORWARDEDHEADERS_ENABLED): X-Forwarded-For and -Proto from any
 * single proxy, known proxies/networks ignored. An empty `FORWARDED_HEADERS` honours
 * X-Forwarded-For and X-Forwarded-Proto from the known proxies (loopback by default), so a
 * local TLS-terminating proxy works without further settings; X-Forwarded-Host is opt-in.
 */
export function compileForwardedHeadersPolicy(options: AppConfig['forwardedHeaders']): ForwardedHeadersPolicy {
  if (options.enabled) {
    return { forwardFor: true, forwardProto: true, forwardHost: false, forwardLimit: 1, isTrusted: () => true };
  }
  const headers = options.headers.length > 0 ? options.headers : ALL_HEADERS;
  return {
    forwardFor: headers.includes('XForwardedFor'),
    forwardProto: headers.includes('XForwardedProto'),
    forwardHost: headers.includes('XForwardedHost'),
    forwardLimit: Math.max(1, options.forwardLimit),
    isTrusted: compileTrust([...options.knownProxies, ...options.knownNetworks]),
  };
}

/**
 * proxy-addr's matcher for addresses and CIDR ranges. proxy-addr refuses a `/0` prefix, so a
 * catch-all network (`0.0.0.0/0`, `::/0`) is handled here: it trusts every address of its family.
 */
export function compileTrust(entries: readonly string[]): (address: string) => boolean {
  const trustAllV4 = entries.some((e) => /^0\.0\.0\.0\/0+$/.test(e));
  const trustAllV6 = entries.some((e) => /^::\/0+$/.test(e));
  const ranges = entries.filter((e) => !/\/0+$/.test(e));
  const matcher = ranges.length > 0 ? compile(ranges) : () => false;
  return (address: string) => {
    const family = isIP(address);
    if (family === 0) return false;
    if (family === 4 && trustAllV4) return true;
    if (family === 6 && trustAllV6) return true;
    return matcher(address, 0);
  };
}

/** Splits header values into trimmed entries; several header lines count as one list. */
export function splitHeaderValues(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = typeof value === 'string' ? value : value.join(',');
  if (joined.trim() === '') return [];
  return joined.split(',').map((v) => v.trim());
}

/**
 * Parses an X-Forwarded-For entry like IPEndPoint.TryParse: `1.2.3.4`, `1.2.3.4:5678`, `::1`,
 * `[::1]` or `[::1]:5678`. Returns the address, or undefined when it is not one.
 */
export function parseForwardedAddress(text: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) return isIP(bracketed[1]) === 6 ? bracketed[1] : undefined;
  if (isIP(text) !== 0) return text;
  const withPort = /^([^:]+):(\d{1,5})$/.exec(text);
  if (withPort && isIP(withPort[1]) === 4) return withPort[1];
  return undefined;
}

/** RFC 3986 §3.2.2 host with optional port: reg-name/IPv4 or a bracketed IPv6 literal. */
export function isValidHost(text: string): boolean {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+;=%]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return false;
  if (match[1].startsWith('[') && isIP(match[1].slice(1, -1)) !== 6) return false;
  return match[2] === undefined || Number(match[2]) <= 65535;
}

function parseScheme(text: string | undefined): 'http' | 'https' | undefined {
  const lower = text?.toLowerCase();
  return lower === 'http' || lower === 'https' ? lower : undefined;
}

/**
 * Applies forwarded headers hop by hop (ASP.NET Core ApplyForwarders):
 * - the entries of each enabled header are paired right to left, one set per hop;
 * - before each hop the current peer (first the socket peer, then the address the previous hop
 *   forwarded for) must be trusted, else processing stops and the hops so far stay applied;
 * - an unparsable X-Forwarded-For entry stops processing; an invalid proto/host is skipped.
 * Deliberately stricter than ASP.NET: the peer is checked even when X-Forwarded-For is not
 * honoured, so X-Forwarded-Proto alone is never taken from an untrusted peer.
 */
export function resolveForwardedHeaders(input: ForwardedHeadersInput, policy: ForwardedHeadersPolicy): ForwardedHeadersResult {
  const socketIp = input.remoteAddress ?? '';
  const base = { clientIp: socketIp, scheme: input.scheme, host: input.host ?? '', hopsApplied: 0 };

  const forValues = splitHeaderValues(input.xForwardedFor);
  const protoValues = splitHeaderValues(input.xForwardedProto);
  const hostValues = splitHeaderValues(input.xForwardedHost);
  const arrived = forValues.length + protoValues.length + hostValues.length > 0;
  if (!arrived) return base;

  const forList = policy.forwardFor ? forValues : [];
  const protoList = policy.forwardProto ? protoValues : [];
  const hostList = policy.forwardHost ? hostValues : [];
  const entryCount = Math.min(policy.forwardLimit, Math.max(forList.length, protoList.length, hostList.length));
  if (entryCount === 0) return { ...base, ignored: 'not_enabled' };

  let peer: string | undefined = input.remoteAddress;
  let clientIp = socketIp;
  let scheme = input.scheme;
  let host = base.host;
  let hops = 0;
  for (let i = 0; i < entryCount; i++) {
    // Stop at the first peer that is not a known proxy; hops processed so far still apply.
    if (peer !== undefined && !policy.isTrusted(peer)) break;

    const forText = forList[forList.length - 1 - i];
    if (forText !== undefined && forText !== '') {
      const address = parseForwardedAddress(forText);
      if (address === undefined) break; // unparsable: stop, keep earlier hops (ASP.NET)
      clientIp = address;
      peer = address;
    }
    const proto = parseScheme(protoList[protoList.length - 1 - i]);
    if (proto !== undefined) scheme = proto;
    const forwardedHost = hostList[hostList.length - 1 - i];
    if (forwardedHost !== undefined && isValidHost(forwardedHost)) host = forwardedHost;
    hops++;
  }

  if (hops === 0 && input.remoteAddress !== undefined && !policy.isTrusted(input.remoteAddress)) {
    return { ...base, ignored: 'untrusted_proxy' };
  }
  return { clientIp, scheme, host, hopsApplied: hops };
}
