/*
 * A real application process for multi-process tests: `node -r @swc-node/register
 * test/support/app-process.ts` with settings in the environment. Boots exactly like main.ts
 * (createApp + listen on port 0) and talks over stdio in lines starting with `@@` (logs may share
 * stdout): prints `@@{"event":"listening","port":N}`, then answers the commands `jwks`, `rotate`
 * and `exit` read from stdin.
 */
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { createApp } from '../../src/app.factory';
import { loadAppConfig } from '../../src/config/app-config';
import { SERVER_EXTENSIONS } from '../../src/server.extensions';
import { KeyManager } from '../../src/key-management/key-manager.service';
import { SigningService } from '../../src/key-management/signing.service';

function send(message: Record<string, unknown>): void {
  process.stdout.write(`@@${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
  const app = await createApp(loadAppConfig(process.env), SERVER_EXTENSIONS);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  send({ event: 'listening', port: address && typeof address === 'object' ? address.port : undefined });
  const commands = createInterface({ input: process.stdin });
  for await (const line of commands) {
    const command = line.trim();
    try {
      if (command === 'jwks') send({ event: 'jwks', jwks: (await app.get(SigningService).getPublishedKeySet()).jwks });
      else if (command === 'rotate') send({ event: 'rotated', kids: await app.get(KeyManager).rotateNow() });
      else if (command === 'exit') break;
      else send({ event: 'error', message: `unknown command ${command}` });
    } catch (error) {
      send({ event: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }
  await app.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    send({ event: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
