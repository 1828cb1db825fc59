import { Injectable } from '@nestjs/common';
import { LoginContextDescriber, type LoginContext } from '../protocol/login-context';
import { ConsentInteractionService } from './consent-interaction.service';

/** The login page's view of an authorization request (`/connect/authorize/callback?ctx=…`): its client and login_hint. */
@Injectable()
export class AuthorizeLoginContextDescriber extends LoginContextDescriber {
  constructor(private readonly interactions: ConsentInteractionService) {
    super();
  }

  describe(returnUrl: string): Promise<LoginContext | undefined> {
    return this.interactions.describeLogin(returnUrl);
  }
}
