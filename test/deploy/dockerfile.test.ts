import { describe, expect, it } from 'vitest';
import { repoFile, workspacePackages } from './files.ts';

const dockerfile = repoFile('infra/Dockerfile');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
/** The instructions of the last stage: the image that runs. */
const runtime = instructions.slice(instructions.findLastIndex((line) => line.startsWith('FROM ')));

describe('infra/Dockerfile', () => {
  it('builds in stages from node:24-slim, the runtime one last', () => {
    const stages = instructions.filter((line) => line.startsWith('FROM '));
    expect(stages.length).toBeGreaterThan(1);
    for (const stage of stages) expect(stage).toMatch(/^FROM (node:24-slim|manifests) AS \w+$/);
    expect(runtime[0]).toBe('FROM node:24-slim AS runtime');
  });

  it('installs production dependencies only for the runtime image', () => {
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile --prod /);
    expect(runtime.join('\n')).toContain('COPY --from=build /app /app');
    expect(runtime.join('\n')).not.toMatch(/pnpm install|npm install/);
  });

  it('copies every workspace package.json before installing', () => {
    for (const folder of workspacePackages()) {
      expect(dockerfile, folder).toContain(`COPY ${folder}/package.json ${folder}/`);
    }
  });

  it('runs as a non-root user, with a health check, on node directly', () => {
    const user = runtime.find((line) => line.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
    expect(runtime.some((line) => line.startsWith('HEALTHCHECK ') && line.includes('/healthz'))).toBe(true);
    expect(runtime.at(-1)).toBe('CMD ["node", "apps/api/src/main.ts"]');
  });

  it('keeps local secrets and dependencies out of the build context', () => {
    const ignored = repoFile('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '.git', '.env', '.env.*']) expect(ignored).toContain(entry);
  });
});
