import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { loadAppConfig } from '../../src/config/app-config';
import { settingsTheServerReads } from '../support/settings-read';

const ROOT = join(__dirname, '../..');

/** docs/deployment.md: `.env.example` lists every setting with its default and a one-line comment. */
describe('.env.example', () => {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const listed = parse(text);

  it('should list every setting the server reads', () => {
    expect(Object.keys(listed).sort()).toEqual(settingsTheServerReads());
  });

  it('used as .env, should give exactly the defaults', () => {
    expect(loadAppConfig(listed)).toEqual(loadAppConfig({}));
  });

  it('should put a comment line above every setting', () => {
    const lines = text.split('\n');
    for (const name of Object.keys(listed)) {
      const index = lines.findIndex((line) => line.startsWith(`${name}=`));
      expect({ name, previous: lines[index - 1] }).toEqual({ name, previous: expect.stringMatching(/^# \S/) });
    }
  });
});
