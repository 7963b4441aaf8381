import { TRPCClientError } from '@trpc/client';
import { describe, expect, it, vi } from 'vitest';
import '../../../lib/nodes/catalog';
import { PageApi, type PageClient } from './page-api';

const PROJECT = 'my-proj';

/** A page API over a fake control plane that holds dataset "sales" (version ds-1) in PROJECT. */
function setup(over: Partial<PageClient> = {}) {
  const fakes = {
    listDatasets: vi.fn<PageClient['listDatasets']>(async (input) => (input.name === undefined || input.name === 'sales' ? [{ id: 'ds-1', name: 'sales' }] : []) as never),
    submitRun: vi.fn<PageClient['submitRun']>(async () => ({ runId: 'run-1' })),
    getRun: vi.fn<PageClient['getRun']>(async (input) => ({ id: input.id, status: 'running' }) as never),
    defineNode: vi.fn<PageClient['defineNode']>(async () => ({})),
  };
  const client: PageClient = { ...fakes, ...over };
  const fetch = vi.fn<typeof globalThis.fetch>(async (url) =>
    String(url).includes('nope') ? Response.json({ error: 'no built-in dataset "nope"' }, { status: 404 }) : new Response('a,b\n1,2\n', { headers: { 'content-type': 'text/csv' } }),
  );
  const defined: string[] = [];
  const api = new PageApi({ projectName: PROJECT, client, fetch, onNodeDefined: (n) => defined.push(n) });
  const touched = () => Object.values(fakes).reduce((n, f) => n + f.mock.calls.length, 0) + fetch.mock.calls.length;
  return { api, client: fakes, fetch, defined, touched };
}

const inputGraph = { version: 1, seed: 42, nodes: [{ id: 'src', kind: 'dataset', params: { source: 'input', name: 'sales' } }], edges: [] };

