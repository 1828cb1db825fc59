import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

export interface CliRun { readonly code: number; readonly stdout: string; readonly stderr: string }

/**
 * The admin CLI as an operator runs it (`npm run -s cli -- …`), in its own process, with exactly
 * the environment given (callers merge process.env and their settings). Never rejects: a failed
 * command is its exit code and output.
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((done) => {
    execFile(process.execPath, ['-r', '@swc-node/register', 'src/cli/main.ts', ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}
