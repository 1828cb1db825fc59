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
