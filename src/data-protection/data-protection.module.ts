import { Module } from '@nestjs/common';

/** Placeholder: filled in by the data-protection work. */
@Module({})
export class DataProtectionModule {}
