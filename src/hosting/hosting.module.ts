import { Module } from '@nestjs/common';

/** Placeholder: filled in by the hosting work. */
@Module({})
export class HostingModule {}
