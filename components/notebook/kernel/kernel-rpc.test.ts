import { describe, expect, it } from 'vitest';
import { KernelRpc } from './kernel-rpc';
import type { FromKernel } from './protocol';

function setup() {
  const sent: FromKernel[] = [];
  return { rpc: new KernelRpc((m) => sent.push(m)), sent };
}

describe('the worker side of the notebook API', () => {
  it('sends each call as a numbered message and settles it from the answer', async () => {
    const { rpc, sent } = setup();
    const a = rpc.call('datasetVersion', { name: 'cars' });
    const b = rpc.call('runStatus', { runId: 'r1' });
    expect(sent).toEqual([
      { type: 'api', reqId: 1, call: 'datasetVersion', args: { name: 'cars' } },
      { type: 'api', reqId: 2, call: 'runStatus', args: { runId: 'r1' } },
    ]);
    rpc.settle({ type: 'api-result', reqId: 2, ok: false, error: 'run r1 was not submitted from this notebook' });
    rpc.settle({ type: 'api-result', reqId: 1, ok: true, value: { id: 'd1' } });
    await expect(a).resolves.toEqual({ id: 'd1' });
    await expect(b).rejects.toThrow('run r1 was not submitted from this notebook');
    expect(rpc.pending).toBe(0);
  });

  it('withdraws a call when its cell is interrupted, and tells the page', async () => {
    const { rpc, sent } = setup();
    const ctl = new AbortController();
    const p = rpc.call('submit', { graph: { nodes: [] } }, ctl.signal);
    const reason = new Error('interrupted');
    ctl.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(sent.at(-1)).toEqual({ type: 'api-abort', reqId: 1 });
    expect(rpc.pending).toBe(0);
    // A late answer is ignored; an already aborted signal never sends the call.
    rpc.settle({ type: 'api-result', reqId: 1, ok: true, value: { runId: 'r' } });
    await expect(rpc.call('datasetVersion', { name: 'x' }, ctl.signal)).rejects.toBe(reason);
    expect(sent).toHaveLength(2);
  });
});
