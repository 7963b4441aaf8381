import { readFile } from 'node:fs/promises';
import { KilnError } from '../../lib/errors';

/** Reads and parses a JSON file, failing with one line that names it. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new KilnError('FILE_NOT_FOUND', `${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: path });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new KilnError('BAD_JSON', `${path}: invalid JSON (${(e as Error).message})`, { file: path });
  }
}


/** The base URL from `--server`, or a one-line error naming the flag. */
export function serverBase(server: string): string {
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    throw new KilnError('BAD_OPTION', `--server must be a URL such as http://127.0.0.1:3000, got "${server}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new KilnError('BAD_OPTION', `--server must be an http(s) URL, got "${server}"`);
  return u.origin + u.pathname.replace(/\/+$/, '');
}
