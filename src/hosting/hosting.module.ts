import { Module } from '@nestjs/common';
import { ForwardedHeadersMonitor } from './forwarded-headers.monitor';
import { RequestOriginHook } from './request-origin.hook';
import { StartupWarningsService } from './startup-warnings.service';

/**
 * Where requests come from: forwarded headers per docs/deployment.md, the effective client IP,
 * scheme, host and issuer on every request (`@Origin()`, `getRequestOrigin`), and the count of
 * forwarded headers that were ignored (ForwardedHeadersMonitor) for the deployment checks; and,
 * with NODE_ENV=production, a warning at start for each demo setting left in place.
 */
@Module({
  providers: [ForwardedHeadersMonitor, RequestOriginHook, StartupWarningsService],
  exports: [ForwardedHeadersMonitor],
})
export class HostingModule {}
