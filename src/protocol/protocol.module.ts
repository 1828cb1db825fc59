import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ProtocolExceptionFilter } from './protocol-exception.filter';

@Module({
  providers: [{ provide: APP_FILTER, useClass: ProtocolExceptionFilter }],
})
export class ProtocolModule {}
