/**
 * The CLI's credentials: `KILN_TOKEN`, else the token `kiln login --server URL` stored for that
 * server in `$XDG_CONFIG_HOME/kiln/credentials.json` (default `~/.config/kiln/`, mode 0600).
 * Every command that talks to a server sends it as `Authorization: Bearer …`.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { getConfig } from '../config';

export interface StoredCredentials {
  version: 1;
  /** server origin → its token and who it belongs to */
  servers: Record<string, { token: string; email?: string; savedAt: string }>;
}

/** Where `kiln login` keeps tokens. */
export function credentialsPath(): string {
  const base = getConfig().system.xdgConfigHome ?? join(homedir(), '.config');
  return join(base, 'kiln', 'credentials.json');
}

/** A server URL's key in the file: its origin. */
export function serverKey(server: string): string {
  try {
    return new URL(server).origin;
  } catch {
    return server.replace(/\/+$/, '');
  }
}

function readStored(): StoredCredentials {
  try {
    const j = JSON.parse(readFileSync(credentialsPath(), 'utf8')) as StoredCredentials;
    return j && typeof j === 'object' && j.servers ? j : { version: 1, servers: {} };
  } catch {
    return { version: 1, servers: {} };
  }
}

/** The token for `server`: `KILN_TOKEN` wins, then the stored one; undefined when neither. */
export function tokenFor(server: string): string | undefined {
  return getConfig().auth.cliToken ?? readStored().servers[serverKey(server)]?.token;
}

/** Headers that authenticate a request to `server` (empty without a token). */
export function authHeaders(server: string): Record<string, string> {
  const t = tokenFor(server);
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** Stores (or, with `token` null, forgets) the token for `server`, atomically, readable by the user only. */
export async function saveToken(server: string, token: string | null, email?: string): Promise<string> {
  const path = credentialsPath();
  let stored: StoredCredentials;
  try {
    stored = JSON.parse(await readFile(path, 'utf8')) as StoredCredentials;
    if (!stored?.servers) stored = { version: 1, servers: {} };
  } catch {
    stored = { version: 1, servers: {} };
  }
  const key = serverKey(server);
  if (token === null) delete stored.servers[key];
  else stored.servers[key] = { token, ...(email ? { email } : {}), savedAt: new Date().toISOString() };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}
