import { configSchema } from '@digest/config';
import { describe, expect, it } from 'vitest';
import { repoFile, yamlDocuments } from './files.ts';

interface Service {
  image?: string;
  build?: { target?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  container_name?: string;
  depends_on?: Record<string, { condition: string }>;
  working_dir?: string;
}

const [compose] = yamlDocuments('docker-compose.yml') as [{ services: Record<string, Service> }];
const { services } = compose;
const ONE_SHOT = ['secrets', 'migrate', 'seed', 'cli', 'test'];
const SECRET_NAMES = /(TOKEN|SECRET|PASSWORD|PRIVATE_KEY)\b/;

describe('docker-compose.yml', () => {
  it('writes no secret, literally or as a default', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        if (SECRET_NAMES.test(variable) && !variable.endsWith('_FILE')) {
          expect(value, `${name}: ${variable} must be passed through, not written`).toBeNull();
        }
        expect(String(value ?? ''), `${name}: ${variable}`).not.toMatch(/\/\/[^/@\s]+:[^/@\s]+@/);
      }
    }
    // `${ADMIN_TOKEN:-…}`-style defaults anywhere in the file (comments aside).
    const text = repoFile('docker-compose.yml').replace(/#.*$/gm, '');
    expect(text).not.toMatch(/\$\{[A-Z_]*(TOKEN|SECRET|PASSWORD|KEY)[A-Z_]*:?-/);
  });

  it('passes every setting of the config schema to the services', () => {
    const env = services.api?.environment ?? {};
    expect(services.worker?.environment).toEqual(env);
    const fromSecretsStep = Object.keys(services.secrets?.environment ?? {});
    // PORT picks the published port; inside the container the API listens on the image's 3000.
    const given = new Set([...Object.keys(env), ...fromSecretsStep, 'PORT']);
    const missing = Object.keys(configSchema.shape).filter((key) => !given.has(key));
    expect(missing).toEqual([]);
    for (const key of Object.keys(env)) expect(configSchema.shape).toHaveProperty(key);
    expect(env.NODE_ENV).toBe('production');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation syntax
    expect(services.api?.ports).toEqual(['${PORT:-3000}:3000']);
  });

  it('reads the generated secrets from the state volume, made by a step that runs first', () => {
    const env = services.api?.environment ?? {};
    for (const file of [env.ADMIN_TOKEN_FILE, env.TOKEN_SECRET_FILE, env.DATABASE_URL_FILE]) {
      expect(file).toMatch(/^\/var\/lib\/digest\//);
    }
    expect(services.secrets?.command?.slice(0, 2)).toEqual(['node', 'infra/secrets.ts']);
    expect(services.postgres?.environment?.POSTGRES_PASSWORD_FILE).toBe('/var/lib/digest/postgres-password');
    expect(services.postgres?.depends_on?.secrets?.condition).toBe('service_completed_successfully');
    expect(services.api?.volumes).toContain('state:/var/lib/digest:ro');
  });

  it('runs Redis with an append-only file and without eviction', () => {
    const command = services.redis?.command?.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('checks the health of every long-running service', () => {
    for (const [name, service] of Object.entries(services)) {
      if (ONE_SHOT.includes(name)) {
        expect(service.restart ?? 'no', name).toBe('no');
        continue;
      }
      expect(service.healthcheck?.disable, name).not.toBe(true);
      expect(service.healthcheck?.test?.length, `${name} has a health check`).toBeGreaterThan(1);
    }
  });

  it('lets the worker scale: no fixed name, no published port, health on METRICS_PORT', () => {
    const worker = services.worker as Service;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.environment?.METRICS_PORT).toBeTruthy();
    expect(worker.healthcheck?.test?.join(' ')).toContain('process.env.METRICS_PORT');
  });

  it('publishes Mailpit on loopback only', () => {
    expect(services.mailpit?.ports?.length).toBeGreaterThan(0);
    for (const port of services.mailpit?.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('runs the services with node directly (type stripping), no tsx or pnpm in between', () => {
    for (const name of ['secrets', 'migrate', 'api', 'worker']) {
      const command = services[name]?.command ?? [];
      expect(command[0], name).toBe('node');
      expect(command.join(' '), name).not.toMatch(/tsx|pnpm/);
    }
    expect(services.cli?.entrypoint).toEqual(['node', '/app/apps/cli/src/main.ts']);
  });

  it('seeds the demo once, and mounts ./data for the CLI', () => {
    const seed = services.seed?.command?.join(' ') ?? '';
    expect(seed).toMatch(/if \[ -e \/var\/lib\/digest\/seeded \]; then .*exit 0; fi/);
    expect(seed).toMatch(/touch \/var\/lib\/digest\/seeded$/);
    expect(services.cli?.volumes).toContain('./data:/data');
    expect(services.cli?.working_dir).toBe('/data');
  });

  it('runs the tests in containers against their own Postgres and Redis', () => {
    const test = services.test as Service;
    expect(test.profiles).toEqual(['test']);
    expect(test.build?.target).toBe('test');
    expect(test.environment?.DATABASE_URL).toContain('@test-postgres:5432/');
    expect(test.environment?.REDIS_URL).toBe('redis://test-redis:6379');
    expect(Object.keys(test.depends_on ?? {}).sort()).toEqual(['test-postgres', 'test-redis']);
    for (const name of ['test-postgres', 'test-redis']) {
      expect(services[name]?.profiles).toEqual(['test']);
      expect(services[name]?.ports).toBeUndefined();
    }
  });
});
