import { describe, expect, it } from 'vitest';
import { EventBatcher, type BatchedEvent } from './event-batcher';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EventBatcher', () => {
  it('numbers events from 1 and sends them in order, one request at a time', async () => {
    const sent: BatchedEvent[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const b = new EventBatcher({
      maxBatch: 3,
      intervalMs: 10,
      send: async (events) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await tick(5);
        sent.push(events);
        inFlight--;
      },
    });
    for (let i = 0; i < 10; i++) b.push('epoch', { epoch: i + 1 });
    await b.flush();
    const seqs = sent.flat().map((e) => e.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(sent.every((batch) => batch.length <= 3)).toBe(true);
    expect(maxInFlight).toBe(1);
    expect(b.count).toBe(10);
  });

  it('flushes on its timer without an explicit flush', async () => {
    const sent: BatchedEvent[] = [];
    const b = new EventBatcher({ intervalMs: 20, send: async (e) => void sent.push(...e) });
    b.push('log', { message: 'a' });
    expect(sent).toHaveLength(0);
    await tick(60);
    expect(sent.map((e) => e.payload)).toEqual([{ message: 'a' }]);
  });

  it('keeps events after a failed send and re-sends the same seqs', async () => {
    const attempts: number[][] = [];
    let fail = true;
    const errors: unknown[] = [];
    const b = new EventBatcher({
      intervalMs: 5,
      send: async (e) => {
        attempts.push(e.map((x) => x.seq));
        if (fail) throw new Error('server down');
      },
      onError: (e) => errors.push(e),
    });
    b.push('epoch', {});
    b.push('epoch', {});
    await tick(30);
    expect(errors.length).toBeGreaterThan(0);
    fail = false;
    await b.flush();
    expect(attempts.at(-1)).toEqual([1, 2]);
  });

  it('flush rejects when the send fails, so the caller can stop (lease lost)', async () => {
    const b = new EventBatcher({ send: async () => Promise.reject(new Error('409')) });
    b.push('epoch', {});
    await expect(b.flush()).rejects.toThrow('409');
  });

  it('close drops queued events and ignores later pushes', async () => {
    const sent: BatchedEvent[] = [];
    const b = new EventBatcher({ intervalMs: 5, send: async (e) => void sent.push(...e) });
    b.push('epoch', {});
    b.close();
    expect(b.push('epoch', {})).toBe(-1);
    await tick(20);
    await b.flush();
    expect(sent).toHaveLength(0);
  });
});
