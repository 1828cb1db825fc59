import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../migrations';
import { loadAppConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { DatabaseModule } from '../../src/database/database.module';
import { DatabaseMigrator } from '../../src/database/database.migrator';
import { migrateCommand } from '../../src/database/database.cli';
import type { CliOutput } from '../../src/common/cli-command';
import { DataSource } from 'typeorm';
import { createEmptyDatabase } from '../support/postgres';
import { describeIfPostgres, startTestApp } from '../support/test-app';

/** Names of the tables in a SQLite file, read with a connection of our own. */
function tablesIn(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()
      .map((row) => (row as { name: string }).name);
  } finally {
    db.close();
  }
}

function appliedMigrations(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT name FROM migrations ORDER BY id').all().map((row) => (row as { name: string }).name);
  } finally {
    db.close();
  }
}

/** Only the database layer: lets a test start on a database the rest of the app could not use. */
async function startDatabaseOnly(env: Record<string, string>) {
  @Module({ imports: [ConfigModule.forRoot(loadAppConfig(env)), DatabaseModule] })
  class DatabaseOnlyModule {}
  return NestFactory.createApplicationContext(DatabaseOnlyModule, { logger: false, abortOnError: false });
}

function captureOutput() {
  const lines: string[] = [];
  const documents: unknown[] = [];
  const out: CliOutput = { line: (t) => lines.push(t), json: (v) => documents.push(v), error: (t) => lines.push(t) };
  return { out, lines, documents };
}

const ALL_MIGRATION_NAMES = MIGRATIONS.map((m) => new m().name ?? m.name);

describe('database start-up', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idsrv-db-'));
    // a folder that does not exist yet: start-up creates it
    file = join(dir, 'nested', 'identity.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('app start, when the SQLite file is new, should create it and apply every migration; a second start applies none', async () => {
    const first = await startTestApp({ DATABASE_URL: `sqlite:${file}` });
    const appliedAtFirstStart = first.app.get(DatabaseMigrator).appliedAtStartup;
    await first.close();

    expect(existsSync(file)).toBe(true);
    expect(appliedAtFirstStart).toEqual(ALL_MIGRATION_NAMES);
    expect(appliedMigrations(file)).toEqual(ALL_MIGRATION_NAMES);
    expect(tablesIn(file)).toEqual(expect.arrayContaining(['persisted_grants', 'device_codes', 'server_side_sessions']));

    const second = await startTestApp({ DATABASE_URL: `sqlite:${file}` });
    const appliedAtSecondStart = second.app.get(DatabaseMigrator).appliedAtStartup;
    await second.close();
    expect(appliedAtSecondStart).toEqual([]);
    expect(appliedMigrations(file)).toEqual(ALL_MIGRATION_NAMES);
  });

  it('start, when DATABASE_MIGRATIONS_RUN=false, should leave the database unmigrated; `migrate` then applies everything', async () => {
    const context = await startDatabaseOnly({ DATABASE_URL: `sqlite:${file}`, DATABASE_MIGRATIONS_RUN: 'false' });
    try {
      const migrator = context.get(DatabaseMigrator);
      expect(migrator.appliedAtStartup).toEqual([]);
      expect(tablesIn(file)).not.toContain('persisted_grants');
      expect(await migrator.hasPending()).toBe(true);

      const json = captureOutput();
      expect(await migrateCommand.run(context, { argv: [], json: true }, json.out)).toBe(0);
      expect(json.documents).toEqual([{ migrations: ALL_MIGRATION_NAMES }]);
      expect(tablesIn(file)).toEqual(expect.arrayContaining(['persisted_grants', 'device_codes', 'server_side_sessions']));

      const text = captureOutput();
      expect(await migrateCommand.run(context, { argv: [], json: false }, text.out)).toBe(0);
      expect(text.lines.join('\n')).toMatch(/up to date/);
      expect(await migrator.hasPending()).toBe(false);
    } finally {
      await context.close();
    }
  });

  it('start, when migrations run at start-up, should let `migrate` report what start-up applied', async () => {
    const context = await startDatabaseOnly({ DATABASE_URL: `sqlite:${file}` });
    try {
      const { out, lines } = captureOutput();
      expect(await migrateCommand.run(context, { argv: [], json: false }, out)).toBe(0);
      expect(lines[0]).toBe(`Applied ${ALL_MIGRATION_NAMES.length} migration(s):`);
      expect(lines.slice(1).map((l) => l.trim())).toEqual(ALL_MIGRATION_NAMES);
    } finally {
      await context.close();
    }
    const again = await startDatabaseOnly({ DATABASE_URL: `sqlite:${file}` });
    try {
      expect(again.get(DatabaseMigrator).appliedAtStartup).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describeIfPostgres('database start-up on PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> };

  beforeEach(async () => {
    database = await createEmptyDatabase();
  });
  afterEach(async () => {
    await database.drop();
  });

  it('start, when several instances start at once on an empty database, should migrate it exactly once', async () => {
    const contexts = await Promise.all([1, 2, 3].map(() => startDatabaseOnly({ DATABASE_URL: database.url })));
    try {
      const applied = contexts.map((c) => c.get(DatabaseMigrator).appliedAtStartup);
      expect(applied.filter((names) => names.length > 0)).toEqual([ALL_MIGRATION_NAMES]);
      expect(applied.filter((names) => names.length === 0)).toHaveLength(2);
      const dataSource = contexts[0].get(DataSource);
      const rows: Array<{ name: string }> = await dataSource.query('SELECT name FROM migrations ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(ALL_MIGRATION_NAMES);
      const columns: Array<{ data_type: string }> = await dataSource.query(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'persisted_grants' AND column_name = 'expiration'",
      );
      expect(columns).toEqual([{ data_type: 'timestamp with time zone' }]);
    } finally {
      await Promise.all(contexts.map((c) => c.close()));
    }
  });
});
