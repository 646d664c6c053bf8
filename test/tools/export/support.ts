import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseReference, type ReferenceData } from '../../../services/worker/src/pack/referenceData.js';
import { packageRoot } from '../../../src/core/paths.js';

const run = promisify(execFile);

/** Debian's python3-torch and python3-onnx belong to the system interpreter (.ci/run installs them). */
export const python = '/usr/bin/python3';
// From the package root, not this file: the benchmarks run this module compiled under dist/.
const here = join(packageRoot, 'test', 'tools', 'export');
const networks = join(here, 'networks');
const makePack = join(packageRoot, 'tools', 'export', 'make_pack.py');

async function python3(args: string[]): Promise<string> {
  const { stdout } = await run(python, args, { maxBuffer: 64 * 1024 * 1024, timeout: 540_000 });
  return stdout;
}

/** Randomly initialised networks of the same code structure as StyleGAN2-ADA or StyleGAN3 and arcface_torch's iResNet. */
export async function makeNetworks(options: {
  generator?: string;
  conditional?: boolean;
  /** StyleGAN3's structure (networks_stylegan3.py) instead of StyleGAN2-ADA's. */
  stylegan3?: boolean;
  recognizer?: string;
  arch?: string;
  embedding?: number;
  seed: number;
}): Promise<void> {
  const args = [join(here, 'make_networks.py'), '--seed', String(options.seed)];
  if (options.generator) args.push('--generator', options.generator);
  if (options.conditional) args.push('--conditional');
  if (options.stylegan3) args.push('--stylegan3');
  if (options.recognizer)
    args.push(
      '--recognizer',
      options.recognizer,
      '--arch',
      options.arch ?? 'tiny',
      '--embedding',
      String(options.embedding ?? 32),
    );
  await python3(args);
}

/** Runs tools/export/make_pack.py on test networks; the recognizer is an arcface_torch checkpoint of `arch`. */
export async function exportPack(
  out: string,
  network: string,
  recognizer: string,
  arch: string,
  embedding: number,
  extra: string[],
): Promise<string> {
  const args = [
    makePack,
    '--network',
    network,
    '--code',
    networks,
    '--recognizer-torch',
    recognizer,
    '--arch',
    arch,
    '--arcface-torch',
    networks,
  ];
  return python3([...args, '--embedding-dim', String(embedding), '--out', out, ...extra]);
}

export async function loadReference(pack: string): Promise<ReferenceData> {
  return parseReference(await readFile(join(pack, 'reference.json'), 'utf8'));
}

/** Rewrites the pack's manifest.json (for packs a user got wrong). */
export async function editManifest(pack: string, edit: (manifest: Record<string, any>) => void): Promise<void> {
  const path = join(pack, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, any>;
  edit(manifest);
  await writeFile(path, JSON.stringify(manifest));
}

/** Five landmarks of a face in the 32×32 test generator's images. */
export const landmarks32 = '11,13 21,13 16,18 12,23 20,23';
