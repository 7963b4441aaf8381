/**
 * The exec worker's end of dataset loading: each file is a `data` message to the page, which
 * fetches it (the worker holds no credentials and makes no request to `/api`) and answers with
 * `data-result`. Files are kept once loaded: a dataset version's bytes never change, so a re-run
 * after a param edit reads them from here.
 */
import type { DataSource } from '../../lib/nodes/types';
import type { DataFileRef, DataResult, FromWorker } from './protocol';

export class WorkerData {
  private seq = 0;
  private readonly waits = new Map<number, { resolve(r: Extract<DataResult, { ok: true }>): void; reject(e: Error): void }>();
  private readonly loaded = new Map<string, Promise<DataSource>>();

  constructor(private readonly post: (m: FromWorker) => void) {}

  /** How many files wait for the page. */
  get pending(): number {
    return this.waits.size;
  }

  /** Answers the request a `data-result` is for; an unknown one is ignored. */
  settle(m: DataResult): void {
    const w = this.waits.get(m.reqId);
    if (!w) return;
    this.waits.delete(m.reqId);
    if (m.ok) w.resolve(m);
    else w.reject(new Error(m.error));
  }

  /** A dataset file as text, asked of the page once per file. */
  source(ref: DataFileRef): Promise<DataSource> {
    const key = ref.source === 'builtin' ? `builtin:${ref.name}` : `uploaded:${ref.id}`;
    let p = this.loaded.get(key);
    if (!p) {
      p = this.ask(ref).then(({ bytes, format }) => ({ name: ref.name, text: new TextDecoder().decode(bytes), format }));
      this.loaded.set(key, p);
      p.catch(() => this.loaded.delete(key));
    }
    return p;
  }

  /**
   * A graph's data ref: a built-in dataset by name, or an input dataset by the version id the
   * page named for it in `datasets`; none named throws `missing(name)`.
   */
  dataRef(ref: { builtin?: string; input?: string }, datasets: Record<string, string>, missing: (name: string) => string): Promise<DataSource> {
    if (ref.builtin) return this.source({ source: 'builtin', name: ref.builtin });
    const name = ref.input ?? '';
    const id = Object.hasOwn(datasets, name) ? datasets[name] : undefined;
    if (!id) return Promise.reject(new Error(missing(name)));
    return this.source({ source: 'uploaded', id, name });
  }

  private ask(ref: DataFileRef): Promise<Extract<DataResult, { ok: true }>> {
    return new Promise((resolve, reject) => {
      const reqId = ++this.seq;
      this.waits.set(reqId, { resolve, reject });
      this.post({ type: 'data', reqId, ref });
    });
  }
}
