import { formatDuration, parseDuration } from './duration';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['90d', 90 * DAY],
    ['14d', 14 * DAY],
    ['12h', 12 * HOUR],
    ['30m', 30 * MINUTE],
    ['45s', 45 * SECOND],
    ['500ms', 500],
    ['30', 30 * SECOND],
    ['0', 0],
    ['1.5h', 90 * MINUTE],
    [' 45s ', 45 * SECOND],
  ])('when given %p, should return %p ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', ' ', 'abc', '5w', '-5s', '1h30m', '10 days', 'ms', '1e3', '45S', 'd5', '.5s'])(
    'when given %p, should return undefined',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [90 * DAY, '90d'],
    [HOUR, '1h'],
    [90 * MINUTE, '90m'],
    [45 * SECOND, '45s'],
    [1500, '1500ms'],
    [0, '0ms'],
  ])('when given %p ms, should return %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each(['90d', '14d', '12h', '30m', '45s', '500ms'])('when given what parseDuration(%p) returns, should round-trip', (text) => {
    expect(formatDuration(parseDuration(text) ?? -1)).toBe(text);
  });
});
