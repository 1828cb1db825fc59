import { Module } from '@nestjs/common';
import { AuthorizeModule } from '../authorize/authorize.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AntiforgeryService } from './antiforgery.service';
import { ConsentController } from './consent.controller';
import { DefaultUi } from './default.ui';
import { LoginController } from './login.controller';
import { CUSTOM_UI, Ui } from './ui';

/**
 * The default interactive pages. `Ui` renders them: DefaultUi unless a team binds CUSTOM_UI in
 * a global module (README.md, "Replacing the login, consent and logout pages"). Exports the
 * renderer and anti-forgery for other pages (logout, device); the exception filter renders the
 * error page through it too.
 */
@Module({
  imports: [AuthorizeModule, SessionsModule],
  controllers: [LoginController, ConsentController],
  providers: [
    AntiforgeryService,
    {
      provide: Ui,
      useFactory: (custom: Ui | undefined): Ui => custom ?? new DefaultUi(),
      inject: [{ token: CUSTOM_UI, optional: true }],
    },
  ],
  exports: [Ui, AntiforgeryService],
})
export class UiModule {}
