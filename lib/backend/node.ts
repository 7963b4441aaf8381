/**
 * Starting a tfjs backend in Node (CLI, runner, tests). WebGPU comes from Dawn (the `webgpu`
 * npm package) over Vulkan; on a machine with no GPU, Dawn can drive the SwiftShader Vulkan
 * driver that Debian's chromium ships, which runs the very WebGPU kernels, slowly.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KilnError } from '../errors';
import { adapterDetails, describeAdapter, isSoftwareAdapter, type BackendInfo, type BackendName } from './index';
import { patchWasmMatMul } from './wasm-matmul';
import { registerWasmExtraKernels } from './wasm-kernels';

/** What a caller may ask for: a backend by name, or `auto` (hardware WebGPU, else wasm, else cpu). */
export type NodeBackendRequest = BackendName | 'auto';

/** What the caller knows of the host; `lib/` reads no environment itself. */
export interface NodeBackendOptions {
  /**
   * The Vulkan drivers Dawn will load: the process's `VK_ICD_FILENAMES` (or `VK_DRIVER_FILES`),
   * `:`-separated. Dawn's loader reads the variable itself; this tells Kiln where to look for the
   * loader beside the driver and what to say when WebGPU cannot start.
   */
  vulkanIcdFiles?: string | undefined;
}

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const NO_ADAPTER_HINT = `set VK_ICD_FILENAMES=${SWIFTSHADER_ICD} on machines without a GPU`;
// glibc's RTLD_NODELETE; Node's os.constants.dlopen omits it.
const RTLD_NOW = 2;
const RTLD_GLOBAL = 0x100;
const RTLD_NODELETE = 0x1000;

type Probe = { ok: true; adapter: GPUAdapter; info: BackendInfo } | { ok: false; reason: string };

let gpu: GPU | null = null;
let dawnGlobalsInstalled = false;
let vulkanLoader: string | undefined;
const started = new Map<BackendName, BackendInfo>();
let autoChoice: BackendInfo | null = null;
// Serialises init/shutdown: tfjs has one global engine, and two overlapping setBackend calls race.
let queue: Promise<unknown> = Promise.resolve();

