/**
 * The page's end of the exec worker's dataset loading, and its authorisation point. The worker
 * runs the project's custom-node code, so the page fetches only what it can vouch for: a
 * built-in dataset by name, or an uploaded dataset version that this page itself resolved and
 * named to the worker in a `run` message. What goes back is the file's bytes (transferred) or
 * one line of error — never a credential.
 */
import { z } from 'zod';
import { builtinUrl, fetchDatasetFile, uploadedUrl } from './fetch-data';
import type { DataResult } from './protocol';

const nameSchema = z.string().min(1).max(200);
const dataFileRefSchema = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('builtin'), name: nameSchema }),
  z.strictObject({ source: z.literal('uploaded'), id: z.string().min(1).max(64), name: nameSchema }),
]);

export interface PageDataOptions {
  fetch?: typeof fetch;
}

export class PageData {
  /** dataset version ids this page named to the worker */
  private readonly named = new Set<string>();

  constructor(private readonly opts: PageDataOptions = {}) {}

  /** The worker may now ask for these versions (the datasets of a run the page starts). */
  allow(datasets: Record<string, string>): void {
    for (const id of Object.values(datasets)) this.named.add(id);
  }

  /** Fetches the file a `data` message asks for. Never throws: a refusal is `{ ok: false, error }`. */
  async serve(reqId: number, ref: unknown): Promise<{ reply: DataResult; transfer: Transferable[] }> {
    const refuse = (error: string) => ({ reply: { type: 'data-result' as const, reqId, ok: false as const, error }, transfer: [] });
    const parsed = dataFileRefSchema.safeParse(ref);
    if (!parsed.success) return refuse(`dataset request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const r = parsed.data;
    if (r.source === 'uploaded' && !this.named.has(r.id)) return refuse(`dataset "${r.name}": version ${r.id} is not one this page named for the run`);
    try {
      const url = r.source === 'builtin' ? builtinUrl(r.name) : uploadedUrl(r.id);
      const { bytes, format } = await fetchDatasetFile(url, r.name, this.opts.fetch ? { fetch: this.opts.fetch } : {});
      return { reply: { type: 'data-result', reqId, ok: true, bytes, format }, transfer: [bytes] };
    } catch (e) {
      return refuse(e instanceof Error ? e.message : String(e));
    }
  }
}
