import { describe, expect, it } from 'vitest';
import type { ExecutionProvider } from '../../../../services/worker/src/engine/EmbeddingModel.js';
import {
  deviceRequestFromEnv,
  onnxruntimeProbe,
  parseDeviceRequest,
  selectExecutionProvider,
  type ProviderProbe,
} from '../../../../services/worker/src/runtime/executionProvider.js';

function fakeProbe(backends: string[], cudaError?: string): ProviderProbe & { attempts: ExecutionProvider[] } {
  const attempts: ExecutionProvider[] = [];
  return {
    attempts,
    listBackends: () => backends.map((name) => ({ name, bundled: name === 'cpu' })),
    async createTestSession(provider) {
      attempts.push(provider);
      if (cudaError) throw new Error(cudaError);
    },
  };
}

describe('execution provider selection', () => {
  it('parses BROWNIAN_DEVICE, defaulting to auto', () => {
    expect(parseDeviceRequest(undefined)).toBe('auto');
    expect(parseDeviceRequest(' CUDA ')).toBe('cuda');
    expect(deviceRequestFromEnv({ BROWNIAN_DEVICE: 'cpu' })).toBe('cpu');
    expect(() => parseDeviceRequest('gpu')).toThrow(/BROWNIAN_DEVICE must be auto, cuda or cpu, not "gpu"/);
  });

  it('uses the CPU without probing CUDA when asked for cpu', async () => {
    const probe = fakeProbe(['cpu', 'cuda']);
    expect(await selectExecutionProvider('cpu', probe)).toEqual({ provider: 'cpu', reason: 'BROWNIAN_DEVICE=cpu' });
    expect(probe.attempts).toEqual([]);
  });

  it('picks CUDA under auto when a CUDA session can be created', async () => {
    const probe = fakeProbe(['cpu', 'cuda']);
    const selection = await selectExecutionProvider('auto', probe);
    expect(selection.provider).toBe('cuda');
    expect(probe.attempts).toEqual(['cuda']);
  });

  it('falls back to the CPU under auto, saying why', async () => {
    const notListed = await selectExecutionProvider('auto', fakeProbe(['cpu']));
    expect(notListed).toEqual({
      provider: 'cpu',
      reason:
        'BROWNIAN_DEVICE=auto: CUDA unavailable (this onnxruntime-node build does not list the CUDA execution provider); using CPU',
    });
    const broken = await selectExecutionProvider('auto', fakeProbe(['cpu', 'cuda'], 'Failed to load shared library'));
    expect(broken.provider).toBe('cpu');
    expect(broken.reason).toMatch(/creating a CUDA session failed: Failed to load shared library/);
  });

  it('fails clearly when cuda is required but unavailable', async () => {
    await expect(selectExecutionProvider('cuda', fakeProbe(['cpu', 'cuda'], 'no CUDA device'))).rejects.toThrow(
      /BROWNIAN_DEVICE=cuda but CUDA cannot be used: creating a CUDA session failed: no CUDA device\. Set BROWNIAN_DEVICE=auto or cpu/,
    );
    expect((await selectExecutionProvider('cuda', fakeProbe(['cpu', 'cuda']))).provider).toBe('cuda');
  });

  it('with the real onnxruntime probe, picks CUDA exactly when a CUDA session can be created, whatever the host', async () => {
    // The host decides whether CUDA works (a GPU worker image, or this CPU machine); the selection
    // must follow the probe either way, and the CPU must always host a session.
    await expect(onnxruntimeProbe.createTestSession('cpu')).resolves.toBeUndefined();
    expect(onnxruntimeProbe.listBackends().map((b) => b.name)).toContain('cpu');
    const cudaWorks = await onnxruntimeProbe.createTestSession('cuda').then(
      () => true,
      () => false,
    );
    const auto = await selectExecutionProvider('auto', onnxruntimeProbe);
    expect(auto.provider).toBe(cudaWorks ? 'cuda' : 'cpu');
    expect(auto.reason).toMatch(cudaWorks ? /a CUDA session was created/ : /CUDA unavailable/);
    const insisted = selectExecutionProvider('cuda', onnxruntimeProbe);
    if (cudaWorks) await expect(insisted).resolves.toMatchObject({ provider: 'cuda' });
    else await expect(insisted).rejects.toThrow(/BROWNIAN_DEVICE=cuda but CUDA cannot be used/);
  });
});
