import type * as db from '../../../../src/generated/prisma/client.js';
import { packPrefix } from '../../../../src/core/store/keys.js';
import { storePackSource } from '../../../../src/core/store/storePackSource.js';
import type { EmbeddingModel } from '../engine/EmbeddingModel.js';
import type { LatentMapping } from '../diffusion/langevin.js';
import type { ImageBatch } from '../images/png.js';
import { loadPack, type LoadedCovariate, type LoadedPack } from '../pack/loadPack.js';
import { PackModel } from '../pack/PackModel.js';
import type { WorkerServices } from './JobHandler.js';
import type { RunGeneratorInputs } from '../../../../src/core/runs/generatorInputs.js';

/** What a generation job needs from its model pack. */
export interface RunModel {
  embedding: EmbeddingModel;
  latentAverage: Float32Array;
  /** Dimension of z, the mapping network's input. */
  noiseDim: number;
  /** M(z) without truncation: the algorithms apply ψ themselves. */
  mapping: LatentMapping;
  /** DisCo directions shipped with the pack, in manifest order. */
  covariates: LoadedCovariate[];
  render(latents: Float32Array, count: number): Promise<ImageBatch>;
  release(): Promise<void>;
}

/**
 * Checked packs by digest: loading verifies every file and dry-runs the graphs, which is worth
 * doing once per worker, not once per job. A digest names immutable content, so entries never go stale.
 */
const loadedPacks = new Map<string, Promise<LoadedPack>>();

export function loadRegisteredPack(services: WorkerServices, pack: db.ModelPack): Promise<LoadedPack> {
  let loaded = loadedPacks.get(pack.digest);
  if (!loaded) {
    const prefix = packPrefix(pack.digest);
    loaded = loadPack(storePackSource(services.store, `object store ${prefix}`, (file) => `${prefix}${file}`));
    loaded.catch(() => loadedPacks.delete(pack.digest));
    loadedPacks.set(pack.digest, loaded);
  }
  return loaded;
}

/** The run's pack as a RunModel, with the constant generator inputs the run sets in place of the pack's. */
export async function openRunModel(
  services: WorkerServices,
  pack: db.ModelPack,
  batchSize: number,
  generatorInputs: RunGeneratorInputs,
): Promise<RunModel> {
  const loaded = await loadRegisteredPack(services, pack);
  if (loaded.digest !== pack.digest)
    throw new Error(`stored pack has digest ${loaded.digest}, registered ${pack.digest}`);
  const model = await PackModel.open(loaded, {
    batchSize,
    device: services.config.device,
    ...(Object.keys(generatorInputs).length > 0 ? { generatorInputs } : {}),
  });
  return {
    embedding: model,
    latentAverage: loaded.wAvg,
    noiseDim: loaded.manifest.mapping.zDim,
    mapping: (z, count) => model.mapLatents(z, count, 1),
    covariates: loaded.covariates,
    async render(latents, count) {
      const images = await model.render(latents, count);
      return {
        pixels: images.data,
        count,
        channels: images.channels,
        height: images.height,
        width: images.width,
        range: images.pixelRange,
      };
    },
    release: () => model.release(),
  };
}
