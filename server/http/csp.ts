/**
 * The studio's Content-Security-Policy (issue 11): a studio page runs only the scripts, workers
 * and WebAssembly that Kiln serves itself, so markup that slips into a page (a dataset's column
 * name, a notebook output) cannot run script or pull code from elsewhere, and no other site can
 * frame the studio.
 *
 * Two policies, because Chromium gives a dedicated worker started from a same-origin URL the
 * policy of the worker script's own response, not the page's:
 *
 * - a page (every UI answer outside `/_next/static/`) gets {@link pagePolicy} with a nonce made
 *   for that request. Next reads the nonce from the *request's* `content-security-policy` header
 *   and puts it on the inline bootstrap scripts it renders; pages are rendered per request
 *   (app/layout.tsx) because a page prerendered at build time has no nonce to carry.
 * - Next's static files get {@link WORKER_POLICY}: the notebook kernel and the browser run worker
 *   are started from them and run the user's own code (cells, custom node kinds) with `Function`,
 *   so they need `'unsafe-eval'`, which the page never gets; they may still only reach this
 *   origin, so a notebook someone shared cannot send a project's data elsewhere.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { servingBase } from '../../components/endpoints/serving-url';

type Policy = Readonly<Record<string, readonly string[]>>;

function serialize(policy: Policy): string {
  return Object.entries(policy)
    .map(([directive, sources]) => [directive, ...sources].join(' '))
    .join('; ');
}

/** What neither a page nor a worker may do, whatever else it needs. */
const BASE: Policy = {
  'default-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** 128 random bits, base64 (the alphabet Next's nonce parser accepts). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * A studio page's policy. `connect` adds origins the page calls besides its own: the serving
 * process, whose endpoints the Endpoints tab's "Try it" form calls from the browser.
 */
export function pagePolicy(nonce: string, connect: readonly string[] = []): string {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(nonce)) throw new Error(`CSP nonce must be base64, got "${nonce}"`);
  return serialize({
    ...BASE,
    // Next's scripts carry the nonce, and 'strict-dynamic' trusts what they load (the chunks of
    // Monaco, vega, the canvas) but no parser-inserted script without the nonce, even from this
    // origin. Browsers that know 'strict-dynamic' ignore 'self'; older ones fall back to it.
    // No eval: zod runs jitless in the page (instrumentation-client.ts) and vega interprets its
    // expressions (ChartOutput). No 'wasm-unsafe-eval': tfjs runs WebAssembly in the workers only.
    'script-src': ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"],
    // The kernel, the run worker and Monaco's workers are scripts of this origin, not blob: URLs.
    'worker-src': ["'self'"],
    // Monaco and vega-embed add <style> elements and React Flow renders style attributes; style
    // cannot run script.
    'style-src': ["'self'", "'unsafe-inline'"],
    // data: for Monaco's icons (data: images in its CSS) and the canvas' PNG export (html-to-image
    // draws the graph through a data: SVG image).
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...connect],
  });
}

/**
 * The policy of a script that runs as a dedicated worker: chunks from this origin only, `Function`
 * for the user's code (notebook cells, custom node kinds: the point of those workers), tfjs's wasm
 * binaries ('unsafe-eval' covers WebAssembly too; 'wasm-unsafe-eval' keeps it named should eval
 * ever go), and nothing but this origin to talk to.
 */
export const WORKER_POLICY = serialize({
  ...BASE,
  'script-src': ["'self'", "'unsafe-eval'", "'wasm-unsafe-eval'"],
  'worker-src': ["'self'"],
  'connect-src': ["'self'"],
});

/** `location.hostname` of a page answered for this Host header (`[::1]:3000` → `[::1]`). */
function pageHostname(host: string | undefined): string | null {
  if (!host) return null;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}

export interface CspOptions {
  /** the serving process's URL, as the studio's endpoint snippets show it */
  servingUrl?: string;
}

/**
 * Sets the policy of one studio answer: {@link WORKER_POLICY} on Next's static files, else a page
 * policy with a fresh nonce, on the response and on the request (where Next reads the nonce).
 */
export function applyCsp(req: IncomingMessage, res: ServerResponse, opts: CspOptions = {}): void {
  if ((req.url ?? '/').startsWith('/_next/static/')) {
    res.setHeader('content-security-policy', WORKER_POLICY);
    return;
  }
  const connect = opts.servingUrl ? [servingBase(opts.servingUrl, pageHostname(req.headers.host))] : [];
  const policy = pagePolicy(newNonce(), connect.filter((o) => /^https?:\/\/[^\s;,]+$/.test(o)));
  req.headers['content-security-policy'] = policy;
  res.setHeader('content-security-policy', policy);
}

/** `handle` (Next's request handler) with {@link applyCsp} before it. */
export function withCsp<T>(handle: (req: IncomingMessage, res: ServerResponse) => Promise<T>, opts: CspOptions = {}) {
  return (req: IncomingMessage, res: ServerResponse): Promise<T> => {
    applyCsp(req, res, opts);
    return handle(req, res);
  };
}
