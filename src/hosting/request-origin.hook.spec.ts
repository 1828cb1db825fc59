import type { HttpAdapterHost } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Socket } from 'node:net';
import { SystemClock } from '../common/clock';
import { loadAppConfig } from '../config/app-config';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ForwardedHeadersMonitor } from './forwarded-headers.monitor';
import { RequestOriginHook } from './request-origin.hook';

function fakeRequest(headers: Record<string, string>, remoteAddress: string): FastifyRequest {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  Object.defineProperty(socket, 'localAddress', { value: '127.0.0.1' });
  Object.defineProperty(socket, 'localPort', { value: 5000 });
  return { headers, raw: { socket } } as unknown as FastifyRequest;
}

function setup(env: Record<string, string> = {}) {
  const metrics = new MetricsRegistry();
  const monitor = new ForwardedHeadersMonitor(metrics, new SystemClock());
  const hook = new RequestOriginHook({} as HttpAdapterHost, loadAppConfig(env), monitor);
  return { hook, monitor, metrics };
}

describe('RequestOriginHook.resolve', () => {
  it('should derive the issuer from the forwarded scheme and the host', () => {
    const { hook } = setup();
    expect(hook.resolve(fakeRequest({ host: 'id.example', 'x-forwarded-proto': 'https' }, '127.0.0.1'))).toEqual({
      clientIp: '127.0.0.1', scheme: 'https', host: 'id.example', issuer: 'https://id.example',
    });
  });

  it('with ISSUER_URI, should use it whatever the request says', () => {
    const { hook } = setup({ ISSUER_URI: 'https://login.example/' });
    expect(hook.resolve(fakeRequest({ host: 'other' }, '203.0.113.9')).issuer).toBe('https://login.example');
  });

  it('when the Host header is malformed, should fall back to the local address', () => {
    const { hook } = setup();
    expect(hook.resolve(fakeRequest({ host: 'evil/<x>' }, '127.0.0.1')).issuer).toBe('http://127.0.0.1:5000');
  });

  it('when headers come from an untrusted peer, should count them with the peer', async () => {
    const { hook, monitor, metrics } = setup();
    hook.resolve(fakeRequest({ host: 'id.example', 'x-forwarded-proto': 'https' }, '203.0.113.9'));
    expect(monitor.snapshot()).toMatchObject({ untrustedProxy: 1, notEnabled: 0, lastUntrustedPeer: '203.0.113.9' });
    expect(await metrics.registry.metrics()).toMatch(/forwarded_headers_ignored_total\{reason="untrusted_proxy"\} 1/);
    metrics.onModuleDestroy();
  });
});
