import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../engine/EmbeddingModel.js';
import { GraphBuilder } from '../onnx/graphBuilder.js';
import { encodeModel } from '../onnx/model.js';
import { onnx } from '../onnx/proto.js';
import { DataType } from '../onnx/tensor.js';

/** BROWNIAN_DEVICE: `auto` prefers CUDA when it really works, `cuda` insists on it, `cpu` never tries it. */
export type DeviceRequest = 'auto' | 'cuda' | 'cpu';

export interface ProviderSelection {
  provider: ExecutionProvider;
  /** Why this provider was chosen, for logs and provenance. */
  reason: string;
}

/** What selection needs to know about the onnxruntime build; injectable so the logic is testable. */
export interface ProviderProbe {
  /** Backends the onnxruntime-node build lists. */
  listBackends(): ReadonlyArray<{ name: string; bundled: boolean }>;
  /** Resolves when a session can be created on `provider`, rejects with the reason otherwise. */
  createTestSession(provider: ExecutionProvider): Promise<void>;
}

export function parseDeviceRequest(value: string | undefined): DeviceRequest {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'auto';
  if (v === 'auto' || v === 'cuda' || v === 'cpu') return v;
  throw new Error(`BROWNIAN_DEVICE must be auto, cuda or cpu, not "${value}"`);
}

export function deviceRequestFromEnv(env: NodeJS.ProcessEnv = process.env): DeviceRequest {
  return parseDeviceRequest(env.BROWNIAN_DEVICE);
}

export async function selectExecutionProvider(
  request: DeviceRequest,
  probe: ProviderProbe = onnxruntimeProbe,
): Promise<ProviderSelection> {
  if (request === 'cpu') return { provider: 'cpu', reason: 'BROWNIAN_DEVICE=cpu' };
  const cuda = await cudaAvailability(probe);
  if (cuda.available) return { provider: 'cuda', reason: `BROWNIAN_DEVICE=${request}: ${cuda.detail}` };
  if (request === 'cuda') {
    throw new Error(
      `BROWNIAN_DEVICE=cuda but CUDA cannot be used: ${cuda.detail}. Set BROWNIAN_DEVICE=auto or cpu to run on the CPU.`,
    );
  }
  return { provider: 'cpu', reason: `BROWNIAN_DEVICE=auto: CUDA unavailable (${cuda.detail}); using CPU` };
}

async function cudaAvailability(probe: ProviderProbe): Promise<{ available: boolean; detail: string }> {
  if (!probe.listBackends().some((b) => b.name === 'cuda')) {
    return { available: false, detail: 'this onnxruntime-node build does not list the CUDA execution provider' };
  }
  try {
    await probe.createTestSession('cuda');
    return { available: true, detail: 'a CUDA session was created' };
  } catch (error) {
    return {
      available: false,
      detail: `creating a CUDA session failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/**
 * The CUDA provider is a separate library that only a CUDA install of onnxruntime-node brings;
 * without it onnxruntime would print its own load failure on every probe.
 */
function cudaLibraryPresent(): boolean {
  const binding = join(
    dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')),
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  return (
    existsSync(join(binding, 'libonnxruntime_providers_cuda.so')) ||
    existsSync(join(binding, 'onnxruntime_providers_cuda.dll'))
  );
}

export const onnxruntimeProbe: ProviderProbe = {
  listBackends: () => ort.listSupportedBackends(),
  async createTestSession(provider) {
    if (provider === 'cuda' && !cudaLibraryPresent()) {
      throw new Error(
        'the CUDA provider library is not installed (install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)',
      );
    }
    const session = await ort.InferenceSession.create(identityModelBytes(), {
      executionProviders: [provider],
      logSeverityLevel: 4,
    });
    await session.release();
  },
};

/** The smallest valid model (y = x), used only to see whether a provider can host a session. */
function identityModelBytes(): Uint8Array {
  const builder = GraphBuilder.empty('probe');
  builder.input('x', DataType.FLOAT, [1]);
  builder.node('Identity', ['x'], { outputs: ['y'] });
  builder.output('y', DataType.FLOAT, [1]);
  return encodeModel(
    onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: builder.graph }),
  );
}
