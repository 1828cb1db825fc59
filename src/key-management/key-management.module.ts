import { Module } from '@nestjs/common';

/** Placeholder: filled in by the key-management work. */
@Module({})
export class KeyManagementModule {}
