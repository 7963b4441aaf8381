/**
 * The process's configuration: `process.env` parsed once by the schema in ./env.ts. This folder
 * is the only place in `server/` that reads `process.env`; everything else gets settings from
 * {@link getConfig} (entry points) or as arguments (everything they call).
 */
import { loadConfig, type KilnConfig } from './env';

export * from './env';

let cached: KilnConfig | undefined;

/**
 * The configuration of this process, parsed from `process.env` on the first call.
 * @throws {ConfigError} one line naming each variable with a bad value
 */
export function getConfig(): KilnConfig {
  cached ??= loadConfig(process.env);
  return cached;
}

/**
 * The environment for a child process of ours (the local runner and serving process, the
 * re-executed `kiln serve`): this process's own, plus `extra`. Children parse it themselves.
 */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
