/**
 * Backend vocabulary shared by the browser and Node. Choosing and starting a
 * backend is platform code (`./node.ts`, `./browser.ts`); what a run records
 * about the backend it used is this isomorphic shape.
 */

/** tfjs backends Kiln knows how to start, fastest first. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** What a run records and the UI shows about the backend in use. */
export interface BackendInfo {
  name: BackendName;
  /**
   * One human line naming the device, e.g. `SwiftShader driver 5.0.0 — google, swiftshader`,
   * `WebAssembly SIMD, 1 thread` or `JavaScript CPU`.
   */
  adapter: string;
  /** Backends tried first and found unavailable, in the order tried. */
  fallbackFrom?: BackendName[];
  /** Free-form facts worth keeping with a run (vendor, simd, threads, why a fallback happened …). */
  details?: Record<string, string>;
}

/** The fields of WebGPU's `GPUAdapterInfo` that Kiln reads (all optional: browsers redact some). */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Formats a WebGPU adapter as `description — vendor, architecture`, skipping empty parts. */
export function describeAdapter(info: AdapterInfoLike): string {
  const head = info.description || info.device;
  const tail = [info.vendor, info.architecture].filter((s): s is string => !!s).join(', ');
  // Browsers often redact the description and device: then vendor and architecture are the name.
  if (!head) return tail ? `${tail}${isSoftwareAdapter(info) ? ' (software)' : ''}` : 'unnamed WebGPU adapter';
  return tail ? `${head} — ${tail}` : head;
}

// Software rasterisers that expose Vulkan/WebGPU on machines without a GPU. They run the real
// WebGPU kernels (good for tests) but are slower than wasm, so `auto` must not pick them.
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|warp/i;

/** True when the adapter is a CPU emulation of a GPU (SwiftShader, lavapipe, WARP …). */
export function isSoftwareAdapter(info: AdapterInfoLike): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => !!s && SOFTWARE_ADAPTER.test(s));
}

/** Copies the string fields of a GPUAdapterInfo into a plain record (it is a host object whose fields don't spread). */
export function adapterDetails(info: AdapterInfoLike): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['vendor', 'architecture', 'device', 'description'] as const) {
    const v = info[k];
    if (v) out[k] = v;
  }
  return out;
}
