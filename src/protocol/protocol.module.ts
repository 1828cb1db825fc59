import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ProtocolExceptionFilter } from './protocol-exception.filter';

/**
 * The one exception filter, bound for every Nest route and exported for the routes served
 * straight by Fastify (the token endpoint), so every error is answered the same way.
 */
@Module({
  providers: [ProtocolExceptionFilter, { provide: APP_FILTER, useExisting: ProtocolExceptionFilter }],
  exports: [ProtocolExceptionFilter],
})
export class ProtocolModule {}
