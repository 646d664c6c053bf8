import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supportedOps } from '../../../../services/worker/src/autodiff/inspect.js';
import { decodeModel, encodeModel, requireGraph } from '../../../../services/worker/src/onnx/model.js';
import { onnx, type GraphProto, type NodeProto } from '../../../../services/worker/src/onnx/proto.js';
import { DataType, float32Tensor } from '../../../../services/worker/src/onnx/tensor.js';
import { buildMiniPack, type MiniPack } from '../../../../services/worker/src/pack/builtin/index.js';
import { loadPack } from '../../../../services/worker/src/pack/loadPack.js';
import { sha256Hex, type PackManifest } from '../../../../src/core/packs/manifest.js';
import { PackError, type PackErrorCode } from '../../../../src/core/packs/PackError.js';
import { memorySource } from '../../../../src/core/packs/packSource.js';
import { float32ToBytes } from '../../../../src/core/db/floats.js';

let mini: MiniPack;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brownian-pack-'));
  mini = await buildMiniPack(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Variant {
  files: Map<string, Uint8Array>;
  manifest: PackManifest;
  /** Replaces a file and records its new digest in the manifest, so only the content is at fault. */
  replace(file: string, bytes: Uint8Array): void;
  editGraph(file: string, edit: (graph: GraphProto, nodes: NodeProto[]) => void): void;
}

/** The built-in pack with `edit` applied, as a source for loadPack. */
function variant(edit: (v: Variant) => void): ReturnType<typeof memorySource> {
  const files = new Map(mini.files);
  const manifest = JSON.parse(JSON.stringify(mini.manifest)) as PackManifest;
  const specs = (): Array<{ file: string; sha256: string }> => [
    manifest.mapping,
    manifest.generator,
    manifest.recognizer,
    ...('file' in manifest.wAvg ? [manifest.wAvg] : []),
    ...(manifest.covariates ?? []),
  ];
  const v: Variant = {
    files,
    manifest,
    replace(file, bytes) {
      files.set(file, bytes);
      for (const spec of specs()) if (spec.file === file) spec.sha256 = sha256Hex(bytes);
    },
    editGraph(file, editGraph) {
      const model = decodeModel(files.get(file)!);
      const graph = requireGraph(model);
      editGraph(graph, graph.node as NodeProto[]);
      v.replace(file, encodeModel(model));
    },
  };
  edit(v);
  files.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest)));
  return memorySource(files, 'test pack');
}

async function loadError(source: ReturnType<typeof memorySource>): Promise<PackError> {
  const error = await loadPack(source).then(
    () => new Error('the pack loaded'),
    (e: unknown) => e,
  );
  if (!(error instanceof PackError)) throw error;
  return error;
}

