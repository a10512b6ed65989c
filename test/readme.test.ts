import { configSchema } from '@digest/config';
import { describe, expect, it } from 'vitest';
import { repoFile } from './deploy/files.ts';

const readme = repoFile('README.md');

/** The text of a `## ` section, up to the next one. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README', () => {
  it('documents exactly the variables of the config schema', () => {
    const documented = [...section('Configuration').matchAll(/^\| `([A-Z0-9_]+)` /gm)].map(
      (match) => match[1],
    );
    expect(new Set(documented).size, 'each variable once').toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it('states the development admin token and how to find the generated one', () => {
    expect(readme).toContain('export ADMIN_TOKEN=dev-admin-token');
    expect(readme).toContain('docker compose exec api cat /var/lib/digest/admin-token');
    expect(readme).not.toMatch(/demo-admin-token/);
  });

  it('has an architecture diagram, the exit codes and the runbook', () => {
    expect(section('Architecture')).toContain('```mermaid\nflowchart');
    expect(section('Admin CLI')).toMatch(/\*\*0\*\* done, \*\*1\*\* failed.*\*\*2\*\* bad arguments/s);
    const runbook = section('Runbook');
    for (const topic of [
      'Backups and restore',
      'Scaling workers',
      'Rotating `TOKEN_SECRET`',
      'Rotating the DKIM key',
      'An issue is stuck',
    ]) {
      expect(runbook).toContain(`**${topic}`);
    }
  });
});
