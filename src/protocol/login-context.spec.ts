import { FirstLoginContextDescriber, LoginContextDescriber, type LoginContext } from './login-context';

/** Knows the return URLs under one path; records what it was asked. */
class PathDescriber extends LoginContextDescriber {
  readonly asked: string[] = [];
  constructor(private readonly path: string, private readonly context: LoginContext) { super(); }
  async describe(returnUrl: string): Promise<LoginContext | undefined> {
    this.asked.push(returnUrl);
    return returnUrl.startsWith(this.path) ? this.context : undefined;
  }
}

describe('FirstLoginContextDescriber', () => {
  const browser = { cookies: {} };

  it('should ask each describer in turn and answer with the first that knows the returnUrl', async () => {
    const authorize = new PathDescriber('/connect/authorize/callback', { clientName: 'Shop', loginHint: 'alice' });
    const device = new PathDescriber('/device', { clientName: 'TV', clientLogoUri: 'https://tv.example/logo.svg' });
    const describer = new FirstLoginContextDescriber([authorize, device]);
    expect(await describer.describe('/connect/authorize/callback?ctx=x', browser)).toEqual({ clientName: 'Shop', loginHint: 'alice' });
    expect(device.asked).toEqual([]);
    expect(await describer.describe('/device?request=x', browser)).toEqual({ clientName: 'TV', clientLogoUri: 'https://tv.example/logo.svg' });
    expect(authorize.asked).toEqual(['/connect/authorize/callback?ctx=x', '/device?request=x']);
  });

  it('should answer undefined when no describer knows the returnUrl', async () => {
    const describer = new FirstLoginContextDescriber([new PathDescriber('/device', { clientName: 'TV' })]);
    expect(await describer.describe('/grants', browser)).toBeUndefined();
  });
});
