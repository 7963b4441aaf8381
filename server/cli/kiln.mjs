#!/usr/bin/env node
// Entry point for `npx kiln`: registers tsx so the TypeScript sources run as they are, the
// same modules the studio and the runner import.
import { register } from 'tsx/esm/api';

// A stray rejection must still end as one line, not a dump of a minified tfjs bundle.
const oneLine = (e) => {
  process.stderr.write(`kiln: internal error: ${String(e?.message ?? e).split('\n')[0].slice(0, 500)}${process.argv.includes('--verbose') && e?.stack ? `\n${e.stack}` : ''}\n`);
  process.exit(1);
};
process.on('unhandledRejection', oneLine);
process.on('uncaughtException', oneLine);

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
