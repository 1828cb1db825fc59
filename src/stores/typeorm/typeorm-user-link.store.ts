import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type Repository } from 'typeorm';
import type { ClaimValue, UserLink } from '../models';
import { UserLinkStore } from '../user-link.store';
import { UserLinkEntity, type UserLinkRow } from './user-link.entity';

function toModel(row: UserLinkRow): UserLink {
  return {
    scheme: row.scheme,
    externalSubject: row.externalSubject,
    subjectId: row.subjectId,
    provisioned: Boolean(row.provisioned),
    claims: JSON.parse(row.claims) as Record<string, ClaimValue>,
    created: row.created,
    lastSignIn: row.lastSignIn,
  };
}

/** Links of external accounts in the `user_links` table (SQLite or PostgreSQL). */
@Injectable()
export class TypeOrmUserLinkStore extends UserLinkStore {
  constructor(@InjectRepository(UserLinkEntity) private readonly links: Repository<UserLinkRow>) {
    super();
  }

  async find(scheme: string, externalSubject: string): Promise<UserLink | undefined> {
    const row = await this.links.findOneBy({ scheme, externalSubject });
    return row ? toModel(row) : undefined;
  }

  async create(link: UserLink): Promise<boolean> {
    try {
      await this.links.insert({
        scheme: link.scheme,
        externalSubject: link.externalSubject,
        subjectId: link.subjectId,
        provisioned: link.provisioned,
        claims: JSON.stringify(link.claims),
        created: link.created,
        lastSignIn: link.lastSignIn,
      });
      return true;
    } catch (error) {
      // The primary key decides between two sign-ins at once: the loser finds the pair linked.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async recordSignIn(scheme: string, externalSubject: string, claims: Readonly<Record<string, ClaimValue>>, at: Date): Promise<void> {
    const row = await this.links.findOneBy({ scheme, externalSubject });
    if (!row) return;
    await this.links.update({ scheme, externalSubject }, {
      lastSignIn: at,
      ...(row.provisioned && { claims: JSON.stringify(claims) }),
    });
  }

  async findBySubjectId(subjectId: string): Promise<readonly UserLink[]> {
    const rows = await this.links.find({ where: { subjectId }, order: { created: 'ASC', scheme: 'ASC' } });
    return rows.map(toModel);
  }
}

/** PostgreSQL 23505 unique_violation, or SQLite's constraint failure on the primary key. */
function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: unknown } | undefined;
  return driverError?.code === '23505' || driverError?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || driverError?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
