import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthenticator } from '../client-authentication/client-authenticator';
import { readFormParameters, setNoStoreHeaders } from '../client-authentication/back-channel-request';
import { Origin, type RequestOrigin } from '../hosting/request-origin';
import { UnauthorizedClientError } from '../protocol/protocol-errors';
import { ResourceCatalog } from '../resources/resource-catalog';
import { resourceValidationError, validateResources } from '../resources/resource-validation';
import { GRANT_TYPES } from '../stores/models';
import { DeviceCodeService } from './device-code.service';
import { DEFAULT_POLLING_INTERVAL_SECONDS } from './device-flow-throttling';
import { PAGE_PATHS } from '../protocol/paths';

/** RFC 8628 §3.2 device authorization response. */
export interface DeviceAuthorizationResponse {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete: string;
  readonly expires_in: number;
  readonly interval: number;
}

/**
 * `POST /connect/deviceauthorization` (RFC 8628 §3.1) as a list of steps: no-store, form
 * parameters without duplicates, client authenticated (public clients included), device grant
 * allowed for the client, scopes validated, codes issued.
 */
@Controller('connect')
export class DeviceAuthorizationController {
  constructor(
    private readonly clientAuthenticator: ClientAuthenticator,
    private readonly catalog: ResourceCatalog,
    private readonly deviceCodes: DeviceCodeService,
  ) {}

  @Post('deviceauthorization')
  @HttpCode(200)
  async authorize(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Origin() origin: RequestOrigin,
  ): Promise<DeviceAuthorizationResponse> {
    setNoStoreHeaders(reply);
    const params = readFormParameters(request);
    const { client } = await this.clientAuthenticator.authenticate(request, params);
    if (!client.allowedGrantTypes.includes(GRANT_TYPES.deviceCode)) {
      throw new UnauthorizedClientError('the client is not allowed to use the device flow');
    }
    const validation = validateResources(await this.catalog.getIndex(), {
      client,
      scope: params.scope,
      allowIdentityScopes: true,
      allowOfflineAccess: true,
    });
    if (!validation.valid) throw resourceValidationError(validation);

    const created = await this.deviceCodes.create(client, validation.resources.scopes);
    const verificationUri = origin.issuer + PAGE_PATHS.device;
    return {
      device_code: created.deviceCode,
      user_code: created.userCode,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?userCode=${encodeURIComponent(created.userCode)}`,
      expires_in: created.expiresIn,
      interval: DEFAULT_POLLING_INTERVAL_SECONDS,
    };
  }
}
