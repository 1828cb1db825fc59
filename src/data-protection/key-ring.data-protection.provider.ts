import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AesGcmDataProtector } from './aes-gcm.data-protector';
import { DataProtectionProvider, type DataProtector } from './data-protector';
import { KeyRingService } from './key-ring.service';

/** The DataProtectionProvider every module injects: protectors over this instance's key ring. */
@Injectable()
export class KeyRingDataProtectionProvider extends DataProtectionProvider {
  constructor(private readonly ring: KeyRingService, private readonly clock: Clock) {
    super();
  }

  createProtector(purpose: string, ...subPurposes: string[]): DataProtector {
    return new AesGcmDataProtector(this.ring, this.clock, [purpose, ...subPurposes]);
  }
}
