import { Module } from '@nestjs/common';

/** Placeholder: filled in by the discovery work. */
@Module({})
export class DiscoveryModule {}
