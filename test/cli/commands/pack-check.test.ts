import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { packCheckCommand } from '../../../src/cli/commands/pack-check.js';
import { GraphBuilder } from '../../../services/worker/src/onnx/graphBuilder.js';
import { encodeModel } from '../../../services/worker/src/onnx/model.js';
import { onnx } from '../../../services/worker/src/onnx/proto.js';
import { DataType, float32Tensor } from '../../../services/worker/src/onnx/tensor.js';
import { GRADIENTS } from '../../../services/worker/src/autodiff/gradients/index.js';
import type { GradientRule } from '../../../services/worker/src/autodiff/rule.js';
import { buildMiniPack } from '../../../services/worker/src/pack/builtin/index.js';
import { adHocPackFiles } from '../../../services/worker/src/pack/adHocPack.js';
import { manifestFileName, type PackManifest } from '../../../src/core/packs/manifest.js';
import { memorySource } from '../../../src/core/packs/packSource.js';
import { checkModels, type CheckReport } from '../../../services/worker/src/pack/check.js';
import { parseReference, type ReferenceData } from '../../../services/worker/src/pack/referenceData.js';
import { FIXTURE_DIR as fixtures } from '../../services/worker/onnx/torchFixtures.js';

const fixture = (name: string): string => join(fixtures, name);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brownian-check-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Runs `brownian pack check <args>` and returns what it printed and its exit status. */
async function runCommand(args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  process.exitCode = undefined;
  await packCheckCommand().exitOverride().parseAsync(args, { from: 'user' });
  vi.restoreAllMocks();
  const exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { out, err, exitCode };
}

/** A tiny generator w[4] → image [3, 4, 4] whose path to the image goes through Erf, which has no gradient rule. */
function generatorWithErf(): Uint8Array {
  const builder = GraphBuilder.empty('broken_generator');
  builder.input('w', DataType.FLOAT, ['batch', 4]);
  const weight = builder.initializer(
    float32Tensor(
      'fc',
      [48, 4],
      Array.from({ length: 192 }, (_, k) => Math.cos(k)),
    ),
  );
  const hidden = builder.op('Erf', [builder.op('Gemm', ['w', weight], { transB: 1 })]);
  builder.node('Reshape', [hidden, builder.constantInt64([-1, 3, 4, 4])], { outputs: ['image'] });
  builder.output('image', DataType.FLOAT, ['batch', 3, 4, 4]);
  return encodeModel(
    onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: builder.graph }),
  );
}

/** A tiny generator w[4] → image [3, 4, 4] through Gemm and Tanh, every operator with a gradient rule. */
function generatorWithTanh(): Uint8Array {
  const builder = GraphBuilder.empty('tanh_generator');
  builder.input('w', DataType.FLOAT, ['batch', 4]);
  const weight = builder.initializer(
    float32Tensor(
      'fc',
      [48, 4],
      Array.from({ length: 192 }, (_, k) => 0.8 * Math.cos(k)),
    ),
  );
  const hidden = builder.op('Tanh', [builder.op('Gemm', ['w', weight], { transB: 1 })]);
  builder.node('Reshape', [hidden, builder.constantInt64([-1, 3, 4, 4])], { outputs: ['image'] });
  builder.output('image', DataType.FLOAT, ['batch', 3, 4, 4]);
  return encodeModel(
    onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: builder.graph }),
  );
}

/**
 * Replaces one entry of the gradient registry for the duration of `body`: a plausible slip (Tanh's
 * derivative written as 1 − y instead of 1 − y²), injected the way the differentiator looks rules up.
 */
async function withGradientRule<T>(opType: string, rule: GradientRule, body: () => Promise<T>): Promise<T> {
  const registry = GRADIENTS as Record<string, GradientRule>;
  const original = registry[opType];
  registry[opType] = rule;
  try {
    return await body();
  } finally {
    if (original) registry[opType] = original;
    else delete registry[opType];
  }
}

