/**
 * Parsing dataset files off the control plane's event loop: one worker thread (./parse-worker.mjs)
 * parses, infers and summarises while the main thread keeps answering health checks, tRPC calls
 * and other uploads. Jobs queue in the worker; their bytes are transferred, not copied.
 *
 * Where no worker can start (a bundler that cannot see the worker file), jobs run in-thread and
 * the reason is logged once: slower for everyone else, but the upload still works.
 */
import { Worker } from 'node:worker_threads';
import { isErrorCode, KilnError } from '../../lib/errors';
import { previewDataset, summarizeDataset, type DatasetPreview, type DatasetSummary } from './dataset-summary';

const WORKER_FILE = './parse-worker.mjs';

type Job =
  | { op: 'summary'; name: string; format: 'csv' | 'json'; bytes: Uint8Array }
  | { op: 'preview'; name: string; format: 'csv' | 'json'; bytes: Uint8Array; rows: number; maxCellChars: number };

interface WorkerError {
  name?: string;
  code?: string;
  message: string;
  where?: KilnError['where'];
  extra?: Record<string, unknown>;
  stack?: string;
}

interface Pending {
  /** the file, for the message when the worker dies on it */
  name: string;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface ParsePoolOptions {
  /**
   * Heap of the worker in MiB (V8's default where unset). A file that needs more (many small
   * cells) ends that worker, not the server: its upload is refused and the next job starts a
   * new worker.
   */
  maxHeapMiB?: number | undefined;
}

function revive(e: WorkerError): Error {
  if (e.name === 'KilnError' && e.code && isErrorCode(e.code)) return new KilnError(e.code, e.message, e.where ?? {}, e.extra ? { extra: e.extra } : undefined);
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

function runInThread(job: Job): unknown {
  return job.op === 'summary' ? summarizeDataset(job.name, job.format, job.bytes) : previewDataset(job.name, job.format, job.bytes, job.rows, job.maxCellChars);
}

export class ParsePool {
  private worker: Worker | undefined;
  private ready: Promise<boolean> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private unavailable: string | undefined;

  constructor(
    private readonly log: (m: string) => void = (m) => console.error(m),
    private readonly options: ParsePoolOptions = {},
  ) {}

  /** Schema, statistics and rows of a file (its bytes are handed to the worker: do not reuse them). */
  summary(name: string, format: 'csv' | 'json', bytes: Uint8Array): Promise<DatasetSummary> {
    return this.run({ op: 'summary', name, format, bytes }) as Promise<DatasetSummary>;
  }

  /** The first `rows` rows, cells cut to `maxCellChars`. */
  preview(name: string, format: 'csv' | 'json', bytes: Uint8Array, rows: number, maxCellChars: number): Promise<DatasetPreview> {
    return this.run({ op: 'preview', name, format, bytes, rows, maxCellChars }) as Promise<DatasetPreview>;
  }

  /** Stops the worker; jobs still queued fail. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (w) await w.terminate();
  }

  private start(): Promise<boolean> {
    let w: Worker;
    try {
      // Not a literal: bundlers (Next's route files import this module) must not try to bundle the
      // worker; where they moved this module, the worker fails to start and jobs run in-thread.
      w = new Worker(new URL(/* turbopackIgnore: true */ WORKER_FILE, import.meta.url), this.options.maxHeapMiB ? { resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMiB } } : {});
    } catch (e) {
      return Promise.resolve(this.giveUp((e as Error).message));
    }
    w.unref();
    this.worker = w;
    return new Promise<boolean>((resolveReady) => {
      let isReady = false;
      w.on('message', (m: { ready?: true; id?: number; result?: unknown; error?: WorkerError }) => {
        if (m.ready) {
          isReady = true;
          resolveReady(true);
          return;
        }
        const p = this.pending.get(m.id!);
        if (!p) return;
        this.pending.delete(m.id!);
        // Idle, the worker must not keep a process (a test, a CLI) alive.
        if (this.pending.size === 0) w.unref();
        if (m.error) p.reject(revive(m.error));
        else p.resolve(m.result);
      });
      const down = (why: string, outOfMemory = false) => {
        if (this.worker === w) {
          this.worker = undefined;
          this.ready = undefined;
        }
        if (!isReady) {
          resolveReady(this.giveUp(why));
          return;
        }
        // A worker that died mid-job (out of memory on a huge file): its jobs fail, the next starts a new one.
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(
            outOfMemory
              ? new KilnError('DATA_LIMIT', `${p.name}: parsing this file needs more memory than the parse worker has (too many cells); split it into smaller files`, { file: p.name })
              : new Error(`the dataset parse worker stopped (${why})`),
          );
        }
      };
      w.on('error', (e) => down(e.message, (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'));
      w.on('exit', (code) => down(`exit code ${code}`));
    });
  }

  private giveUp(why: string): boolean {
    if (this.unavailable === undefined) this.log(`kiln server: dataset parse worker unavailable (${why.split('\n')[0]}); parsing in-thread`);
    this.unavailable = why;
    return false;
  }

  private async run(job: Job): Promise<unknown> {
    if (this.unavailable !== undefined) return runInThread(job);
    this.ready ??= this.start();
    if (!(await this.ready) || !this.worker) return runInThread(job);
    const w = this.worker;
    // Transfer the buffer when the view owns all of it; a view into a shared pool must be copied.
    let bytes = job.bytes;
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength || !(bytes.buffer instanceof ArrayBuffer)) bytes = bytes.slice();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) w.ref();
      this.pending.set(id, { name: job.name, resolve, reject });
      w.postMessage({ ...job, bytes, id }, [bytes.buffer as ArrayBuffer]);
    });
  }
}

let shared: ParsePool | undefined;

/** The process's parse pool (one worker, started on first use; the first caller's options hold). */
export function parsePool(log?: (m: string) => void, options?: ParsePoolOptions): ParsePool {
  shared ??= new ParsePool(log, options);
  return shared;
}
