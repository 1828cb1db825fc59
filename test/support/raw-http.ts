import { connect } from 'node:net';

/** What came back on a raw connection: the status line's code, the head and the body. */
export interface RawAnswer {
  readonly status: number;
  readonly head: string;
  readonly contentType: string;
  readonly body: string;
}

/**
 * Writes bytes (anything, invalid HTTP included) on a fresh connection and reads until the server
 * closes it. Rejects when no HTTP answer came back within 10 s.
 */
export function sendRaw(port: number, bytes: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1];
      if (!status) {
        reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 100))}`));
        return;
      }
      resolve({ status: Number(status), head, contentType: /\r\ncontent-type: ([^\r\n]*)/i.exec(head)?.[1] ?? '', body: rest.join('\r\n\r\n') });
    });
  });
}
