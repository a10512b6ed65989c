import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enablePrivateCompileCache } from './compile-cache.ts';

const uid = process.getuid?.() as number;
const parents: string[] = [];
function parent(): string {
  const made = mkdtempSync(join(tmpdir(), 'compile-cache-test-'));
  parents.push(made);
  return made;
}
afterEach(() => {
  for (const made of parents.splice(0)) rmSync(made, { recursive: true, force: true });
});

// Each test works out where the folder would go; only the first that is accepted turns the
// cache on for this process, which is harmless here (vitest's own process).
describe('the compile cache folder', () => {
  it('is made private (0700) for this user when it is not there', () => {
    const at = parent();
    const directory = join(at, `digest-compile-cache-${uid}`);
    const used = enablePrivateCompileCache(at);
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    // Enabled here, or already enabled in this process elsewhere: then Node names its folder.
    expect(used).toBeDefined();
  });

  it('is not used when others may write to it, nor when it is a link', () => {
    const open = parent();
    mkdirSync(join(open, `digest-compile-cache-${uid}`), { mode: 0o777 });
    chmodSync(join(open, `digest-compile-cache-${uid}`), 0o777);
    expect(enablePrivateCompileCache(open)).toBeUndefined();

    const linked = parent();
    mkdirSync(join(linked, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(linked, 'elsewhere'), join(linked, `digest-compile-cache-${uid}`));
    expect(enablePrivateCompileCache(linked)).toBeUndefined();
  });

  it.runIf(uid === 0)('is not used when another user made it first', () => {
    const at = parent();
    const directory = join(at, `digest-compile-cache-${uid}`);
    mkdirSync(directory, { mode: 0o700 });
    chownSync(directory, 65534, 65534);
    expect(enablePrivateCompileCache(at)).toBeUndefined();
  });
});
