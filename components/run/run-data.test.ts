/** The run worker's datasets travel page ↔ worker as messages; the page fetches only what it named. */
import { describe, expect, it } from 'vitest';
import { PageData } from './page-data';
import type { FromWorker } from './protocol';
import { WorkerData } from './worker-data';

const csv = (text: string) => new Response(text, { headers: { 'content-type': 'text/csv' } });

describe('PageData', () => {
  it('fetches a built-in dataset and transfers its bytes', async () => {
    const urls: string[] = [];
    const page = new PageData({ fetch: async (url) => (urls.push(String(url)), csv('a\n1\n')) });
    const { reply, transfer } = await page.serve(3, { source: 'builtin', name: 'cars' });
    expect(urls).toEqual(['/api/datasets/builtin/cars']);
    expect(reply).toMatchObject({ type: 'data-result', reqId: 3, ok: true, format: 'csv' });
    expect(transfer).toEqual([(reply as { bytes: ArrayBuffer }).bytes]);
  });

  it('fetches an uploaded version only when the page named it for a run', async () => {
    const urls: string[] = [];
    const page = new PageData({ fetch: async (url) => (urls.push(String(url)), csv('a\n1\n')) });
    const refused = await page.serve(1, { source: 'uploaded', id: 'v-other', name: 'sales' });
    expect(refused.reply).toEqual({ type: 'data-result', reqId: 1, ok: false, error: 'dataset "sales": version v-other is not one this page named for the run' });
    page.allow({ sales: 'v-1' });
    expect((await page.serve(2, { source: 'uploaded', id: 'v-1', name: 'sales' })).reply.ok).toBe(true);
    expect(urls).toEqual(['/api/datasets/v-1/file']);
  });

  it('refuses a malformed request, and answers a failed fetch with the server line', async () => {
    const page = new PageData({ fetch: async () => Response.json({ code: 'PERMISSION_DENIED', error: 'needs READ on project "x"' }, { status: 403 }) });
    expect((await page.serve(1, { source: 'builtin', name: 'cars', url: 'https://evil.example' })).reply.ok).toBe(false);
    expect((await page.serve(2, { source: 'builtin', name: 'cars' })).reply).toEqual({ type: 'data-result', reqId: 2, ok: false, error: 'dataset "cars": needs READ on project "x"' });
  });
});

describe('WorkerData', () => {
  it('asks the page once per file and decodes the bytes it gets back', async () => {
    const sent: FromWorker[] = [];
    const data = new WorkerData((m) => sent.push(m));
    const a = data.dataRef({ input: 'sales' }, { sales: 'v-1' }, (n) => `missing ${n}`);
    const b = data.dataRef({ input: 'sales' }, { sales: 'v-1' }, (n) => `missing ${n}`);
    expect(sent).toEqual([{ type: 'data', reqId: 1, ref: { source: 'uploaded', id: 'v-1', name: 'sales' } }]);
    data.settle({ type: 'data-result', reqId: 1, ok: true, bytes: new TextEncoder().encode('x\n1\n').buffer as ArrayBuffer, format: 'csv' });
    expect(await a).toEqual({ name: 'sales', text: 'x\n1\n', format: 'csv' });
    expect(await b).toBe(await a);
    expect(data.pending).toBe(0);
  });

  it('rejects with the page error, and asks again next time', async () => {
    const sent: FromWorker[] = [];
    const data = new WorkerData((m) => sent.push(m));
    const a = data.source({ source: 'builtin', name: 'cars' });
    data.settle({ type: 'data-result', reqId: 1, ok: false, error: 'dataset "cars": offline' });
    await expect(a).rejects.toThrow('dataset "cars": offline');
    void data.source({ source: 'builtin', name: 'cars' }).catch(() => {});
    expect(sent).toHaveLength(2);
  });

  it('names an input dataset the page did not resolve, without asking', async () => {
    const sent: FromWorker[] = [];
    const data = new WorkerData((m) => sent.push(m));
    await expect(data.dataRef({ input: 'toString' }, {}, (n) => `input dataset "${n}" is not uploaded`)).rejects.toThrow('input dataset "toString" is not uploaded');
    expect(sent).toEqual([]);
  });
});
