import type { AppConfig } from '../config/app-config';
import {
  compileForwardedHeadersPolicy,
  compileTrust,
  isValidHost,
  parseForwardedAddress,
  resolveForwardedHeaders,
  splitHeaderValues,
  type ForwardedHeadersInput,
} from './forwarded-headers.policy';

type Options = AppConfig['forwardedHeaders'];

function options(overrides: Partial<Options> = {}): Options {
  return {
    enabled: false,
    headers: ['XForwardedFor', 'XForwardedProto', 'XForwardedHost'],
    knownProxies: ['127.0.0.1', '::1'],
    knownNetworks: ['127.0.0.0/8'],
    forwardLimit: 1,
    ...overrides,
  };
}

function request(overrides: Partial<ForwardedHeadersInput> = {}): ForwardedHeadersInput {
  return { remoteAddress: '127.0.0.1', scheme: 'http', host: 'internal:5000', ...overrides };
}

function resolve(input: Partial<ForwardedHeadersInput>, opts: Partial<Options> = {}) {
  return resolveForwardedHeaders(request(input), compileForwardedHeadersPolicy(options(opts)));
}

describe('resolveForwardedHeaders', () => {
  describe('when no forwarded headers arrive', () => {
    it('should use the socket peer, connection scheme and Host header', () => {
      expect(resolve({ remoteAddress: '10.1.2.3', scheme: 'https', host: 'id.example' })).toEqual({
        clientIp: '10.1.2.3', scheme: 'https', host: 'id.example', hopsApplied: 0,
      });
    });

    it('should not report anything as ignored', () => {
      expect(resolve({ remoteAddress: '203.0.113.9' }).ignored).toBeUndefined();
    });
  });

  describe('when the peer is a known proxy', () => {
    it('should apply For, Proto and Host of the last hop', () => {
      const result = resolve({ xForwardedFor: '198.51.100.7', xForwardedProto: 'https', xForwardedHost: 'id.example' });
      expect(result).toEqual({ clientIp: '198.51.100.7', scheme: 'https', host: 'id.example', hopsApplied: 1 });
    });

    it('should trust an IPv6 loopback proxy', () => {
      const result = resolve({ remoteAddress: '::1', xForwardedFor: '198.51.100.7', xForwardedProto: 'https' });
      expect(result).toMatchObject({ clientIp: '198.51.100.7', scheme: 'https' });
    });

    it('should trust an IPv4-mapped IPv6 peer inside a known IPv4 network', () => {
      const result = resolve({ remoteAddress: '::ffff:127.0.0.5', xForwardedProto: 'https' }, { knownProxies: ['10.0.0.1'] });
      expect(result.scheme).toBe('https');
    });

    it('should read the values right to left and unwind only FORWARD_LIMIT=1 hop', () => {
      const result = resolve({ xForwardedFor: '198.51.100.7, 127.0.0.2', xForwardedProto: 'https, http' });
      expect(result).toMatchObject({ clientIp: '127.0.0.2', scheme: 'http', hopsApplied: 1 });
    });

    it('should unwind two hops with FORWARD_LIMIT=2 when the second peer is trusted too', () => {
      const result = resolve(
        { xForwardedFor: '198.51.100.7, 127.0.0.2', xForwardedProto: 'https, http', xForwardedHost: 'id.example, inner' },
        { forwardLimit: 2 },
      );
      expect(result).toEqual({ clientIp: '198.51.100.7', scheme: 'https', host: 'id.example', hopsApplied: 2 });
    });

    it('should stop at the first untrusted hop and keep the hops applied so far', () => {
      const result = resolve(
        { xForwardedFor: '198.51.100.7, 203.0.113.50', xForwardedProto: 'https, http' },
        { forwardLimit: 2 },
      );
      // 203.0.113.50 forwarded the request but is not a known proxy: its claims are not believed.
      expect(result).toMatchObject({ clientIp: '203.0.113.50', scheme: 'http', hopsApplied: 1 });
    });

    it('should never unwind more hops than there are values', () => {
      const result = resolve({ xForwardedFor: '198.51.100.7', xForwardedProto: 'https' }, { forwardLimit: 5 });
      expect(result).toMatchObject({ clientIp: '198.51.100.7', hopsApplied: 1 });
    });

    it('should treat several header lines as one list', () => {
      const result = resolve({ xForwardedFor: ['198.51.100.7', '127.0.0.2'] }, { forwardLimit: 2 });
      expect(result).toMatchObject({ clientIp: '198.51.100.7', hopsApplied: 2 });
    });

    it('should trust a peer inside a known network', () => {
      const result = resolve(
        { remoteAddress: '10.20.30.40', xForwardedProto: 'https' },
        { knownProxies: ['192.0.2.1'], knownNetworks: ['10.0.0.0/8'] },
      );
      expect(result.scheme).toBe('https');
    });

    it('should trust an IPv6 network', () => {
      const result = resolve(
        { remoteAddress: 'fd00::5', xForwardedFor: '2001:db8::1', xForwardedProto: 'https' },
        { knownProxies: ['192.0.2.1'], knownNetworks: ['fd00::/8'] },
      );
      expect(result).toMatchObject({ clientIp: '2001:db8::1', scheme: 'https' });
    });

    it('should accept a catch-all network', () => {
      const result = resolve({ remoteAddress: '203.0.113.9', xForwardedProto: 'https' }, { knownNetworks: ['0.0.0.0/0'] });
      expect(result.scheme).toBe('https');
    });
  });

  describe('when the peer is not trusted', () => {
    it('should ignore every forwarded header and report untrusted_proxy', () => {
      const result = resolve({ remoteAddress: '203.0.113.9', xForwardedFor: '198.51.100.7', xForwardedProto: 'https', xForwardedHost: 'evil.example' });
      expect(result).toEqual({
        clientIp: '203.0.113.9', scheme: 'http', host: 'internal:5000', hopsApplied: 0, ignored: 'untrusted_proxy',
      });
    });

    it('should ignore loopback when the known proxies and networks exclude it', () => {
      const result = resolve({ xForwardedProto: 'https' }, { knownProxies: ['10.0.0.1'], knownNetworks: ['10.0.0.0/8'] });
      expect(result).toMatchObject({ scheme: 'http', ignored: 'untrusted_proxy' });
    });

    it('should not take X-Forwarded-Proto alone from an untrusted peer', () => {
      const result = resolve({ remoteAddress: '203.0.113.9', xForwardedProto: 'https' }, { headers: ['XForwardedProto'] });
      expect(result).toMatchObject({ scheme: 'http', ignored: 'untrusted_proxy' });
    });
  });

  describe('which headers are honoured', () => {
    it('should default to X-Forwarded-For and X-Forwarded-Proto, not Host', () => {
      const result = resolve({ xForwardedFor: '198.51.100.7', xForwardedProto: 'https', xForwardedHost: 'evil.example' }, { headers: [] });
      expect(result).toEqual({ clientIp: '198.51.100.7', scheme: 'https', host: 'internal:5000', hopsApplied: 1 });
    });

    it('should honour only the listed headers', () => {
      const result = resolve({ xForwardedFor: '198.51.100.7', xForwardedProto: 'https' }, { headers: ['XForwardedProto'] });
      expect(result).toMatchObject({ clientIp: '127.0.0.1', scheme: 'https' });
    });

    it('should report not_enabled when only headers that are not honoured arrive', () => {
      const result = resolve({ xForwardedHost: 'evil.example' }, { headers: ['XForwardedFor'] });
      expect(result).toMatchObject({ host: 'internal:5000', ignored: 'not_enabled' });
    });
  });

  describe('with malformed values', () => {
    it('should stop at an unparsable X-Forwarded-For entry and keep the hops before it', () => {
      const result = resolve(
        { xForwardedFor: '198.51.100.7, not-an-ip', xForwardedProto: 'https, https' },
        { forwardLimit: 2 },
      );
      expect(result).toMatchObject({ clientIp: '127.0.0.1', scheme: 'http', hopsApplied: 0 });
    });

    it('should skip an invalid scheme but still apply the address', () => {
      const result = resolve({ xForwardedFor: '198.51.100.7', xForwardedProto: 'javascript' });
      expect(result).toMatchObject({ clientIp: '198.51.100.7', scheme: 'http', hopsApplied: 1 });
    });

    it('should lower-case the scheme', () => {
      expect(resolve({ xForwardedProto: 'HTTPS' }).scheme).toBe('https');
    });

    it('should skip an invalid host', () => {
      const result = resolve({ xForwardedHost: 'evil.example/path?x' });
      expect(result.host).toBe('internal:5000');
    });

    it('should accept addresses with ports and bracketed IPv6', () => {
      expect(resolve({ xForwardedFor: '198.51.100.7:4711' }).clientIp).toBe('198.51.100.7');
      expect(resolve({ xForwardedFor: '[2001:db8::1]:4711' }).clientIp).toBe('2001:db8::1');
    });

    it('should treat empty header values as absent', () => {
      expect(resolve({ xForwardedFor: '', xForwardedProto: ' ' })).toEqual({
        clientIp: '127.0.0.1', scheme: 'http', host: 'internal:5000', hopsApplied: 0,
      });
    });

    it('should tolerate an empty entry in the middle of the list', () => {
      const result = resolve({ xForwardedFor: '198.51.100.7,,127.0.0.3', xForwardedProto: 'https,https,https' }, { forwardLimit: 3 });
      expect(result).toMatchObject({ clientIp: '198.51.100.7', scheme: 'https', hopsApplied: 3 });
    });

    it('should work when the server does not know the socket peer', () => {
      const result = resolve({ remoteAddress: undefined, xForwardedFor: '198.51.100.7' });
      expect(result.clientIp).toBe('198.51.100.7');
    });
  });

  describe('with FORWARDED_HEADERS_ENABLED=true (shortcut)', () => {
    const shortcut = { enabled: true, knownProxies: ['10.0.0.1'], knownNetworks: ['10.0.0.0/8'], forwardLimit: 5 };

    it('should honour For and Proto from any single proxy', () => {
      const result = resolve({ remoteAddress: '203.0.113.9', xForwardedFor: '198.51.100.7', xForwardedProto: 'https' }, shortcut);
      expect(result).toEqual({ clientIp: '198.51.100.7', scheme: 'https', host: 'internal:5000', hopsApplied: 1 });
    });

    it('should not honour X-Forwarded-Host', () => {
      const result = resolve({ remoteAddress: '203.0.113.9', xForwardedHost: 'evil.example' }, shortcut);
      expect(result).toMatchObject({ host: 'internal:5000', ignored: 'not_enabled' });
    });

    it('should unwind one hop only', () => {
      const result = resolve({ remoteAddress: '203.0.113.9', xForwardedFor: '198.51.100.7, 10.0.0.2', xForwardedProto: 'https, http' }, shortcut);
      expect(result).toMatchObject({ clientIp: '10.0.0.2', scheme: 'http', hopsApplied: 1 });
    });
  });
});