describe('the page side of the notebook API', () => {
  it('refuses calls that are not on its list, without touching the control plane', async () => {
    const { api, touched } = setup();
    for (const call of ['deleteProject', 'constructor', '__proto__', 'toString', 42, undefined]) {
      const r = await api.dispatch(call, {});
      expect(r, String(call)).toEqual({ ok: false, error: expect.stringMatching(/^the notebook API has no call /) });
    }
    expect(touched()).toBe(0);
  });

  it('serves only the project it opened: a project name from the worker is refused', async () => {
    const { api, client, touched } = setup();
    expect(await api.dispatch('datasetVersion', { name: 'sales', projectName: 'other' })).toEqual({ ok: false, error: expect.stringMatching(/^notebook API datasetVersion: at args: .*projectName/) });
    expect(await api.dispatch('submit', { graph: inputGraph, projectName: 'other' })).toMatchObject({ ok: false });
    expect(await api.dispatch('defineNode', { def: { name: 'cap', label: 'Cap', code: '(r) => r' }, projectId: 'p-2' })).toMatchObject({ ok: false });
    expect(touched()).toBe(0);

    expect(await api.dispatch('datasetVersion', { name: 'sales' })).toEqual({ ok: true, value: { id: 'ds-1' }, transfer: [] });
    expect(client.listDatasets).toHaveBeenCalledWith({ projectName: PROJECT, name: 'sales', limit: 1 }, undefined);
    expect(await api.dispatch('datasetVersion', { name: 'other' })).toEqual({ ok: true, value: null, transfer: [] });
  });

  it('hands out only dataset versions it looked up in its project, and runs it submitted', async () => {
    const { api, client, fetch } = setup();
    const foreign = await api.dispatch('datasetFile', { source: 'uploaded', id: 'ds-9', name: 'sales' });
    expect(foreign).toEqual({ ok: false, error: expect.stringContaining('version ds-9 is not a dataset of project "my-proj"') });
    expect(await api.dispatch('runStatus', { runId: 'run-9' })).toEqual({ ok: false, error: 'run run-9 was not submitted from this notebook' });
    expect(fetch).not.toHaveBeenCalled();
    expect(client.getRun).not.toHaveBeenCalled();

    await api.dispatch('datasetVersion', { name: 'sales' });
    const file = await api.dispatch('datasetFile', { source: 'uploaded', id: 'ds-1', name: 'sales' });
    expect(fetch.mock.calls[0]![0]).toBe('/api/datasets/ds-1/file');
    if (!file.ok) throw new Error(file.error);
    const { bytes, format } = file.value as { bytes: ArrayBuffer; format: string };
    expect(format).toBe('csv');
    expect(new TextDecoder().decode(bytes)).toBe('a,b\n1,2\n');
    // The bytes are moved to the worker, not copied.
    expect(file.transfer).toEqual([bytes]);

    const sub = await api.dispatch('submit', { graph: inputGraph });
    expect(sub).toEqual({ ok: true, value: { runId: 'run-1', url: '/projects/my-proj/runs/run-1' }, transfer: [] });
    expect(client.listDatasets).toHaveBeenLastCalledWith({ projectName: PROJECT, limit: 1000 }, undefined);
    expect(client.submitRun).toHaveBeenCalledWith({ projectName: PROJECT, graph: inputGraph, datasets: { sales: 'ds-1' } }, undefined);
    expect(await api.dispatch('runStatus', { runId: 'run-1' })).toEqual({ ok: true, value: { id: 'run-1', status: 'running' }, transfer: [] });
  });

  it('validates arguments and names what is wrong', async () => {
    const { api, touched } = setup();
    expect(await api.dispatch('datasetVersion', { name: 3 })).toEqual({ ok: false, error: expect.stringMatching(/^notebook API datasetVersion: at args\.name: .*string/) });
    expect(await api.dispatch('datasetVersion', null)).toMatchObject({ ok: false });
    expect(await api.dispatch('datasetFile', { source: 'ftp', name: 'x' })).toEqual({ ok: false, error: expect.stringMatching(/at args\.source/) });
    expect(await api.dispatch('runStatus', { runId: 'x'.repeat(65) })).toEqual({ ok: false, error: expect.stringMatching(/at args\.runId/) });
    expect(await api.dispatch('submit', { graph: { nodes: 'all' } })).toEqual({ ok: false, error: expect.stringMatching(/at args\.graph\.nodes/) });
    expect(await api.dispatch('defineNode', { def: { name: 'Bad Name', label: 'x', code: '(r) => r' } })).toEqual({ ok: false, error: expect.stringMatching(/at args\.def\.name: a custom node name is/) });
    expect(touched()).toBe(0);
  });

  it('maps failures to one line for the cell', async () => {
    const { api, defined } = setup({
      defineNode: async () => {
        throw new TRPCClientError('a custom node "cap" already exists with other code');
      },
      submitRun: async () => {
        throw new TRPCClientError('graph invalid: nodes[0].params.name is required');
      },
      getRun: async () => {
        throw 'connection reset';
      },
    });
    expect(await api.dispatch('defineNode', { def: { name: 'cap', label: 'Cap', code: '(r) => r' } })).toEqual({ ok: false, error: 'custom node "cap": a custom node "cap" already exists with other code' });
    expect(defined).toEqual([]);
    expect(await api.dispatch('submit', { graph: inputGraph })).toEqual({ ok: false, error: 'graph invalid: nodes[0].params.name is required' });
    expect(await api.dispatch('datasetFile', { source: 'builtin', name: 'nope' })).toEqual({ ok: false, error: 'dataset "nope": no built-in dataset "nope"' });

    const missing = { ...inputGraph, nodes: [{ id: 'src', kind: 'dataset', params: { source: 'input', name: 'ghost' } }] };
    expect(await api.dispatch('submit', { graph: missing })).toEqual({ ok: false, error: expect.stringContaining('node "src" reads input dataset "ghost", which is not uploaded to project "my-proj"') });
  });

  it('stores a custom node for its project and tells the page', async () => {
    const { api, client, defined } = setup();
    const r = await api.dispatch('defineNode', { def: { name: 'cap', label: 'Cap', code: '(r) => r' } });
    expect(r).toEqual({ ok: true, value: null, transfer: [] });
    expect(client.defineNode).toHaveBeenCalledWith({ projectName: PROJECT, def: { name: 'cap', label: 'Cap', description: '', config: {}, code: '(r) => r', preservesRows: false } }, undefined);
    expect(defined).toEqual(['cap']);
  });

  it('passes the abort signal on, so a withdrawn call stops its request', async () => {
    const { api, fetch } = setup();
    const ctl = new AbortController();
    await api.dispatch('datasetFile', { source: 'builtin', name: 'cars' }, ctl.signal);
    expect(fetch).toHaveBeenCalledWith('/api/datasets/builtin/cars', { signal: ctl.signal });
  });
});
