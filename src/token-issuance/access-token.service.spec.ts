import type { ApiResource, Client } from '../stores/models';
import type { SigningAlgorithm } from '../config/app-config';
import { allowedAlgorithmsFor } from './access-token.service';

const api = (algs: SigningAlgorithm[]): ApiResource => ({ name: 'a', scopes: [], apiSecrets: [], allowedAccessTokenSigningAlgorithms: algs });
const client = (algs: SigningAlgorithm[]): Client => ({ allowedTokenSigningAlgorithms: algs } as Partial<Client> as Client);

describe('allowedAlgorithmsFor', () => {
  it('when no API sets a list, should use the client list', () => {
    expect(allowedAlgorithmsFor({ client: client(['ES256']), apiResources: [api([])] })).toEqual([['ES256']]);
  });

  it('when APIs set lists, should use theirs and not the client list', () => {
    expect(allowedAlgorithmsFor({ client: client(['ES256']), apiResources: [api(['PS256', 'RS256']), api([]), api(['RS256'])] }))
      .toEqual([['PS256', 'RS256'], ['RS256']]);
  });

  it('when nobody sets a list, should leave the choice to the default', () => {
    expect(allowedAlgorithmsFor({ client: client([]), apiResources: [] })).toEqual([]);
  });
});
