// The dataset parse worker (./parse-pool.ts): registers tsx so it runs the TypeScript sources
// the control plane runs, then answers one job at a time. Parsing a 200 MB file takes seconds of
// CPU; here it takes them off the control plane's event loop.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { previewDataset, summarizeDataset } = await import('./dataset-summary.ts');

parentPort.on('message', (job) => {
  try {
    const result =
      job.op === 'summary'
        ? summarizeDataset(job.name, job.format, job.bytes)
        : previewDataset(job.name, job.format, job.bytes, job.rows, job.maxCellChars);
    parentPort.postMessage({ id: job.id, result });
  } catch (e) {
    // A KilnError crosses as its parts; anything else as its message (the pool makes it a 500).
    parentPort.postMessage({
      id: job.id,
      error: { name: e?.name, code: e?.code, message: String(e?.message ?? e), where: e?.where, extra: e?.extra, stack: e?.stack },
    });
  }
});
parentPort.postMessage({ ready: true });
