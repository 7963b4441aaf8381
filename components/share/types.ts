import type { RouterOutputs } from '../studio/trpc';

/** What `shares.view` answers, by kind. */
export type SharedView = RouterOutputs['shares']['view'];
export type SharedRunView = Extract<SharedView, { run: unknown }>['run'];
export type SharedVersionView = Extract<SharedView, { version: unknown }>['version'];
export type SharedNotebookView = Extract<SharedView, { notebook: unknown }>['notebook'];
