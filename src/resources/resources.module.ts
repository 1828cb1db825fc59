import { Module } from '@nestjs/common';
import { ResourceCatalog } from './resource-catalog';

/** Scope and resource validation shared by the token and authorization endpoints. */
@Module({
  providers: [ResourceCatalog],
  exports: [ResourceCatalog],
})
export class ResourcesModule {}
