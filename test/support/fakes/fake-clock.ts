import { Clock } from '../../../src/common/clock';

/** A clock for specs (STYLE habit 9): stands still until a test moves it. */
export class FakeClock extends Clock {
  constructor(private instant = new Date('2030-01-01T00:00:00Z')) {
    super();
  }

  now(): Date {
    return new Date(this.instant);
  }

  advance(ms: number): void {
    this.instant = new Date(this.instant.getTime() + ms);
  }
}

/**
 * For end-to-end suites where something outside the server waits in real time (an RP library
 * polling at the announced interval): real time plus every jump a test asked for. Tokens stay
 * close to real time, so libraries that check iat/exp against their own clock accept them.
 */
export class RunningFakeClock extends Clock {
  private offset = 0;

  now(): Date {
    return new Date(Date.now() + this.offset);
  }

  advance(ms: number): void {
    this.offset += ms;
  }
}
