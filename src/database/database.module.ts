import { Module } from '@nestjs/common';

/** Placeholder: filled in by the database work. */
@Module({})
export class DatabaseModule {}
