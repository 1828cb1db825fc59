import { errorCodeOf, UNKNOWN_ERROR } from './token-endpoint.metrics';

describe('errorCodeOf', () => {
  it('errorCodeOf, when the body is RFC 6749 §5.2 JSON, should return its error code', () => {
    expect(errorCodeOf('{"error":"invalid_grant","error_description":"the code has expired"}')).toBe('invalid_grant');
    expect(errorCodeOf('{"error":"temporarily_unavailable"}')).toBe('temporarily_unavailable');
  });

  it.each([
    ['not JSON', '<html>oops</html>'],
    ['JSON without error', '{"message":"x"}'],
    ['an error that is not a code', '{"error":"Invalid Grant <script>"}'],
    ['an overlong error', JSON.stringify({ error: 'x'.repeat(65) })],
    ['JSON null', 'null'],
  ])('errorCodeOf, when the body is %s, should return the one fixed label', (_case, body) => {
    expect(errorCodeOf(body)).toBe(UNKNOWN_ERROR);
  });

  it('errorCodeOf, when the payload is a buffer, should read it like a string', () => {
    expect(errorCodeOf(Buffer.from('{"error":"invalid_grant"}'))).toBe('invalid_grant');
  });

  it('errorCodeOf, when there is no readable payload, should return the one fixed label', () => {
    expect(errorCodeOf(undefined)).toBe(UNKNOWN_ERROR);
    expect(errorCodeOf({ pipe: () => undefined })).toBe(UNKNOWN_ERROR);
  });
});