const wrongTanh: GradientRule = {
  differentiableInputs: [0],
  backward(ctx, [g]) {
    const y = ctx.output(0);
    return [ctx.op('Mul', [g!, ctx.op('Sub', [ctx.scalar(1, y), y])])];
  },
};

/** A one-layer recognizer of images with the given dims after the batch axis to an 8-value embedding. */
function denseRecognizer(name: string, dims: number[]): Uint8Array {
  const builder = GraphBuilder.empty(name);
  builder.input('x', DataType.FLOAT, ['batch', ...dims]);
  const size = dims.reduce((a, b) => a * b, 1);
  const weight = builder.initializer(
    float32Tensor(
      'fc',
      [8, size],
      Array.from({ length: 8 * size }, (_, k) => Math.sin(k)),
    ),
  );
  builder.node('Gemm', [builder.op('Flatten', ['x'], { axis: 1 }), weight], {
    outputs: ['e'],
    attributes: { transB: 1 },
  });
  builder.output('e', DataType.FLOAT, ['batch', 8]);
  return encodeModel(
    onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: builder.graph }),
  );
}

/** `checkModels` on the torch fixtures' generator and recognizer (no mapping) at batch 2, against `reference`. */
async function checkFixturesAgainst(reference: ReferenceData): Promise<CheckReport> {
  return checkModels(
    {
      models: {
        generator: await readFile(fixture('generator.onnx')),
        recognizer: await readFile(fixture('recognizer.onnx')),
        wAvg: reference.wAvg?.data,
      },
    },
    { batch: 2, reference, device: 'cpu' },
  );
}

const smallRecognizer = (): Uint8Array => denseRecognizer('small_recognizer', [3, 4, 4]);
/** Reads channels-last images [batch, 4, 6, 3] (height 4, width 6), as TensorFlow exports do. */
const channelsLastRecognizer = (): Uint8Array => denseRecognizer('nhwc_recognizer', [4, 6, 3]);