function serial<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Dawn dlopens `libvulkan.so.1` by name. Chromium ships the Khronos loader beside its SwiftShader
 * ICD but not on the library path, and LD_LIBRARY_PATH is read only at process start. glibc
 * resolves a dlopen by soname to an already-loaded library, so loading the ICD's sibling loader
 * first (and pinning it with RTLD_NODELETE, since Node unloads a file that isn't an addon) lets
 * Dawn find it. Returns the loader in use, or a reason why there is none.
 */
function ensureVulkanLoader(icd: string | undefined): { path: string } | { reason: string } {
  if (vulkanLoader) return { path: vulkanLoader };
  if (process.platform !== 'linux') return { path: 'system' };
  const probe = (file: string, flags?: number): boolean => {
    try {
      process.dlopen({ exports: {} }, file, flags);
      return true; // unreachable for a plain .so, kept for completeness
    } catch (e) {
      // A plain shared library loads, then fails Node's addon check: that still proves it loads.
      return /did not self-register/i.test(errorText(e));
    }
  };
  if (probe('libvulkan.so.1')) {
    vulkanLoader = 'libvulkan.so.1 (system)';
    return { path: vulkanLoader };
  }
  const firstIcd = icd?.split(':')[0];
  const sibling = firstIcd ? join(dirname(firstIcd), 'libvulkan.so.1') : undefined;
  if (sibling && existsSync(sibling) && probe(sibling, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE)) {
    vulkanLoader = sibling;
    return { path: sibling };
  }
  return {
    reason: firstIcd
      ? `no Vulkan loader: libvulkan.so.1 is not on the library path nor beside ${firstIcd} (install libvulkan1)`
      : `no Vulkan loader (libvulkan.so.1) and no GPU driver: ${NO_ADAPTER_HINT}`,
  };
}

async function getDawn(): Promise<GPU> {
  if (gpu) return gpu;
  const dawn = await import('webgpu');
  if (!dawnGlobalsInstalled) {
    // tfjs's WebGPU backend uses GPUBufferUsage, GPUMapMode … as globals.
    Object.assign(globalThis, dawn.globals);
    dawnGlobalsInstalled = true;
  }
  gpu = dawn.create([]);
  return gpu;
}

/** Node 20 has no `navigator`; Node 21+ has one without `gpu`. tfjs reads `navigator.gpu`. */
function installNavigatorGpu(g: GPU | undefined): void {
  const holder = globalThis as { navigator?: object };
  if (holder.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  const nav = holder.navigator as Record<string, unknown>;
  if (g) Object.defineProperty(nav, 'gpu', { value: g, configurable: true, writable: true });
  else delete nav.gpu;
}

async function probeWebgpu(icdFiles: string | undefined): Promise<Probe> {
  const icd = icdFiles?.split(':')[0];
  if (icd && !existsSync(icd)) return { ok: false, reason: `no WebGPU adapter: VK_ICD_FILENAMES points to ${icd}, which does not exist` };
  const loader = ensureVulkanLoader(icdFiles);
  if ('reason' in loader) return { ok: false, reason: loader.reason };
  let adapter: GPUAdapter | null;
  try {
    adapter = await (await getDawn()).requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, reason: `Dawn (webgpu package) failed to start: ${errorText(e)}` };
  }
  if (!adapter) return { ok: false, reason: `no WebGPU adapter: ${NO_ADAPTER_HINT}` };
  const ai = adapter.info;
  const details = { ...adapterDetails(ai), vulkanLoader: loader.path };
  return { ok: true, adapter, info: { name: 'webgpu', adapter: describeAdapter(ai), details } };
}

async function startWebgpu(probe: Extract<Probe, { ok: true }>): Promise<BackendInfo> {
  installNavigatorGpu(gpu ?? undefined);
  // The package registers its factory on import only if navigator.gpu exists then.
  const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) {
    const adapter = probe.adapter;
    tf.registerBackend('webgpu', async () => new webgpu.WebGPUBackend(await adapter.requestDevice(), adapter.info), 3);
  }
  if (!(await tf.setBackend('webgpu'))) {
    throw new KilnError('BACKEND_UNAVAILABLE', `webgpu backend failed to start on ${probe.info.adapter}`);
  }
  return probe.info;
}

async function startWasm(): Promise<BackendInfo> {
  // Node needs no setWasmPaths: Emscripten reads the .wasm beside its own script with fs.
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new KilnError('BACKEND_UNAVAILABLE', 'wasm backend failed to start');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  // tfjs turns wasm threads off in Node (tfjs#3830), so this is 1 unless that changes.
  const threads = wasm.getThreadsCount();
  return {
    name: 'wasm',
    adapter: `WebAssembly${simd ? ' SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'}`,
    details: { simd: String(simd), threads: String(threads), tfjs: tf.version.tfjs, matMul: patchWasmMatMul() ? 'transposes materialised → XNNPACK' : 'tfjs default', extraKernels: registerWasmExtraKernels() },
  };
}

async function startCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new KilnError('BACKEND_UNAVAILABLE', 'cpu backend failed to start');
  // The cpu backend prints a "install tfjs-node" banner on first use in Node; Kiln deliberately
  // doesn't use tfjs-node (native addon, no WebGPU parity), so the advice only misleads users.
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
  return { name: 'cpu', adapter: 'JavaScript CPU', details: { tfjs: tf.version.tfjs } };
}

