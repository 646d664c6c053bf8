import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { startTestPlatform, type TestPlatform } from '../support/testPlatform.js';

const docker = join(packageRoot, 'docker');
const dashboard = JSON.parse(readFileSync(join(docker, 'grafana', 'dashboards', 'brownian.json'), 'utf8')) as {
  uid: string;
  panels: { title: string; datasource: { uid: string }; targets: { expr: string; datasource: { uid: string } }[] }[];
};
// docker-compose (installed by .ci/run) brings python3-yaml, which reads the YAML files here.
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

function yamlFile(path: string): any {
  const json = execFileSync('/usr/bin/python3', [
    '-c',
    'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))',
    path,
  ]);
  return JSON.parse(json.toString());
}

type Volume = string | { type: string; source: string; target: string };

/** Bind mounts of a service, in either of the forms docker-compose versions print (`src:dst:ro` or objects). */
function binds(volumes: Volume[] = []): { source: string; target: string }[] {
  return volumes.flatMap((volume) => {
    if (typeof volume !== 'string')
      return volume.type === 'bind' ? [{ source: volume.source, target: volume.target }] : [];
    const [source, target] = volume.split(':') as [string, string];
    return source.startsWith('/') ? [{ source, target }] : [];
  });
}

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(async () => t?.stop());

describe('the Grafana dashboard', () => {
  it('queries only metrics the API exposes on /metrics', async () => {
    const exposed = await (await fetch(new URL('/metrics', t.url))).text();
    const names = new Set(exposed.split('\n').flatMap((line) => line.match(/^# TYPE (\S+)/)?.[1] ?? []));
    const used = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((target) => target.expr.match(/\bbrownian_[a-z_]+/g) ?? []),
    );
    expect(used.length).toBeGreaterThanOrEqual(dashboard.panels.length);
    for (const metric of used) expect(names, metric).toContain(metric);
    const titles = dashboard.panels.map((panel) => panel.title);
    expect(titles).toEqual(
      expect.arrayContaining(['Runs by status', 'Iterations per second', 'Queue depth', 'Worker heartbeats']),
    );
  });

  it.skipIf(!hasCompose)('is provisioned by the compose file with the Prometheus that scrapes the API', () => {
    const compose = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
        input: execFileSync('docker-compose', ['-f', join(docker, 'compose.yaml'), 'config'], { encoding: 'utf8' }),
      }).toString(),
    ) as { services: Record<string, { image?: string; volumes?: Volume[]; ports?: { target: number }[] }> };
    const { grafana, prometheus, api } = compose.services;
    for (const service of [grafana!, prometheus!]) {
      expect(service.image).toMatch(/:v?\d+\.\d+\.\d+$/);
      expect(binds(service.volumes).length).toBeGreaterThan(0);
      for (const bind of binds(service.volumes)) expect(existsSync(bind.source), bind.source).toBe(true);
    }
    const mountOf = (target: string) => binds(grafana!.volumes).find((v) => v.target === target)!;

    const datasource = yamlFile(join(mountOf('/etc/grafana/provisioning').source, 'datasources', 'prometheus.yaml'))
      .datasources[0];
    expect(new URL(datasource.url).hostname).toBe('prometheus');
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid, panel.title).toBe(datasource.uid);
      for (const target of panel.targets) expect(target.datasource.uid, panel.title).toBe(datasource.uid);
    }
    const provider = yamlFile(join(mountOf('/etc/grafana/provisioning').source, 'dashboards', 'brownian.yaml'))
      .providers[0];
    expect(existsSync(join(mountOf(provider.options.path).source, 'brownian.json'))).toBe(true);

    const scrape = yamlFile(
      binds(prometheus!.volumes).find((v) => v.target === '/etc/prometheus/prometheus.yml')!.source,
    ).scrape_configs[0];
    expect(scrape.metrics_path).toBe('/metrics');
    const [host, port] = (scrape.static_configs[0].targets[0] as string).split(':');
    expect(host).toBe('api');
    expect(api!.ports!.map((p) => p.target)).toContain(Number(port));
  });
});
