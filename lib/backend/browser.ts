/**
 * Starting a tfjs backend in the browser (canvas previews, notebook kernel, Web Workers).
 * Order: WebGPU → WebGL → WASM → CPU. WASM binaries are self-hosted under `/tfjs/`
 * (copied from node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm into public/tfjs/).
 */
import * as tf from '@tensorflow/tfjs';
import { KilnError } from '../errors';
import { BACKEND_NAMES, adapterDetails, describeAdapter, type BackendInfo, type BackendName } from './index';
import { patchWasmMatMul } from './wasm-matmul';
import { registerWasmExtraKernels } from './wasm-kernels';

/** Where public/tfjs/ is served; the wasm backend appends the binary's file name. */
export const WASM_PATH_PREFIX = '/tfjs/';

const started = new Map<BackendName, BackendInfo>();
let queue: Promise<unknown> = Promise.resolve();

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function startWebgpu(): Promise<BackendInfo> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error('navigator.gpu is missing (browser without WebGPU, or a page not served from a secure origin)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs webgpu backend failed to start');
  return { name: 'webgpu', adapter: describeAdapter(adapter.info), details: adapterDetails(adapter.info) };
}

async function startWebgl(): Promise<BackendInfo> {
  if (!(await tf.setBackend('webgl'))) throw new Error('WebGL is unavailable');
  // The unmasked renderer names the real GPU; browsers that hide it still give the masked one.
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  let renderer = 'WebGL';
  if (gl) {
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  }
  return { name: 'webgl', adapter: `${renderer} (WebGL ${tf.env().getNumber('WEBGL_VERSION')})` };
}

async function startWasm(): Promise<BackendInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(WASM_PATH_PREFIX);
  if (!(await tf.setBackend('wasm'))) throw new Error(`wasm backend failed to start (are the binaries served at ${WASM_PATH_PREFIX}?)`);
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  // Threads need a cross-origin-isolated page (COOP + COEP headers) for SharedArrayBuffer.
  const threads = wasm.getThreadsCount();
  return {
    name: 'wasm',
    adapter: `WebAssembly${simd ? ' SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'}`,
    details: { simd: String(simd), threads: String(threads), matMul: patchWasmMatMul() ? 'transposes materialised → XNNPACK' : 'tfjs default', extraKernels: registerWasmExtraKernels() },
  };
}

async function startCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to start');
  return { name: 'cpu', adapter: 'JavaScript CPU' };
}

const starters: Record<BackendName, () => Promise<BackendInfo>> = {
  webgpu: startWebgpu,
  webgl: startWebgl,
  wasm: startWasm,
  cpu: startCpu,
};

async function start(preferred: BackendName[]): Promise<BackendInfo> {
  const fallbackFrom: BackendName[] = [];
  const why: Record<string, string> = {};
  for (const name of preferred) {
    try {
      let info = started.get(name);
      if (!info || !tf.findBackend(name)) info = await starters[name]();
      else if (tf.getBackend() !== name) await tf.setBackend(name);
      started.set(name, info);
      return fallbackFrom.length ? { ...info, fallbackFrom, details: { ...info.details, ...why } } : info;
    } catch (e) {
      fallbackFrom.push(name);
      why[`${name}Unavailable`] = errorText(e);
    }
  }
  throw new KilnError('BACKEND_UNAVAILABLE', `no tfjs backend could start: ${Object.entries(why).map(([k, v]) => `${k.replace('Unavailable', '')}: ${v}`).join('; ')}`);
}

/**
 * Starts the first backend in `preferred` that works here and makes it active. Skipped ones are
 * listed in `fallbackFrom` with reasons in `details.<name>Unavailable`, so the UI can say why
 * a user got WASM instead of WebGPU. Idempotent; concurrent calls are serialised.
 */
export function initBrowserBackend(preferred: BackendName[] = [...BACKEND_NAMES]): Promise<BackendInfo> {
  const run = queue.then(() => start(preferred));
  queue = run.catch(() => undefined);
  return run;
}
