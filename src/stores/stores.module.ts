import { Module } from '@nestjs/common';

/** Placeholder: filled in by the stores work. */
@Module({})
export class StoresModule {}
