/**
 * The work queue alone: prediction work in bounded slices per event-loop turn, with other
 * callbacks (a health request's) running between slices, and jobs that waited too long shed.
 */
import { describe, expect, it } from 'vitest';
import { WorkQueue, type Queued } from './work-queue';

/** Busy for `ms` of wall time, as a synchronous forward pass is. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

interface Job extends Queued {
  id: number;
}
const job = (id: number, cost = 1): Job => ({ id, cost, queuedAt: 0 });

describe('WorkQueue', () => {
  it('runs a job at once while the turn has slice left, queues the rest, and lets other callbacks run between slices', async () => {
    const log: string[] = [];
    const q = new WorkQueue<Job>(
      (j) => {
        log.push(`job ${j.id}`);
        spin(3);
      },
      (j) => log.push(`shed ${j.id}`),
      5,
      10_000,
    );
    for (let i = 0; i < 6; i++) q.submit(job(i));
    // 3 ms + 3 ms passes the 5 ms slice: two ran inline, four wait.
    expect(log).toEqual(['job 0', 'job 1']);
    expect(q.length).toBe(4);
    // What a health request is: a callback from the poll phase, which must not wait for the queue.
    setTimeout(() => log.push('health'), 0);
    await new Promise((r) => setTimeout(r, 60));
    expect(log.filter((l) => l.startsWith('job'))).toHaveLength(6);
    // At most two jobs (one slice) ran before the health callback got its turn.
    expect(log.indexOf('health')).toBeLessThanOrEqual(4);
    expect(q.length).toBe(0);
  });

  it('submits straight through when each turn has room (the unloaded hot path adds no hop)', () => {
    const ran: number[] = [];
    const q = new WorkQueue<Job>((j) => ran.push(j.id), () => undefined, 5, 10_000);
    q.submit(job(1));
    q.submit(job(2));
    expect(ran).toEqual([1, 2]);
  });

  it('sheds a job that had more than maxWaitMs of work run ahead of it instead of running it, and learns ms per instance from big jobs', async () => {
    const ran: number[] = [];
    const shed: number[] = [];
    const q = new WorkQueue<Job>(
      (j) => {
        ran.push(j.id);
        spin(12);
      },
      (j, waited) => {
        shed.push(j.id);
        expect(waited).toBeGreaterThan(10);
      },
      1,
      10,
    );
    q.submit(job(0, 100)); // runs inline for 12 ms: the slice is spent
    q.submit(job(1, 100)); // queued; runs first next turn, for 12 ms
    q.submit(job(2, 100)); // queued behind it: by its turn 12 ms of work ran ahead of it > 10
    await new Promise((r) => setTimeout(r, 80));
    expect(ran).toEqual([0, 1]);
    expect(shed).toEqual([2]);
    expect(q.msPerInstance).toBeGreaterThan(0.1); // ≈ 12 ms / 100 instances
    expect(q.msPerInstance).toBeLessThan(1);
  });

  it('does not count a pause of the process (no work run ahead) as waiting', async () => {
    const ran: number[] = [];
    const q = new WorkQueue<Job>(
      (j) => {
        ran.push(j.id);
        if (j.id === 0) spin(3);
      },
      () => expect.unreachable('no work ran ahead of it: nothing to shed'),
      1,
      10,
    );
    q.submit(job(0)); // 3 ms: the slice is spent
    q.submit(job(1)); // queued
    spin(30); // the process busy elsewhere (descheduled, a GC): 30 ms of wall time, no queued work
    await new Promise((r) => setTimeout(r, 10));
    expect(ran).toEqual([0, 1]);
  });
});
