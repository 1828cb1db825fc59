import { deviceCodeState } from './device-code.grant-handler';

const now = new Date('2026-01-01T12:00:00Z');
const base = { v: 1 as const, clientId: 'tv', requestedScopes: ['api1'] };
const later = new Date(now.getTime() + 1000);

describe('deviceCodeState', () => {
  it('when the user has not answered, should be pending', () => {
    expect(deviceCodeState({ expiration: later, data: base }, now)).toBe('pending');
  });
  it('when the code has expired, should be expired whatever the user did', () => {
    expect(deviceCodeState({ expiration: now, data: { ...base, decision: { approved: false } } }, now)).toBe('expired');
  });
  it('should tell approved from denied', () => {
    expect(deviceCodeState({ expiration: later, data: { ...base, decision: { approved: false } } }, now)).toBe('denied');
    expect(deviceCodeState({
      expiration: later,
      data: { ...base, decision: { approved: true, subjectId: '1', sessionId: 's', authTime: 0, amr: ['pwd'], scopes: ['api1'] } },
    }, now)).toBe('approved');
  });
});