describe('loadPack', () => {
  it('loads the built-in pack from its folder with every part checked', async () => {
    const pack = await loadPack(dir);
    expect(pack.digest).toBe(mini.digest);
    expect(pack.location).toBe(dir);
    expect(pack.wAvg).toHaveLength(32);
    expect(pack.covariates.map((c) => [c.name, c.scale, c.direction.length])).toEqual([
      ['random-a', 3, 32],
      ['random-b', 2, 32],
      ['random-c', 1.5, 32],
    ]);
  });

  it('loads the same pack from bytes', async () => {
    expect((await loadPack(memorySource(mini.files))).digest).toBe(mini.digest);
  });

  it.each<[string, (v: Variant) => void, PackErrorCode, string, string]>([
    [
      'a changed file',
      (v) => v.files.set('recognizer.onnx', new Uint8Array([1, 2, 3])),
      'digest-mismatch',
      'recognizer.sha256',
      'does not match file contents',
    ],
    [
      'a missing file',
      (v) => v.files.delete('covariates/random-b.f32'),
      'file-missing',
      'covariates[1].file',
      '"covariates/random-b.f32" not found',
    ],
    [
      'a file that is not ONNX',
      (v) => v.replace('generator.onnx', new TextEncoder().encode('not a model')),
      'model-unreadable',
      'generator.file',
      'is not an ONNX model',
    ],
    [
      'a wrong latent dimension',
      (v) => (v.manifest.latentDim = 64),
      'dims-mismatch',
      'latentDim',
      'is 64, but mapping output "w" has 32',
    ],
    ['a wrong embedding dimension', (v) => (v.manifest.embeddingDim = 512), 'dims-mismatch', 'embeddingDim', 'is 512'],
    [
      'an alignment size the recognizer does not take',
      (v) => (v.manifest.alignment.outputSize.height = 28),
      'dims-mismatch',
      'alignment.outputSize.height',
      'is 28',
    ],
    [
      'a wrong input name',
      (v) => (v.manifest.recognizer.input = 'input'),
      'model-io',
      'recognizer.input',
      'the model has no input "input" (inputs: aligned)',
    ],
    [
      'a wrong output name',
      (v) => (v.manifest.generator.output = 'img'),
      'model-io',
      'generator.output',
      'the model has no output "img"',
    ],
    [
      'a non-float input',
      (v) => v.editGraph('recognizer.onnx', (graph) => (graph.input[0]!.type!.tensorType!.elemType = DataType.DOUBLE)),
      'not-float',
      'recognizer.input',
      'input "aligned" is DOUBLE; the worker exchanges float32 tensors',
    ],
    [
      'a w_avg of the wrong length',
      (v) => v.replace('w_avg.f32', float32ToBytes(new Float32Array(31))),
      'vector-invalid',
      'wAvg.file',
      'holds 124 bytes; expected 32 float32 values (128 bytes)',
    ],
  ])('rejects %s', async (_, edit, code, field, message) => {
    const error = await loadError(variant(edit));
    expect({ code: error.code, field: error.field }).toEqual({ code, field });
    expect(error.message).toContain(`${field}: ${message}`);
  });

  it('rejects a source without a manifest', async () => {
    const files = new Map(mini.files);
    files.delete('manifest.json');
    const error = await loadError(memorySource(files, 'bucket/packs/x'));
    expect({ code: error.code, field: error.field, message: error.message }).toEqual({
      code: 'manifest-missing',
      field: 'manifest.json',
      message: 'manifest.json: not found in bucket/packs/x',
    });
  });

  it('rejects a manifest that breaks the schema', async () => {
    const error = await loadError(variant((v) => (v.manifest.truncation = 2)));
    expect([error.code, error.message]).toEqual(['manifest-invalid', 'truncation: must be at most 1']);
  });

  it('rejects an operator without a gradient rule, naming it', async () => {
    expect(supportedOps()).not.toContain('Erf');
    const error = await loadError(
      variant((v) =>
        v.editGraph('generator.onnx', (_, nodes) => {
          nodes.find((n) => n.opType === 'Identity' && n.output[0] === 'image')!.opType = 'Erf';
        }),
      ),
    );
    expect(error.code).toBe('unsupported-op');
    expect(error.field).toBe('generator.file');
    expect(error.message).toContain('Erf (1 node)');
  });

  it('rejects a model that fails when run', async () => {
    const error = await loadError(
      variant((v) =>
        v.editGraph('mapping.onnx', (graph, nodes) => {
          // Adding a [3]-vector to the [batch, 32] output cannot broadcast.
          nodes.find((n) => n.output[0] === 'w')!.output = ['w_broken'];
          graph.initializer.push(float32Tensor('bad_bias', [3], [1, 2, 3]));
          graph.node.push(
            onnx.NodeProto.create({ name: 'bad_add', opType: 'Add', input: ['w_broken', 'bad_bias'], output: ['w'] }),
          );
        }),
      ),
    );
    expect(error.code).toBe('dry-run-failed');
    expect(error.field).toBe('mapping.file');
    expect(error.message).toContain('failed on a batch of 2 in test pack');
  });
});
