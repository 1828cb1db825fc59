import { EntitySchema } from 'typeorm';

/** Row of `user_links` (schema in migrations/). Never leaves the TypeORM stores. */
export interface UserLinkRow {
  scheme: string;
  externalSubject: string;
  subjectId: string;
  provisioned: boolean;
  /** JSON object of the local user's claims (provisioned users), else `{}` */
  claims: string;
  created: Date;
  lastSignIn: Date;
}

export const UserLinkEntity = new EntitySchema<UserLinkRow>({
  name: 'UserLink',
  tableName: 'user_links',
  columns: {
    scheme: { name: 'scheme', type: 'varchar', length: 64, primary: true },
    externalSubject: { name: 'external_subject', type: 'varchar', length: 255, primary: true },
    subjectId: { name: 'subject_id', type: 'varchar', length: 200 },
    provisioned: { name: 'provisioned', type: Boolean },
    claims: { name: 'claims', type: 'text' },
    created: { name: 'created', type: Date },
    lastSignIn: { name: 'last_sign_in', type: Date },
  },
  indices: [{ name: 'IX_user_links_subject_id', columns: ['subjectId'] }],
});
