/**
 * The server's settings and flags (`server/main.ts`), read before anything heavy is loaded so a bad
 * flag, a bad variable or a data directory in use is refused in one line within a second.
 */
import { parseArgs } from 'node:util';
import { getConfig, parseSetting, type KilnConfig } from './config';

export function fail(message: string): never {
  process.stderr.write(`kiln server: error: ${message}\n`);
  process.exit(1);
}

/** The settings (server/config), refused in one line when a variable has a bad value. */
export function settings(): KilnConfig {
  try {
    return getConfig();
  } catch (e) {
    fail((e as Error).message);
  }
}

/** Flags win over the environment; both go through the same parser. */
export function parseFlags(argv: string[], config: KilnConfig) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'no-ui': { type: 'boolean', default: false },
        'local-runner': { type: 'boolean' },
        'no-local-runner': { type: 'boolean' },
        'serving-port': { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  const flag = <T>(text: string | undefined, parse: (s: string) => T, dflt: T): T => {
    if (text === undefined) return dflt;
    try {
      return parse(text);
    } catch (e) {
      fail((e as Error).message);
    }
  };
  return {
    port: flag(values.port, (s) => parseSetting('PORT', s, '--port'), config.port),
    servingPort: flag(values['serving-port'], (s) => parseSetting('KILN_SERVING_PORT', s, '--serving-port'), config.serving.port),
    // Loopback by default: exposing the server is a choice (set KILN_PUBLIC_URL behind a TLS proxy).
    host: flag(values.host, (s) => parseSetting('HOST', s, '--host'), config.host),
    dataDir: values['data-dir'] ?? config.dataDir,
    ui: !values['no-ui'],
    localRunner: values['no-local-runner'] ? false : (values['local-runner'] ?? false),
  };
}

export type ServerFlags = ReturnType<typeof parseFlags>;