describe('checkModels', () => {
  it('passes the torch fixtures and matches their outputs and VJPs', async () => {
    const reference = parseReference(await readFile(fixture('reference.json'), 'utf8'));
    const report = await checkModels(
      {
        models: {
          generator: await readFile(fixture('generator.onnx')),
          recognizer: await readFile(fixture('recognizer.onnx')),
          mapping: await readFile(fixture('mapping.onnx')),
          wAvg: reference.wAvg?.data,
        },
      },
      { batch: 4, reference, device: 'cpu' },
    );
    expect(report.problems).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.dims).toEqual({
      zDim: 32,
      latentDim: 32,
      image: [3, 16, 16],
      recognizerInput: [3, 16, 16],
      embeddingDim: 32,
    });
    expect(report.reference.map((r) => r.name)).toEqual([
      'mapping output',
      'generator image',
      'generator VJP',
      'recognizer embedding',
      'recognizer VJP',
      'composite embedding',
      'composite VJP',
    ]);
    for (const r of report.reference) expect(r.relativeError, r.name).toBeLessThan(1e-5);
    const generatorOps = report.models.find((m) => m.role === 'generator')!.ops;
    expect(generatorOps.find((op) => op.opType === 'ConvTranspose')).toMatchObject({ count: 2, supported: true });
    expect(report.gradientCheck!.relativeError).toBeLessThan(report.gradientCheck!.tolerance);
    expect(report.timing!.forwardMs).toBeGreaterThan(0);
    expect(report.timing!.vjpMs).toBeGreaterThan(0);
  });

  it('reports a VJP that disagrees with the reference', async () => {
    const reference = parseReference(await readFile(fixture('reference.json'), 'utf8'));
    const dx = reference.recognizer!.dx.data;
    dx.forEach((v, k) => (dx[k] = -v));
    const report = await checkFixturesAgainst(reference);
    expect(report.passed).toBe(false);
    expect(report.problems).toEqual([
      expect.stringMatching(/^reference recognizer VJP: relative error 2\.00e\+0 exceeds 0\.0001$/),
    ]);
    // Without --mapping the identity mapping stands in, so the mapping output is not compared.
    expect(report.reference.map((r) => r.name)).not.toContain('mapping output');
  });

  it('reports a reference of the wrong size as an infinite error, not a comparison of what overlaps', async () => {
    const reference = parseReference(await readFile(fixture('reference.json'), 'utf8'));
    const dx = reference.recognizer!.dx;
    reference.recognizer!.dx = { ...dx, data: dx.data.subarray(1) };
    const report = await checkFixturesAgainst(reference);
    expect(report.reference.find((r) => r.name === 'recognizer VJP')).toMatchObject({
      relativeError: Number.POSITIVE_INFINITY,
      passed: false,
    });
    expect(report.problems).toEqual(['reference recognizer VJP: relative error Infinity exceeds 0.0001']);
  });

  it('fails a model with an operator that has no gradient rule, naming the operator', async () => {
    const report = await checkModels(
      { models: { generator: generatorWithErf(), recognizer: smallRecognizer() } },
      { batch: 2, device: 'cpu' },
    );
    expect(report.passed).toBe(false);
    expect(report.problems).toEqual([
      'generator.file: uses operators without a gradient rule on the path to its output: Erf (1 node)',
    ]);
    const ops = report.models.find((m) => m.role === 'generator')!.ops;
    expect(ops.find((op) => op.opType === 'Erf')).toMatchObject({ supported: false, onGradientPath: 1 });
    expect(ops.find((op) => op.opType === 'Gemm')).toMatchObject({ supported: true });
    expect(report.timing).toBeUndefined();
  });

  it('reports the input of a channels-last (NHWC) recognizer as height, width, channels', async () => {
    const files = await adHocPackFiles({ generator: generatorWithTanh(), recognizer: channelsLastRecognizer() });
    const manifest = JSON.parse(new TextDecoder().decode(files.get(manifestFileName))) as PackManifest;
    manifest.recognizer.layout = 'NHWC';
    manifest.alignment.outputSize = { height: 4, width: 6 };
    files.set(manifestFileName, new TextEncoder().encode(JSON.stringify(manifest)));
    const report = await checkModels({ pack: memorySource(files) }, { batch: 2, device: 'cpu' });
    expect(report.problems).toEqual([]);
    expect(report.dims!.recognizerInput).toEqual([4, 6, 3]);
  });

  it('reports a gradient graph the runtime refuses as a composite problem', async () => {
    const unknownOperator: GradientRule = {
      differentiableInputs: [0],
      backward: (ctx, [g]) => [ctx.op('NoSuchOperator', [g!])],
    };
    const report = await withGradientRule('Tanh', unknownOperator, () =>
      checkModels(
        { models: { generator: generatorWithTanh(), recognizer: smallRecognizer() } },
        { batch: 2, device: 'cpu' },
      ),
    );
    expect(report.passed).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^composite: .*NoSuchOperator/)]);
  });
});

