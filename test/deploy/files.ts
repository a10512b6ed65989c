import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/processes.ts';

export function repoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** Every YAML document of a file, merge keys (`<<:`) resolved as compose and kubectl do. */
export function yamlDocuments(path: string): unknown[] {
  return parseAllDocuments(repoFile(path), { merge: true }).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message}`);
    return document.toJS();
  });
}

/** The workspace's package folders (apps/*, packages/*, test), as pnpm-workspace.yaml lists them. */
export function workspacePackages(): string[] {
  return ['apps', 'packages']
    .flatMap((top) => readdirSync(join(REPO_ROOT, top)).map((name) => `${top}/${name}`))
    .concat('test');
}
