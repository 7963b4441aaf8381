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

