#!/usr/bin/env node
// Entry point for `npx kiln`: registers tsx so the TypeScript sources run as they are, the
// same modules the studio and the runner import.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
