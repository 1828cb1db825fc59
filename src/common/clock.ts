/** Time source for all logic; tests inject a fake. Nothing in logic calls Date.now(). */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
