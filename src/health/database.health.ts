import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { describeFailure, withTimeout } from './with-timeout';

export const DATABASE_HEALTH_TIMEOUT_MS = 3000;

/** Pings the database (`SELECT 1`) through the application's own DataSource and pool. */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(private readonly dataSource: DataSource, private readonly indicators: HealthIndicatorService) {}

  async check(): Promise<HealthIndicatorResult<'database'>> {
    const session = this.indicators.check('database');
    const type = this.dataSource.options.type;
    try {
      if (!this.dataSource.isInitialized) return session.down({ message: 'not connected', type });
      await withTimeout(this.dataSource.query('SELECT 1'), DATABASE_HEALTH_TIMEOUT_MS);
      return session.up({ type });
    } catch (error) {
      // Driver messages name host and port at most; credentials are not part of them.
      return session.down({ message: describeFailure(error), type });
    }
  }
}
