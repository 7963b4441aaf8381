import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../lib/backend/node';
import { KilnError } from '../../lib/errors';
import { PackagePredictor } from '../../lib/package/package';
import { readPackageDir } from '../../lib/package/node';
import { getConfig } from '../config';
import { readJsonFile } from './io';

/** `kiln predict DIR --input records.json`: prints a JSON array of predictions. */
export async function predictCommand(dir: string, o: { input: string; backend: string }, io: { out: (s: string) => void }): Promise<number> {
  const records = await readJsonFile(o.input);
  if (!Array.isArray(records)) throw new KilnError('BAD_INPUT', `${o.input}: expected a JSON array of records`, { file: o.input });
  await initNodeBackend(o.backend as 'webgpu' | 'wasm' | 'cpu' | 'auto', { vulkanIcdFiles: getConfig().vulkanIcdFiles });
  const files = await readPackageDir(dir);
  const predictor = await PackagePredictor.load(tf, files);
  try {
    const out = await predictor.predict(records).catch((e: unknown) => {
      if (e instanceof KilnError) throw new KilnError(e.code, `${o.input}: ${e.message}`, { ...e.where, file: o.input });
      throw e;
    });
    io.out(`${JSON.stringify(out)}\n`);
    return 0;
  } finally {
    predictor.dispose();
  }
}
