import { Injectable } from '@nestjs/common';
import { LoginContextDescriber, type LoginContext, type LoginPageBrowser } from '../protocol/login-context';
import { PAGE_PATHS } from '../protocol/paths';
import { ANTIFORGERY_COOKIE_NAME } from '../ui/antiforgery.service';
import { clientDisplayName } from '../ui/consent-page-model';
import { DeviceInteractionService } from './device-interaction.service';

/**
 * The login page's view of a device interaction (`/device?request=…`, where the user typed a
 * code and must sign in first): the device's client. Only an interaction this browser started
 * is described (it is bound to the browser's anti-forgery cookie), so a link minted elsewhere
 * cannot put a trusted client's name on this browser's login page.
 */
@Injectable()
export class DeviceLoginContextDescriber extends LoginContextDescriber {
  constructor(private readonly interactions: DeviceInteractionService) {
    super();
  }

  async describe(returnUrl: string, browser: LoginPageBrowser): Promise<LoginContext | undefined> {
    if (!returnUrl.startsWith(`${PAGE_PATHS.device}?`)) return undefined;
    const interaction = new URLSearchParams(returnUrl.slice(PAGE_PATHS.device.length + 1)).get('request');
    if (!interaction) return undefined;
    const pending = await this.interactions.findInteraction(interaction, { antiforgeryCookie: browser.cookies?.[ANTIFORGERY_COOKIE_NAME] });
    if (!pending) return undefined;
    const { client } = pending;
    return { clientName: clientDisplayName(client), ...(client.logoUri !== undefined && { clientLogoUri: client.logoUri }) };
  }
}
