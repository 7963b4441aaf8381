import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** Kiln's version, from package.json: recorded in every model package's lineage. */
export const KILN_VERSION: string = (require('../../package.json') as { version: string }).version;
