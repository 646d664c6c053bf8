import { PNG } from 'pngjs';
import type { DeviceRequest } from '../runtime/executionProvider.js';
import { selectExecutionProvider } from '../runtime/executionProvider.js';
import { composeModels } from '../onnx/compose.js';
import { alignmentIo } from '../pack/alignment.js';
import type { LoadedPack } from '../pack/loadPack.js';
import { asFloat32, float32 } from '../runtime/hostTensor.js';
import { createSession, runSession, type Session } from '../runtime/session.js';

/** A face image that cannot be embedded, with the reason; the gallery fails naming it. */
export class FaceImageError extends Error {}

/**
 * A PNG as the generator's output tensor [channels, H, W]: each 8-bit value p becomes
 * low + p·(high − low)/255 in the generator's pixel range, the inverse of how the platform writes
 * generator images (images/png.ts), so a generated face read back is its generator image to 8 bits.
 * Faces must have the generator's size: the pack's alignment (crop or landmark template) is
 * defined in its frame.
 */
export function faceTensor(png: Uint8Array, pack: LoadedPack, name: string): Float32Array {
  const { channels, height, width, pixelRange } = pack.manifest.generator;
  let image: PNG;
  try {
    image = PNG.sync.read(Buffer.from(png));
  } catch (error) {
    throw new FaceImageError(`${name} is not a readable PNG image (${(error as Error).message})`);
  }
  if (image.width !== width || image.height !== height) {
    throw new FaceImageError(
      `${name} is ${image.width}×${image.height}; the pack's alignment takes faces of its generator's size, ${width}×${height}`,
    );
  }
  const [low, high] = pixelRange;
  const scale = (high - low) / 255;
  const plane = width * height;
  const out = new Float32Array(channels * plane);
  for (let p = 0; p < plane; p++)
    for (let c = 0; c < channels; c++) out[c * plane + p] = low + image.data[p * 4 + c]! * scale;
  return out;
}

/** recognizer ∘ alignment of a pack, as one session: generator-frame images in, embeddings out. */
export class FaceEmbedder {
  private constructor(
    private readonly session: Session,
    private readonly output: string,
    private readonly pack: LoadedPack,
  ) {}

  static async open(pack: LoadedPack, device: DeviceRequest): Promise<FaceEmbedder> {
    const { recognizer } = pack.manifest;
    const model = composeModels(pack.alignment, pack.recognizer, {
      connect: [[alignmentIo.output, recognizer.input]],
      prefixes: { first: '', second: 'recognizer/' },
      graphName: `${pack.manifest.name} face embedder`,
    });
    const { provider } = await selectExecutionProvider(device);
    return new FaceEmbedder(await createSession(model, { provider }), `recognizer/${recognizer.output}`, pack);
  }

  /** Embeddings of `count` images laid out one after another, count × embeddingDim. */
  async embed(images: Float32Array, count: number): Promise<Float32Array> {
    const { channels, height, width } = this.pack.manifest.generator;
    const outputs = await runSession(
      this.session,
      { [alignmentIo.input]: float32([count, channels, height, width], images) },
      [this.output],
    );
    return asFloat32(outputs[this.output]!, this.output);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
