/**
 * The page's end of the notebook API, and its authorisation point. The kernel worker runs user
 * code and holds no credentials; the page performs the few calls it asks for, with its own tRPC
 * client and fetch, and only for the project it opened: the call must be one of the fixed list,
 * its arguments must parse (strict schemas, so no project name can be slipped in), an uploaded
 * dataset version must be one this page named to the worker, and a run one it submitted. What
 * goes back is data (ids, a run, a file's bytes) or one line of error — never a credential.
 */
import type { z } from 'zod';
import { builtinUrl, fetchDatasetFile, uploadedUrl } from '../../run/fetch-data';
import { resolveInputDatasets, type ListDatasets } from '../../run/inputs';
import { errorMessage, trpc, type RouterInputs, type RouterOutputs } from '../../studio/trpc';
import { apiArgsSchemas, type ApiCall, type ApiValues } from './protocol';

/** The control-plane calls the page makes for the kernel (the studio's tRPC client by default). */
export interface PageClient {
  listDatasets: ListDatasets;
  submitRun(input: RouterInputs['runs']['submit'], signal?: AbortSignal): Promise<Pick<RouterOutputs['runs']['submit'], 'runId'>>;
  getRun(input: RouterInputs['runs']['get'], signal?: AbortSignal): Promise<RouterOutputs['runs']['get']>;
  defineNode(input: RouterInputs['customNodes']['define'], signal?: AbortSignal): Promise<unknown>;
}

export const studioClient: PageClient = {
  listDatasets: (input, signal) => trpc.datasets.list.query(input, { signal }),
  submitRun: (input, signal) => trpc.runs.submit.mutate(input, { signal }),
  getRun: (input, signal) => trpc.runs.get.query(input, { signal }),
  defineNode: (input, signal) => trpc.customNodes.define.mutate(input, { signal }),
};

export interface PageApiOptions {
  /** the project the notebook page opened: every call is for it */
  projectName: string;
  client?: PageClient;
  fetch?: typeof fetch;
  /** a custom node kind a cell defined was stored (the palette can refresh) */
  onNodeDefined?(name: string): void;
}

export type PageReply = { ok: true; value: unknown; transfer: Transferable[] } | { ok: false; error: string };

type Handlers = {
  [C in ApiCall]: (args: z.output<(typeof apiArgsSchemas)[C]>, signal: AbortSignal | undefined) => Promise<ApiValues[C]>;
};

/** Thrown for a call the page will not make; its message goes to the cell as is. */
class Refused extends Error {}

/** The ArrayBuffers of a reply (a file's bytes): moved to the worker, not copied. */
function transferables(value: unknown): Transferable[] {
  return value && typeof value === 'object' ? Object.values(value).filter((v): v is ArrayBuffer => v instanceof ArrayBuffer) : [];
}

function isApiCall(call: unknown): call is ApiCall {
  return typeof call === 'string' && Object.hasOwn(apiArgsSchemas, call);
}

export class PageApi {
  /** dataset version ids this page named to the worker (all of its project) */
  private readonly datasetIds = new Set<string>();
  /** runs this page submitted for the notebook */
  private readonly runIds = new Set<string>();
  private readonly client: PageClient;
  private readonly handlers: Handlers;

  constructor(private readonly opts: PageApiOptions) {
    this.client = opts.client ?? studioClient;
    const projectName = opts.projectName;
    this.handlers = {
      datasetVersion: async ({ name }, signal) => {
        const rows = await this.client.listDatasets({ projectName, name, limit: 1 }, signal);
        const id = rows[0]?.id;
        if (!id) return null;
        this.datasetIds.add(id);
        return { id };
      },
      datasetFile: async (ref, signal) => {
        if (ref.source === 'uploaded' && !this.datasetIds.has(ref.id)) throw new Refused(`dataset "${ref.name}": version ${ref.id} is not a dataset of project "${projectName}" that this notebook looked up`);
        const url = ref.source === 'builtin' ? builtinUrl(ref.name) : uploadedUrl(ref.id);
        return fetchDatasetFile(url, ref.name, { signal, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
      },
      submit: async ({ graph }, signal) => {
        const datasets = await resolveInputDatasets(projectName, graph, { list: this.client.listDatasets, signal });
        const { runId } = await this.client.submitRun({ projectName, graph, datasets }, signal);
        this.runIds.add(runId);
        return { runId, url: `/projects/${encodeURIComponent(projectName)}/runs/${encodeURIComponent(runId)}` };
      },
      runStatus: async ({ runId }, signal) => {
        if (!this.runIds.has(runId)) throw new Refused(`run ${runId} was not submitted from this notebook`);
        return this.client.getRun({ id: runId }, signal);
      },
      defineNode: async ({ def }, signal) => {
        try {
          await this.client.defineNode({ projectName, def }, signal);
        } catch (e) {
          throw new Error(`custom node "${def.name}": ${errorMessage(e)}`);
        }
        this.opts.onNodeDefined?.(def.name);
        return null;
      },
    };
  }

  /**
   * Performs one call the worker asked for. Never throws: a refused or failed call is
   * `{ ok: false, error }` with one line for the cell. File bytes are listed in `transfer`.
   */
  async dispatch(call: unknown, args: unknown, signal?: AbortSignal): Promise<PageReply> {
    try {
      if (!isApiCall(call)) throw new Refused(`the notebook API has no call ${JSON.stringify(String(call)).slice(0, 80)}`);
      const parsed = apiArgsSchemas[call].safeParse(args);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        const at = ['args', ...(i?.path ?? []).map(String)].join('.');
        throw new Refused(`notebook API ${call}: at ${at}: ${i?.message ?? 'invalid'}`);
      }
      const handler = this.handlers[call] as (a: unknown, s: AbortSignal | undefined) => Promise<unknown>;
      const value = await handler(parsed.data, signal);
      return { ok: true, value, transfer: transferables(value) };
    } catch (e) {
      return { ok: false, error: errorMessage(e) };
    }
  }
}
