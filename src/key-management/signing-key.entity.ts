import { EntitySchema } from 'typeorm';

/** Row of `signing_keys` (schema in migrations/). Never leaves TypeOrmSigningKeyStore. */
export interface SigningKeyRow {
  id: string;
  version: number;
  created: Date;
  algorithm: string;
  isX509Certificate: boolean;
  dataProtected: boolean;
  /** the private key: protected by data protection unless dataProtected is false */
  data: string;
}

export const SigningKeyEntity = new EntitySchema<SigningKeyRow>({
  name: 'SigningKey',
  tableName: 'signing_keys',
  columns: {
    id: { name: 'id', type: 'varchar', length: 64, primary: true },
    version: { name: 'version', type: 'integer' },
    // `type: Date` lets each driver pick its mapping (timestamptz on PostgreSQL, datetime on SQLite).
    created: { name: 'created', type: Date },
    algorithm: { name: 'algorithm', type: 'varchar', length: 20 },
    isX509Certificate: { name: 'is_x509_certificate', type: 'boolean' },
    dataProtected: { name: 'data_protected', type: 'boolean' },
    data: { name: 'data', type: 'text' },
  },
});
