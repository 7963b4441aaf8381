/**
 * Runs in the browser before any of the studio's own code. The page's Content-Security-Policy
 * (server/http/csp.ts) has no 'unsafe-eval': zod's object parsers would probe `new Function` when
 * each schema is built, and even a caught probe is reported as a policy violation, so zod parses
 * without compiling here. The workers (whose policy allows eval) and the server keep the compiled path.
 */
import { config } from 'zod';

config({ jitless: true });
