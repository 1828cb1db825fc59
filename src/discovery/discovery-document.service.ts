import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { SigningAlgorithm } from '../config/app-config';
import { SigningService } from '../key-management/signing.service';
import { SupportedGrantTypes } from '../protocol/grant-types';
import { ResourceStore } from '../stores/resource.store';
import type { Resources } from '../stores/models';
import { buildDiscoveryDocument, discoveryInputVersion } from './discovery-document';

/** A discovery document serialised once, with its entity tag. */
export interface SerializedDiscoveryDocument {
  readonly json: string;
  readonly etag: string;
}

/**
 * Without ISSUER_URI the issuer comes from the request's Host: bound the cache so a client
 * sending many different Host values cannot grow it without limit.
 */
export const MAX_CACHED_ISSUERS = 64;

export function entityTag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * Serves the discovery document per issuer, built and serialised once and reused until the
 * scopes, claims or signing algorithms change (hot path: every relying party polls it).
 * Also what the `discovery` health indicator runs, so /health exercises the endpoint's code.
 */
@Injectable()
export class DiscoveryDocumentService {
  private readonly byIssuer = new Map<string, SerializedDiscoveryDocument>();
  private version?: string;
  private lastResources?: Resources;
  private lastAlgorithms?: readonly SigningAlgorithm[];

  constructor(
    private readonly resourceStore: ResourceStore,
    private readonly signing: SigningService,
    private readonly grantTypes: SupportedGrantTypes,
  ) {}

  async getDocument(issuer: string): Promise<SerializedDiscoveryDocument> {
    const [resources, signingAlgorithms] = await Promise.all([
      this.resourceStore.getAllResources(),
      this.signing.getSigningAlgorithms(),
    ]);
    this.invalidateIfChanged(resources, signingAlgorithms);

    const cached = this.byIssuer.get(issuer);
    if (cached) return cached;
    const json = JSON.stringify(buildDiscoveryDocument({ issuer, resources, signingAlgorithms, grantTypes: this.grantTypes.names }));
    const document = { json, etag: entityTag(json) };
    if (this.byIssuer.size >= MAX_CACHED_ISSUERS) {
      const oldest = this.byIssuer.keys().next();
      if (!oldest.done) this.byIssuer.delete(oldest.value);
    }
    this.byIssuer.set(issuer, document);
    return document;
  }

  private invalidateIfChanged(resources: Resources, algorithms: readonly SigningAlgorithm[]): void {
    // Stores usually hand back the same objects: then nothing needs comparing.
    if (resources === this.lastResources && algorithms === this.lastAlgorithms) return;
    const version = discoveryInputVersion(resources, algorithms);
    if (version !== this.version) {
      this.byIssuer.clear();
      this.version = version;
    }
    this.lastResources = resources;
    this.lastAlgorithms = algorithms;
  }
}
