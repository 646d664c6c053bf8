import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encodeModel } from '../../onnx/model.js';
import { manifestFileName, packDigest, sha256Hex, type PackManifest } from '../../../../../src/core/packs/manifest.js';
import { packFormat } from '../../../../../src/core/packs/manifestSchema.js';
import { float32ToBytes } from '../../../../../src/core/db/floats.js';
import { miniArchitecture as arch } from './architecture.js';
import { exportMapping, mappingIo } from './exportMapping.js';
import { exportRecognizer, recognizerIo } from './exportRecognizer.js';
import { exportSynthesis, generatorIo } from './exportSynthesis.js';
import { buildMiniNetworks, miniPixelRanges } from './miniNetworks.js';

export interface MiniPack {
  manifest: PackManifest;
  digest: string;
  /** Every file of the pack by its path in the pack, manifest.json included. */
  files: Map<string, Uint8Array>;
}

/**
 * The built-in pack, built from its seed with no download: the same bytes, and so the same digest,
 * on every machine and run.
 */
export function miniPackFiles(): MiniPack {
  const networks = buildMiniNetworks();
  const files = new Map<string, Uint8Array>();
  const add = (file: string, bytes: Uint8Array): { file: string; sha256: string } => {
    files.set(file, bytes);
    return { file, sha256: sha256Hex(bytes) };
  };
  const manifest: PackManifest = {
    format: packFormat,
    name: arch.name,
    description:
      'Built-in demo and test pack: a small StyleGAN2-style generator and an iResNet-style recognizer with seeded ' +
      'random weights and batch norms calibrated on its own generated images. Its covariate directions are random, not semantic.',
    latentDim: arch.latentDim,
    embeddingDim: arch.embeddingDim,
    mapping: { ...add('mapping.onnx', encodeModel(exportMapping(networks.mapping))), ...mappingIo, zDim: arch.zDim },
    generator: {
      ...add('generator.onnx', encodeModel(exportSynthesis(networks.synthesis))),
      ...generatorIo,
      layout: 'NCHW',
      channels: arch.imageChannels,
      height: arch.imageSize,
      width: arch.imageSize,
      pixelRange: [...miniPixelRanges.generator],
    },
    alignment: {
      crop: { ...arch.crop },
      outputSize: { width: arch.recognizerInputSize, height: arch.recognizerInputSize },
      pixelRange: [...miniPixelRanges.recognizer],
    },
    recognizer: { ...add('recognizer.onnx', encodeModel(exportRecognizer(networks.recognizer))), ...recognizerIo },
    wAvg: add('w_avg.f32', float32ToBytes(networks.wAvg)),
    truncation: arch.truncation,
    covariates: networks.covariates.map(({ name, scale, direction }) => ({
      name,
      ...add(`covariates/${name}.f32`, float32ToBytes(direction)),
      scale,
    })),
    // r0 at about 2/3 of the median distance between identities' latents, as 12 is in StyleGAN2's W.
    dispersion: { latentRadius: arch.dispersionLatentRadius },
  };
  files.set(manifestFileName, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  return { manifest, digest: packDigest(manifest), files };
}

/** Writes the built-in pack into `dir` (created if missing). */
export async function buildMiniPack(dir: string): Promise<MiniPack> {
  const pack = miniPackFiles();
  for (const [file, bytes] of pack.files) {
    const path = join(dir, ...file.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }
  return pack;
}
