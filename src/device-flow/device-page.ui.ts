import { escapeHtml as e } from '../protocol/error-page';
import { ANTIFORGERY_FIELD, type FormModel } from '../ui/ui';

export interface UserCodePageModel extends FormModel {
  /** prefilled from verification_uri_complete */
  readonly userCode?: string;
  readonly error?: string;
}

/**
 * The device code entry page (`/device`, SPEC §4: input named `userCode`). Abstract, like `Ui`,
 * so a team can bind its own look; the other device pages reuse `Ui` (consent, messages).
 */
export abstract class DeviceUi {
  abstract userCodePage(model: UserCodePageModel): string;
}

/** Plain, accessible, no scripts — in the style of the default login page. */
export class DefaultDeviceUi extends DeviceUi {
  userCodePage(m: UserCodePageModel): string {
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connect a device</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"></head>
<body><main>
<h1>Connect a device</h1>
<p>Enter the code shown on your device.</p>
${m.error ? `<p role="alert" id="error">${e(m.error)}</p>` : ''}
<form method="post" action="${e(m.action)}">
<input type="hidden" name="${ANTIFORGERY_FIELD}" value="${e(m.antiforgeryToken)}">
<p><label for="userCode">Code</label><br>
<input id="userCode" name="userCode" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus value="${e(m.userCode ?? '')}"></p>
<p><button type="submit" name="button" value="submit">Continue</button></p>
</form>
</main></body></html>`;
  }
}
