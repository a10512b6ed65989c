import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '@digest/config';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.ts';
import { yamlDocuments } from './files.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, its shape checked by the Kubernetes schemas below
type Manifest = Record<string, any>;

const MODELS = { Deployment, Job, ConfigMap, Secret, Service } as const;
type Kind = keyof typeof MODELS;

const objects = readdirSync(join(REPO_ROOT, 'infra/k8s'))
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) =>
    yamlDocuments(`infra/k8s/${file}`).map((document) => ({ file, object: document as Manifest })),
  );
const find = (kind: Kind, name: string) =>
  objects.find(({ object }) => object.kind === kind && object.metadata?.name === name)?.object;

describe('infra/k8s', () => {
  it('has the api Deployment and Service, the worker Deployment, the migrate Job, a Secret and a ConfigMap', () => {
    expect(find('Deployment', 'digest-api')).toBeDefined();
    expect(find('Service', 'digest-api')).toBeDefined();
    expect(find('Deployment', 'digest-worker')).toBeDefined();
    expect(find('Job', 'digest-migrate')).toBeDefined();
    expect(find('Secret', 'digest-secrets')).toBeDefined();
    expect(find('ConfigMap', 'digest-config')).toBeDefined();
  });

  it('is valid against the Kubernetes schemas', () => {
    for (const { file, object } of objects) {
      const Model = MODELS[object.kind as Kind];
      expect(Model, `${file}: kind ${object.kind}`).toBeDefined();
      expect(() => new Model(object as never).validate(), file).not.toThrow();
    }
  });

  it('selects its own pods and wires every reference', () => {
    const configMap = find('ConfigMap', 'digest-config') as Manifest;
    const secret = find('Secret', 'digest-secrets') as Manifest;
    for (const [kind, name] of [
      ['Deployment', 'digest-api'],
      ['Deployment', 'digest-worker'],
      ['Job', 'digest-migrate'],
    ] as const) {
      const object = find(kind, name) as Manifest;
      const template = object.spec.template;
      if (kind === 'Deployment')
        expect(template.metadata.labels).toMatchObject(object.spec.selector.matchLabels);
      expect(template.spec.securityContext.runAsNonRoot).toBe(true);
      const [container] = template.spec.containers;
      expect(container.command[0], name).toBe('node');
      expect(container.command.join(' '), name).not.toMatch(/tsx|pnpm/);
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'digest-config' } }]);
      const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'secrets');
      expect(template.spec.volumes).toContainEqual({
        name: 'secrets',
        secret: { secretName: 'digest-secrets' },
      });
      for (const [key, path] of Object.entries(configMap.data)) {
        if (!key.endsWith('_FILE')) continue;
        expect(path).toMatch(new RegExp(`^${mount.mountPath}/`));
        expect(secret.stringData).toHaveProperty(String(path).slice(mount.mountPath.length + 1));
      }
    }
    const api = find('Deployment', 'digest-api') as Manifest;
    expect(find('Service', 'digest-api')?.spec.selector).toEqual(api.spec.selector.matchLabels);
  });

  it('names only settings the services know', () => {
    const data = (find('ConfigMap', 'digest-config') as Manifest).data;
    for (const key of Object.keys(data)) expect(configSchema.shape, key).toHaveProperty(key);
    expect(data.NODE_ENV).toBe('production');
    expect(data.PUBLIC_BASE_URL).toMatch(/^https:\/\//);
  });
});
