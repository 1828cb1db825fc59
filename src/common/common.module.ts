import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';

/** Process-wide primitives every module may use: the clock. Tests override Clock. */
@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }],
  exports: [Clock],
})
export class CommonModule {}
