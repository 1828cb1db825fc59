import { Module } from '@nestjs/common';

/** Placeholder: filled in by the health work. */
@Module({})
export class HealthModule {}
