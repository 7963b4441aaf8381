import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { KilnError } from '../errors';
import { describeAdapter, isSoftwareAdapter } from './index';
import { initNodeBackend, shutdownNodeBackend } from './node';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasIcd = existsSync(ICD);
// Say why in the test name when the WebGPU tests can't run here.
const gpuTest = (title: string) => (hasIcd ? title : `${title} (skipped: no SwiftShader ICD at ${ICD}; install chromium)`);
if (hasIcd && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = ICD;
// lib reads no environment: the caller tells it where the Vulkan drivers are.
const HOST = { vulkanIcdFiles: process.env.VK_ICD_FILENAMES };

// [[1,2,3],[4,5,6]] · [[7,8],[9,10],[11,12]]
const EXPECTED = [58, 64, 139, 154];

async function matMul(): Promise<number[]> {
  const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2]);
  const c = tf.matMul(a, b);
  const out = Array.from(await c.data());
  tf.dispose([a, b, c]);
  return out;
}

afterAll(async () => {
  await shutdownNodeBackend();
});

describe('initNodeBackend', () => {
  it('starts cpu and computes a matMul', async () => {
    const info = await initNodeBackend('cpu');
    expect(info).toMatchObject({ name: 'cpu', adapter: 'JavaScript CPU' });
    expect(tf.getBackend()).toBe('cpu');
    expect(await matMul()).toEqual(EXPECTED);
  });

  it('starts wasm (SIMD, reports threads) and computes a matMul', async () => {
    const info = await initNodeBackend('wasm');
    expect(info.name).toBe('wasm');
    expect(info.adapter).toMatch(/^WebAssembly( SIMD)?, \d+ threads?$/);
    expect(info.details?.threads).toMatch(/^\d+$/);
    expect(tf.getBackend()).toBe('wasm');
    expect(await matMul()).toEqual(EXPECTED);
  });

  it('is idempotent: a repeated init returns the same info without restarting', async () => {
    const a = await initNodeBackend('wasm');
    const b = await initNodeBackend('wasm');
    expect(b).toBe(a);
    const [c, d] = await Promise.all([initNodeBackend('cpu'), initNodeBackend('wasm')]);
    expect(c.name).toBe('cpu');
    expect(d.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('refuses webgl in Node with a one-line reason', async () => {
    await expect(initNodeBackend('webgl')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(/browser backend/) });
  });

  it('throws BACKEND_UNAVAILABLE naming the bad path when VK_ICD_FILENAMES points nowhere', async () => {
    const err = await initNodeBackend('webgpu', { vulkanIcdFiles: '/nonexistent/icd.json' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KilnError);
    expect((err as KilnError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as KilnError).message).toContain('/nonexistent/icd.json');
    expect((err as KilnError).message).not.toContain('\n');
  });

  it.skipIf(!hasIcd)(gpuTest('starts webgpu on SwiftShader (Dawn) and computes the same matMul'), async () => {
    const info = await initNodeBackend('webgpu', HOST);
    expect(info.name).toBe('webgpu');
    expect(info.adapter).toMatch(/SwiftShader/i);
    expect(tf.getBackend()).toBe('webgpu');
    expect(await matMul()).toEqual(EXPECTED);
  });

  it.skipIf(!hasIcd)(gpuTest('auto skips the software WebGPU adapter and records why'), async () => {
    const info = await initNodeBackend('auto', HOST);
    expect(info.name).toBe('wasm');
    expect(info.fallbackFrom).toEqual(['webgpu']);
    expect(info.details?.webgpuUnavailable).toMatch(/software adapter .*SwiftShader/i);
    expect(await matMul()).toEqual(EXPECTED);
  });

  it.skipIf(!hasIcd)(gpuTest('switches cpu → webgpu → cpu in one process and can restart webgpu after shutdown'), async () => {
    await initNodeBackend('cpu');
    expect((await initNodeBackend('webgpu', HOST)).name).toBe('webgpu');
    expect(await matMul()).toEqual(EXPECTED);
    await shutdownNodeBackend();
    expect(tf.findBackend('webgpu')).toBeNull();
    const again = await initNodeBackend('webgpu', HOST);
    expect(again.adapter).toMatch(/SwiftShader/i);
    expect(await matMul()).toEqual(EXPECTED);
  });
});

describe('adapter helpers', () => {
  it('formats description, vendor and architecture', () => {
    expect(describeAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' })).toBe('SwiftShader driver 5.0.0 — google, swiftshader');
    expect(describeAdapter({ vendor: 'nvidia', device: 'H100' })).toBe('H100 — nvidia');
    expect(describeAdapter({})).toBe('unnamed WebGPU adapter');
    expect(describeAdapter({ vendor: 'google', architecture: 'swiftshader' })).toBe('google, swiftshader (software)');
  });

  it('tells software adapters from hardware ones', () => {
    expect(isSoftwareAdapter({ architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: true, vendor: 'x' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' })).toBe(false);
  });
});