describe('the gradient check of checkModels', () => {
  const models = () => ({ models: { generator: generatorWithTanh(), recognizer: smallRecognizer() } });

  it('passes a model whose gradient rules are right', async () => {
    const report = await checkModels(models(), { batch: 2, device: 'cpu' });
    expect(report.problems).toEqual([]);
    expect(report.gradientCheck!.passed).toBe(true);
    expect(report.gradientCheck!.relativeError).toBeLessThan(report.gradientCheck!.tolerance);
  });

  it('times the forward pass and the VJP within the time the check took, and reports their ratio', async () => {
    const started = performance.now();
    const report = await checkModels(models(), { batch: 2, device: 'cpu' });
    const wall = performance.now() - started;
    const { forwardMs, vjpMs, gradientBuildMs, ratio } = report.timing!;
    for (const ms of [forwardMs, vjpMs, gradientBuildMs]) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(wall);
    }
    expect(ratio).toBeCloseTo(vjpMs / forwardMs, 10);
  });

  it('fails a model differentiated with a wrong gradient rule, against finite differences', async () => {
    const report = await withGradientRule('Tanh', wrongTanh, () => checkModels(models(), { batch: 2, device: 'cpu' }));
    expect(report.passed).toBe(false);
    expect(report.gradientCheck!.passed).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^gradient check: relative error \S+ exceeds 0\.01$/)]);
    // The finite differences come from forward passes only, so they are the same either way.
    const right = await checkModels(models(), { batch: 2, device: 'cpu' });
    right.gradientCheck!.directions.forEach((d, k) =>
      expect(report.gradientCheck!.directions[k]!.finiteDifference).toBeCloseTo(d.finiteDifference, 5),
    );
    expect(GRADIENTS.Tanh).not.toBe(wrongTanh);
  });
});

describe('brownian pack check', () => {
  it('checks the fixtures against their reference and exits 0', async () => {
    const { out, exitCode } = await runCommand([
      '--generator',
      fixture('generator.onnx'),
      '--recognizer',
      fixture('recognizer.onnx'),
      '--mapping',
      fixture('mapping.onnx'),
      '--reference',
      fixture('reference.json'),
      '--batch',
      '2',
    ]);
    expect(exitCode).toBe(0);
    expect(
      out.startsWith(
        'mapping (forward only): opset 13; inputs input [batch, 32] FLOAT; outputs output [batch, 32] FLOAT\n',
      ),
    ).toBe(true);
    expect(out).toContain(
      'generator: opset 13; inputs input [batch, 32] FLOAT; outputs output [batch, 3, Addoutput_dim_2, Addoutput_dim_3] FLOAT\n',
    );
    expect(out).toContain('ConvTranspose x2 ok');
    expect(out).toContain('dims: z 32 -> w 32 -> image 3x16x16 -> aligned 3x16x16 -> embedding 32');
    expect(out).toMatch(/^timing \(cpu, batch 2\): forward [\d.]+ ms, forward\+VJP [\d.]+ ms \(x[\d.]+\)/m);
    expect(out).toMatch(/^ {2}composite VJP +\d\.\d\de-\d+ \(tolerance 0\.0001\) ok$/m);
    expect(out.trimEnd().endsWith('PASSED')).toBe(true);
  });

  it('checks a pack folder', async () => {
    const packDir = join(dir, 'mini');
    const pack = await buildMiniPack(packDir);
    const { out, exitCode } = await runCommand([packDir, '--batch', '4']);
    expect(exitCode).toBe(0);
    expect(out).toContain(`digest ${pack.digest}`);
    expect(out).toContain('dims: z 32 -> w 32 -> image 3x32x32 -> aligned 3x24x24 -> embedding 32');
    expect(out).toMatch(/gradient check: 4 random directions, .* ok$/m);
  });

  it('exits 1 and names the operator for a broken model', async () => {
    await writeFile(join(dir, 'broken.onnx'), generatorWithErf());
    await writeFile(join(dir, 'small.onnx'), smallRecognizer());
    const { out, exitCode } = await runCommand([
      '--generator',
      join(dir, 'broken.onnx'),
      '--recognizer',
      join(dir, 'small.onnx'),
    ]);
    expect(exitCode).toBe(1);
    expect(out).toContain('Erf x1 NO GRADIENT (1 on the gradient path)');
    expect(out).toContain(
      'FAILED\n  generator.file: uses operators without a gradient rule on the path to its output: Erf (1 node)',
    );
  });

  it('exits 2 when given both a pack and loose models', async () => {
    const { err, exitCode } = await runCommand([dir, '--generator', 'g.onnx']);
    expect(exitCode).toBe(2);
    expect(err).toBe('pack check: give either a pack folder or --generator/--recognizer, not both\n');
  });
});
