/** What every API handler works with. */
import type { Db } from '../db/client';
import type { ArtifactStore } from '../storage/types';
import type { ApiConfig } from './config';

export interface ApiContext {
  db: Db;
  store: ArtifactStore;
  config: ApiConfig;
  /** where internal errors are logged (default: stderr) */
  log?: (message: string) => void;
}
