import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  createRegistry,
  deliveryMetrics,
  httpMetrics,
  jobMetrics,
  sharedStateMetrics,
} from '@digest/metrics';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.ts';
import { repoFile, yamlDocuments } from './files.ts';

/** Every metric the API and the workers expose, from the same definitions they use. */
function exposedMetricNames(): Set<string> {
  const registry = createRegistry();
  httpMetrics(registry);
  deliveryMetrics(registry);
  jobMetrics(registry, {});
  sharedStateMetrics(registry, { queues: {}, openIssues: async () => [], timeoutMs: 100 });
  return new Set(registry.getMetricsAsArray().map((metric) => metric.name));
}

/** The metric names a PromQL expression reads (histogram series by their metric's name). */
function metricsIn(expr: string): string[] {
  const names = expr.match(/\b(digest|http|process|nodejs)_[a-z0-9_]+/g) ?? [];
  return names.map((name) => name.replace(/_(bucket|count|sum)$/, ''));
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const [rules] = yamlDocuments('infra/prometheus/alerts.yml') as [{ groups: { rules: Rule[] }[] }];
const alerts = rules.groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(repoFile('infra/grafana/digest-dashboard.json')) as {
  uid: string;
  panels: { id: number; title: string; targets: { expr: string }[] }[];
};

describe('monitoring files', () => {
  it('alert on a stuck issue, the failure rate and queue depth, with metrics that exist', () => {
    expect(alerts.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['DigestIssueStuck', 'DigestDeliveryFailureRate', 'DigestQueueBacklog']),
    );
    const exposed = exposedMetricNames();
    for (const rule of alerts) {
      expect(metricsIn(rule.expr).length, rule.alert).toBeGreaterThan(0);
      for (const name of metricsIn(rule.expr)) expect(exposed, `${rule.alert}: ${name}`).toContain(name);
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
  });

  it('pass promtool: the rules check, and their unit tests fire as expected', () => {
    if (spawnSync('promtool', ['--version']).error) {
      throw new Error('promtool is not installed: apt-get install prometheus (.ci/run does)');
    }
    const dir = join(REPO_ROOT, 'infra/prometheus');
    const run = (...args: string[]) =>
      execFileSync('promtool', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    expect(run('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: 4 rules found/);
    expect(run('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });

  it('has a Grafana dashboard whose every panel queries metrics that exist', () => {
    const exposed = exposedMetricNames();
    expect(dashboard.uid).toBe('daily-papers-digest');
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets) {
        for (const name of metricsIn(expr)) {
          // Node's own metrics come from prom-client's defaults.
          if (!name.startsWith('process_') && !name.startsWith('nodejs_'))
            expect(exposed, panel.title).toContain(name);
        }
      }
    }
    const queried = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((target) => metricsIn(target.expr)),
    );
    for (const name of [
      'digest_deliveries_total',
      'digest_send_duration_seconds',
      'digest_queue_jobs',
      'digest_issue_deliveries',
      'digest_smtp_replies_total',
      'http_request_duration_seconds',
    ]) {
      expect(queried).toContain(name);
    }
  });
});
