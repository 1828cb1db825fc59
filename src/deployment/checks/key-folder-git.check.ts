import { Inject, Injectable } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { DeploymentCheck, type DoctorFinding } from '../deployment-check';

export const KEY_FOLDER_IN_GIT_WORK_TREE = 'key-folder-in-git-work-tree';

/** What git says about a folder: outside any work tree, inside and ignored, inside and not ignored, or inside with no git to ask. */
export type GitStatus = 'outside' | 'ignored' | 'tracked-or-untracked' | 'inside-unknown';

/** A key folder to look at: the setting that names it, and its path. */
export interface KeyFolder {
  readonly setting: 'KEY_MANAGEMENT_KEY_PATH' | 'DATA_PROTECTION_KEY_PATH';
  readonly path: string;
}

/** The key folders in use: only the stores that are files have one. */
export function keyFoldersOf(config: AppConfig): KeyFolder[] {
  const folders: KeyFolder[] = [];
  if (config.keyManagement.enabled && config.keyManagement.keyStore === 'file') {
    folders.push({ setting: 'KEY_MANAGEMENT_KEY_PATH', path: resolve(config.keyManagement.keyPath) });
  }
  if (config.dataProtection.keyStore === 'file') folders.push({ setting: 'DATA_PROTECTION_KEY_PATH', path: resolve(config.dataProtection.keyPath) });
  return folders;
}

const GIT_TIMEOUT_MS = 2000;

function git(args: string[], cwd: string): Promise<{ code: number | 'missing'; stdout: string }> {
  return new Promise((done) => {
    execFile('git', args, { cwd, timeout: GIT_TIMEOUT_MS, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }, (error, stdout) => {
      if (!error) return done({ code: 0, stdout });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return done({ code: 'missing', stdout: '' });
      done({ code: typeof code === 'number' ? code : 128, stdout });
    });
  });
}

/** The folder itself, or its nearest ancestor that exists (the key folder may not be made yet). */
function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

/** Without git: a `.git` entry in the folder or an ancestor means a work tree whose ignore rules we cannot read. */
function insideWorkTreeByFiles(path: string): boolean {
  for (let current = path; ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return true;
    if (dirname(current) === current) return false;
  }
}

/**
 * Asks git whether `path` is in a work tree (`rev-parse --is-inside-work-tree`) and, if so,
 * whether it is ignored (`check-ignore`, which also works for a folder not created yet). Only
 * reads: GIT_OPTIONAL_LOCKS=0 keeps git from refreshing the index.
 */
export async function gitStatusOf(path: string): Promise<GitStatus> {
  const cwd = nearestExisting(path);
  const inside = await git(['rev-parse', '--is-inside-work-tree'], cwd);
  if (inside.code === 'missing') return insideWorkTreeByFiles(path) ? 'inside-unknown' : 'outside';
  if (inside.code !== 0 || inside.stdout.trim() !== 'true') return 'outside';
  // check-ignore: 0 ignored, 1 not ignored. A trailing slash asks about the folder as a folder.
  // Without --no-index: a folder whose files are committed counts as not ignored, whatever .gitignore says.
  const ignored = await git(['check-ignore', '-q', `${path}/`], cwd);
  if (ignored.code === 0) return 'ignored';
  if (ignored.code === 1) return 'tracked-or-untracked';
  return 'inside-unknown';
}

export function keyFolderFinding(folder: KeyFolder, status: GitStatus): DoctorFinding[] {
  if (status === 'outside' || status === 'ignored') return [];
  const what = folder.setting === 'KEY_MANAGEMENT_KEY_PATH' ? 'signing keys' : 'data-protection keys';
  const known = status === 'tracked-or-untracked';
  return [{
    id: KEY_FOLDER_IN_GIT_WORK_TREE,
    // Not knowing whether .gitignore covers it (no git installed) is worth a look, not an outage.
    severity: known ? 'error' : 'warning',
    message: `The ${what} folder ${folder.path} (${folder.setting}) is inside a git work tree and `
      + `${known ? 'not ignored' : 'git is not installed to tell whether it is ignored'}: a commit would publish the keys, `
      + 'and a build would bake them into every copy.',
    fix: `Move ${folder.setting} outside the repository (e.g. /var/lib/identity/keys) or add the folder to .gitignore (docs/deployment.md#checking-a-deployment).`,
  }];
}

/** How long the answer of git is kept: folders and ignore rules change rarely, and /health runs often. */
const CACHE_MS = 60_000;

/** The key folders (KEY_MANAGEMENT_KEY_PATH, DATA_PROTECTION_KEY_PATH of file stores) inside a git work tree and not ignored. */
@Injectable()
export class KeyFolderGitCheck extends DeploymentCheck {
  readonly name = 'key folders in git';
  private cached?: { readonly at: number; readonly findings: Promise<DoctorFinding[]> };

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<readonly DoctorFinding[]> {
    // A monotonic clock: this is a cache lifetime, not a decision of the checks.
    const now = performance.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      const findings = Promise.all(keyFoldersOf(this.config).map(async (folder) => keyFolderFinding(folder, await gitStatusOf(folder.path))))
        .then((lists) => lists.flat());
      this.cached = { at: now, findings };
      findings.catch(() => { this.cached = undefined; });
    }
    return this.cached.findings;
  }
}
