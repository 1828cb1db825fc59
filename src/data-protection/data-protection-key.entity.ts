import { EntitySchema } from 'typeorm';

/** Row of `data_protection_keys` (schema in migrations/). Never leaves TypeOrmDataProtectionKeyStore. */
export interface DataProtectionKeyRow {
  id: string;
  applicationName: string;
  creationDate: Date;
  activationDate: Date;
  expirationDate: Date;
  revoked: boolean;
  encryption: string;
  keyMaterial: string;
}

export const DataProtectionKeyEntity = new EntitySchema<DataProtectionKeyRow>({
  name: 'DataProtectionKey',
  tableName: 'data_protection_keys',
  columns: {
    id: { name: 'id', type: 'varchar', length: 36, primary: true },
    applicationName: { name: 'application_name', type: 'varchar', length: 200 },
    creationDate: { name: 'creation_date', type: Date },
    activationDate: { name: 'activation_date', type: Date },
    expirationDate: { name: 'expiration_date', type: Date },
    revoked: { name: 'revoked', type: Boolean, default: false },
    encryption: { name: 'encryption', type: 'varchar', length: 20 },
    keyMaterial: { name: 'key_material', type: 'text' },
  },
});