describe('parseForwardedAddress', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['1.2.3.4:80', '1.2.3.4'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['unknown', undefined],
    ['1.2.3.4:port', undefined],
    ['[1.2.3.4]', undefined],
    ['999.1.1.1', undefined],
    ['_hidden', undefined],
  ])('parseForwardedAddress(%p), should be %p', (text, expected) => {
    expect(parseForwardedAddress(text)).toBe(expected);
  });
});

describe('isValidHost', () => {
  it.each([
    ['id.example', true],
    ['id.example:8443', true],
    ['127.0.0.1:5000', true],
    ['[::1]:5000', true],
    ['[nope]', false],
    ['id.example:99999', false],
    ['a b', false],
    ['id.example/x', false],
    ['user@id.example', false],
  ])('isValidHost(%p), should be %p', (text, expected) => {
    expect(isValidHost(text)).toBe(expected);
  });
});

describe('splitHeaderValues', () => {
  it('should split, trim and join header lines', () => {
    expect(splitHeaderValues(['a, b', ' c'])).toEqual(['a', 'b', 'c']);
    expect(splitHeaderValues(undefined)).toEqual([]);
  });
});

describe('compileTrust', () => {
  it('should match addresses and ranges and refuse non-addresses', () => {
    const trust = compileTrust(['192.0.2.1', '10.0.0.0/8', '::/0']);
    expect(trust('192.0.2.1')).toBe(true);
    expect(trust('10.9.9.9')).toBe(true);
    expect(trust('2001:db8::1')).toBe(true);
    expect(trust('192.0.2.2')).toBe(false);
    expect(trust('not-an-ip')).toBe(false);
  });
});
