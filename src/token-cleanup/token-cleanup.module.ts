import { Module } from '@nestjs/common';
import { TokenCleanupService } from './token-cleanup.service';
import { TokenCleanupHost } from './token-cleanup.host';
import { TokenCleanupMetrics } from './token-cleanup.metrics';

/** Scheduled removal of expired grants, device codes and sessions (TOKEN_CLEANUP_*). */
@Module({
  providers: [TokenCleanupService, TokenCleanupHost, TokenCleanupMetrics],
  exports: [TokenCleanupService],
})
export class TokenCleanupModule {}
