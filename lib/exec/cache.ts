import type { PortValues } from '../nodes/types';

/**
 * Per-node result cache keyed by the node's hash (kind, params, seed, input hashes, data hashes).
 * Values are plain data (no tensors), so holding them costs no GPU memory and nothing to dispose.
 * Bounded (LRU) so a long studio session does not grow without limit.
 */
export class ExecCache {
  private readonly map = new Map<string, PortValues>();
  hits = 0;
  misses = 0;
  constructor(private readonly maxEntries = 256) {}

  get(key: string): PortValues | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
      this.hits++;
    } else this.misses++;
    return v;
  }

  set(key: string, value: PortValues): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}
