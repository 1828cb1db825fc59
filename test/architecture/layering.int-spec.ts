import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'check-layers.mjs');

function checkLayers(srcRoot?: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [SCRIPT, ...(srcRoot ? [srcRoot] : [])], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('layering (scripts/check-layers.mjs)', () => {
  it('src/, when checked, should have no import pointing to a higher layer', () => {
    const { status, output } = checkLayers();
    expect(output).toContain('layering: no import points up');
    expect(status).toBe(0);
  });

  it('a tree where a lower folder imports a higher one, should be refused with the import named', () => {
    const root = writeTree({
      'protocol/protocol-errors.ts': "import { Ui } from '../ui/ui';\nexport const x = Ui;\n",
      'ui/ui.ts': 'export class Ui {}\n',
    });
    try {
      const { status, output } = checkLayers(root);
      expect(status).toBe(1);
      expect(output).toContain(`protocol/protocol-errors.ts imports '../ui/ui': "protocol" may not depend on "ui"`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a folder cycle between two folders of one layer, should be refused', () => {
    const root = writeTree({
      'device-flow/a.ts': "import { b } from '../end-session/b';\nexport const a = b;\n",
      'end-session/b.ts': 'export const b = 1;\n',
    });
    try {
      const { status, output } = checkLayers(root);
      expect(status).toBe(1);
      expect(output).toContain('"device-flow" may not depend on "end-session"');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a folder that no layer lists, should be refused until it is placed', () => {
    const root = writeTree({ 'newthing/x.ts': "import { y } from '../common/y';\nexport const x = y;\n", 'common/y.ts': 'export const y = 1;\n' });
    try {
      const { status, output } = checkLayers(root);
      expect(status).toBe(1);
      expect(output).toContain('folder "newthing" is in no layer');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
