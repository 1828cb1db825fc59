import { createHash } from 'node:crypto';
import { InvalidGrantError } from '../../protocol/protocol-errors';
import { checkPkce } from './authorization-code.grant-handler';

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');

function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidGrantError) return error.description ?? error.error;
    throw error;
  }
  return 'accepted';
}

describe('checkPkce (RFC 7636 §4.6, RFC 9700 §2.1.1)', () => {
  it('when the verifier matches the S256 challenge, should accept', () => {
    expect(refusal(() => checkPkce(challenge, verifier))).toBe('accepted');
  });

  it('when the code had no challenge and none is sent, should accept (a client without requirePkce)', () => {
    expect(refusal(() => checkPkce(undefined, undefined))).toBe('accepted');
  });

  it('when the code had no challenge but a verifier is sent, should refuse (PKCE downgrade)', () => {
    expect(refusal(() => checkPkce(undefined, verifier))).toBe('code_verifier was sent but the authorization request had no code_challenge');
  });

  it('when the code had a challenge but no verifier is sent, should refuse (PKCE downgrade)', () => {
    expect(refusal(() => checkPkce(challenge, undefined))).toBe('code_verifier is missing');
  });

  it('when the verifier is malformed or does not match, should refuse', () => {
    expect(refusal(() => checkPkce(challenge, 'short'))).toBe('code_verifier is malformed');
    expect(refusal(() => checkPkce(challenge, `${verifier.slice(0, -1)}A`))).toBe('code_verifier does not match the code_challenge');
  });
});