async function startNamed(name: BackendName, o: NodeBackendOptions): Promise<BackendInfo> {
  const known = started.get(name);
  if (known && tf.getBackend() === name) return known;
  if (known && tf.findBackend(name)) {
    // Already initialised once: switching back is cheap and needs no new adapter.
    await tf.setBackend(name);
    return known;
  }
  let info: BackendInfo;
  switch (name) {
    case 'webgpu': {
      const probe = await probeWebgpu(o.vulkanIcdFiles);
      if (!probe.ok) throw new KilnError('BACKEND_UNAVAILABLE', probe.reason);
      info = await startWebgpu(probe);
      break;
    }
    case 'wasm':
      info = await startWasm();
      break;
    case 'cpu':
      info = await startCpu();
      break;
    case 'webgl':
      throw new KilnError('BACKEND_UNAVAILABLE', 'webgl is a browser backend; in Node use webgpu, wasm or cpu');
  }
  started.set(name, info);
  return info;
}

async function startAuto(o: NodeBackendOptions): Promise<BackendInfo> {
  if (autoChoice && tf.getBackend() === autoChoice.name) return autoChoice;
  const why: Record<string, string> = {};
  const known = started.get('webgpu');
  if (known) {
    if (!isSoftwareAdapter(known.details ?? {})) return (autoChoice = await startNamed('webgpu', o));
    why.webgpu = `software adapter (${known.adapter}) is slower than wasm`;
  } else {
    const probe = await probeWebgpu(o.vulkanIcdFiles);
    if (probe.ok && !isSoftwareAdapter(probe.adapter.info)) {
      const info = await startWebgpu(probe);
      started.set('webgpu', info);
      return (autoChoice = info);
    }
    why.webgpu = probe.ok ? `software adapter (${probe.info.adapter}) is slower than wasm` : probe.reason;
    releaseDawn();
  }
  const fallbackFrom: BackendName[] = ['webgpu'];
  for (const name of ['wasm', 'cpu'] as const) {
    try {
      const info = await startNamed(name, o);
      autoChoice = { ...info, fallbackFrom: [...fallbackFrom], details: { ...info.details, ...prefixKeys(why) } };
      return autoChoice;
    } catch (e) {
      fallbackFrom.push(name);
      why[name] = errorText(e);
    }
  }
  throw new KilnError('BACKEND_UNAVAILABLE', `no tfjs backend could start: ${Object.entries(why).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
}

function prefixKeys(why: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(why).map(([k, v]) => [`${k}Unavailable`, v]));
}

/** Drops every reference to Dawn so its background threads don't keep Node alive. */
function releaseDawn(): void {
  installNavigatorGpu(undefined);
  gpu = null;
}

/**
 * Starts a tfjs backend in Node and makes it the active one.
 *
 * - `webgpu`, `wasm`, `cpu`: that backend or a `BACKEND_UNAVAILABLE` KilnError with the reason in
 *   one line (for webgpu on a machine without a GPU it says to set `VK_ICD_FILENAMES`).
 * - `auto` (default): WebGPU on a hardware adapter, else wasm, else cpu; `fallbackFrom` and
 *   `details.<name>Unavailable` record what was skipped and why. A software adapter
 *   (SwiftShader, lavapipe) is skipped because wasm beats it.
 *
 * Idempotent and cheap to repeat; switching between backends in one process is supported.
 */
export function initNodeBackend(requested: NodeBackendRequest = 'auto', o: NodeBackendOptions = {}): Promise<BackendInfo> {
  return serial(() => (requested === 'auto' ? startAuto(o) : startNamed(requested, o)));
}

/**
 * Tears down the WebGPU backend (destroys the Dawn device, drops `navigator.gpu`) so the process
 * can exit, and forgets started backends. Safe to call when nothing was started. tfjs falls back
 * to its best remaining backend on the next op.
 */
export function shutdownNodeBackend(): Promise<void> {
  return serial(async () => {
    if (tf.findBackend('webgpu')) {
      const device = (tf.findBackend('webgpu') as unknown as { device?: GPUDevice }).device;
      tf.removeBackend('webgpu');
      device?.destroy();
    }
    started.delete('webgpu');
    if (autoChoice?.name === 'webgpu') autoChoice = null;
    releaseDawn();
  });
}
