import { Module } from '@nestjs/common';

/** Placeholder: filled in by the token work. */
@Module({})
export class TokenModule {}
