import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { packageRoot } from '../../src/core/paths.js';

const composeFile = join(packageRoot, 'docker', 'compose.yaml');
const dockerfiles = ['api.Dockerfile', 'worker.Dockerfile'];
// .ci/run installs Debian's docker-compose (which brings python3-yaml); without it there is nothing to parse with.
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(file: string): Instruction[] {
  const text = readFileSync(join(packageRoot, 'docker', file), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

/** Paths copied from the build context (not from another stage), relative to the repository root. */
function copiedPaths(file: string): string[] {
  return instructions(file)
    .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
}

interface ComposeService {
  image?: string;
  build?: { dockerfile: string };
  environment?: Record<string, string>;
  ports?: Array<{ published: number | string; target: number }>;
}

function resolvedCompose(env: Record<string, string> = {}): { services: Record<string, ComposeService> } {
  const yaml = execFileSync('docker-compose', ['-f', composeFile, 'config'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  const json = execFileSync(
    '/usr/bin/python3',
    ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'],
    { input: yaml },
  );
  return JSON.parse(json.toString()) as { services: Record<string, ComposeService> };
}

describe('Dockerfiles', () => {
  it.each(dockerfiles)('%s copies only paths that exist, and copies everything its commands run', (file) => {
    const copied = copiedPaths(file);
    for (const source of copied) expect(existsSync(join(packageRoot, source)), `${file}: COPY ${source}`).toBe(true);
    const isCopied = (path: string) =>
      copied.some((source) => normalize(path).startsWith(normalize(source).replace(/\/$/, '')));

    const cmd = instructions(file)
      .filter((i) => i.keyword === 'CMD')
      .at(-1);
    expect(cmd, `${file} has a CMD`).toBeDefined();
    const [program, script, subcommand] = JSON.parse(cmd!.args) as string[];
    expect(program).toBe('node');
    expect(existsSync(join(packageRoot, script!)), `${file}: ${script}`).toBe(true);
    expect(isCopied(script!), `${file}: ${script} is copied into the image`).toBe(true);
    expect(buildProgram().commands.map((c) => c.name())).toContain(subcommand);

    // npm ci builds dist/ from the sources through the prepare script: what it reads must be copied too.
    const scripts = (
      JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    for (const run of instructions(file).filter((i) => i.keyword === 'RUN')) {
      for (const match of run.args.matchAll(/npm run (\S+)/g))
        expect(scripts[match[1]!], `${file}: npm run ${match[1]}`).toBeDefined();
    }
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'prisma',
      'scripts/prisma-generate.mjs',
      'src',
      'services',
    ]) {
      expect(isCopied(path), `${file}: ${path} is copied`).toBe(true);
    }
  });

  it('pins every base image to a version', () => {
    for (const file of dockerfiles) {
      for (const from of instructions(file).filter((i) => i.keyword === 'FROM')) {
        const image = from.args.split(/\s+/)[0]!;
        if (image === 'base') continue;
        expect(image, `${file}: FROM ${image}`).toMatch(/:\d+\.\d+\.\d+/);
      }
    }
    expect(readFileSync(join(packageRoot, 'docker', 'worker.Dockerfile'), 'utf8')).toMatch(
      /ONNXRUNTIME_NODE_INSTALL=cuda12/,
    );
  });
});

describe('docker/compose.yaml', () => {
  it.skipIf(!hasCompose)('parses, builds from Dockerfiles that exist, and pins its images', () => {
    const { services } = resolvedCompose();
    expect(Object.keys(services).sort()).toEqual(expect.arrayContaining(['api', 'minio', 'postgres', 'worker']));
    for (const [name, service] of Object.entries(services)) {
      if (service.build) expect(existsSync(join(packageRoot, service.build.dockerfile)), name).toBe(true);
      if (service.image) expect(service.image, name).not.toMatch(/:latest$|^[^:]+$/);
    }
    expect(execFileSync('docker-compose', ['-f', composeFile, 'config'], { encoding: 'utf8' })).toMatch(
      /capabilities:\s*\n\s*- gpu/,
    );
  });

  it.skipIf(!hasCompose)('gives clients outside the network an S3 endpoint that presigned URLs can point at', () => {
    const settings: Array<Record<string, string>> = [
      {},
      { BROWNIAN_S3_PUBLIC_ENDPOINT: 'http://brownian.lab.example:9000' },
    ];
    for (const env of settings) {
      const { services } = resolvedCompose(env);
      for (const name of ['api', 'worker']) {
        const environment = services[name]!.environment!;
        const internal = new URL(environment.S3_ENDPOINT!);
        const external = new URL(environment.S3_PUBLIC_ENDPOINT!);
        expect(external.hostname).not.toBe(internal.hostname);
        if ('BROWNIAN_S3_PUBLIC_ENDPOINT' in env) expect(external.hostname).toBe('brownian.lab.example');
        // The S3 service is the one the internal endpoint names; it must publish its S3 port on the public one.
        const s3 = services[internal.hostname]!;
        const published = (s3.ports ?? []).find((p) => p.target === Number(internal.port));
        expect(published, `${internal.hostname} publishes port ${internal.port}`).toBeDefined();
        expect(String(published!.published)).toBe(external.port);
      }
    }
  });
});
