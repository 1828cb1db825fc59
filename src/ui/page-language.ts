import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig, type UiLanguage } from '../config/app-config';
import { pageLanguage, translator, type Translate } from './i18n';

/** The language of a page: the request's Accept-Language among `en` and `de`, else UI_DEFAULT_LANGUAGE. */
@Injectable()
export class PageLanguage {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  of(request: FastifyRequest): UiLanguage {
    return pageLanguage(request.headers['accept-language'], this.config.ui.defaultLanguage);
  }

  /** The strings a controller puts into a model itself (messages, field errors), in the page language. */
  translate(request: FastifyRequest): Translate {
    return translator(this.of(request));
  }
}
