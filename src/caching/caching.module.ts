import { Module } from '@nestjs/common';

/** Placeholder: filled in by the caching work. */
@Module({})
export class CachingModule {}
