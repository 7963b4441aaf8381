/** The notebook runtime's public shapes (Contract C): what hosts pass in and get back. */
import type * as tfNs from '@tensorflow/tfjs';
import type { CellOutput } from './schema';

export type CellStatus = 'idle' | 'queued' | 'running' | 'done' | 'error' | 'stale';

/** What the kernel reports about a cell after every change (Contract C). */
export interface CellUpdate {
  id: string;
  status: CellStatus;
  version: number;
  outputs: CellOutput[];
  defines: string[];
  uses: string[];
  error?: string;
  ms?: number;
  /** TypeScript types of the defined names' values after the last finished run (editor hints) */
  types?: Record<string, string>;
}

export interface CellInput {
  id: string;
  source: string;
  manual: boolean;
}

/** What a cell run gives the builtins factory: its id, its signal, and a progress sink. */
export interface CellContext {
  cellId: string;
  signal: AbortSignal;
  /** appends one point to the cell's streamed `progress` output */
  progress(point: Record<string, number>): void;
}

export interface RuntimeOptions {
  tf: typeof tfNs;
  /** names every cell can read without defining them (e.g. `kiln`, `tf`), made per run */
  builtins(ctx: CellContext): Record<string, unknown>;
  /** what `import … from 'module'` reads, made per run */
  modules?(ctx: CellContext, builtins: Record<string, unknown>): Record<string, unknown>;
  onUpdate(u: CellUpdate): void;
  onStatus?(busy: boolean): void;
  /** a name no cell defines but the host's global scope has (e.g. `location`) passes through */
  globalScope?: Record<string, unknown>;
}
