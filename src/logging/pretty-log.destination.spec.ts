import { prettyLine } from './pretty-log.destination';

describe('prettyLine', () => {
  it('should give time, level, context, message and the other fields on one line', () => {
    const json = JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 12, 0, 1, 234), pid: 1, hostname: 'h', context: 'Database', msg: 'slow', setting: 'DATABASE_URL', ms: 5 });
    expect(prettyLine(json)).toBe('12:00:01.234 WARN  [Database] slow setting=DATABASE_URL ms=5');
  });

  it('should quote a field value with spaces and put an error stack on the lines after', () => {
    const json = JSON.stringify({ level: 50, time: 0, msg: 'failed', fix: 'do this', err: { message: 'x', stack: 'Error: x\n    at f (a.ts:1:1)' } });
    expect(prettyLine(json)).toBe('00:00:00.000 ERROR failed fix="do this"\nError: x\n    at f (a.ts:1:1)');
  });
});
