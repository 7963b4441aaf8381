/**
 * Studio responsiveness: `npm run bench:studio [-- --write-docs] [--loads N]`.
 *
 * Needs a production build (`npm run build`). Starts Kiln's server on a scratch data dir and
 * drives Debian's Chromium with Playwright:
 *
 * 1. **Cold first load to interactive.** N times, a fresh browser context (empty cache) opens
 *    `/`; "interactive" is when the hydrated page has fetched and rendered the project list
 *    (a project link is visible and clicking a sample radio button changes the selection, which
 *    only hydrated React can do). Also records FCP, DOMContentLoaded, and the JavaScript the
 *    first page downloads, and checks that no script of it contains tfjs or Monaco.
 * 2. **Canvas with 300 nodes.** A project whose graph has 300 nodes (100 chains of
 *    dataset → select_columns → standard_scale) opens on the canvas; one node is dragged across
 *    the view in 120 mouse moves while a requestAnimationFrame loop records frame times. Then
 *    the same with a selection of 50 nodes.
 *
 * Prints a markdown table; `--write-docs` replaces the bench:studio section of
 * docs/benchmarks.md.
 */
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { benchTrpc, CHROMIUM_ARGS, ROOT, median, signedInContext, startServer, stopServer, writeDocsSection } from './studio-harness';

const args = process.argv.slice(2);
const WRITE_DOCS = args.includes('--write-docs');
const LOADS = Number(args[args.indexOf('--loads') + 1] ?? 0) || 7;
const PORT = 3180;
const DATA = resolve(ROOT, '.data/bench-studio');
const BASE = `http://localhost:${PORT}`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function trpc(path: string, input: unknown): Promise<unknown> {
  return benchTrpc(BASE, path, input);
}

/** 100 independent chains dataset → select_columns → standard_scale, laid out on a grid. */
function bigGraph() {
  const nodes = [];
  const edges = [];
  for (let i = 0; i < 100; i++) {
    const y = (i % 25) * 90;
    const x0 = Math.floor(i / 25) * 760;
    nodes.push({ id: `d${i}`, kind: 'dataset', params: { source: 'builtin', name: 'cars', target: 'Miles_per_Gallon' }, position: { x: x0, y } });
    nodes.push({ id: `s${i}`, kind: 'select_columns', params: { columns: ['Horsepower', 'Weight_in_lbs'] }, position: { x: x0 + 250, y } });
    nodes.push({ id: `z${i}`, kind: 'standard_scale', params: {}, position: { x: x0 + 500, y } });
    edges.push({ source: `d${i}`, sourcePort: 'data', target: `s${i}`, targetPort: 'data' });
    edges.push({ source: `s${i}`, sourcePort: 'data', target: `z${i}`, targetPort: 'data' });
  }
  return { version: 1, name: '300 nodes', seed: 42, nodes, edges };
}

async function coldLoad(browser: Browser) {
  const ctx = await signedInContext(browser, BASE, { viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const scripts: { url: string; bytes: number; body: string }[] = [];
  page.on('response', async (r) => {
    if (r.request().resourceType() !== 'script') return;
    const body = await r.text().catch(() => '');
    scripts.push({ url: r.url(), bytes: Buffer.byteLength(body), body });
  });
  const t0 = Date.now();
  await page.goto(`${BASE}/`);
  await page.locator('.project-link').first().waitFor();
  // Only hydrated React changes the selected sample.
  await page.getByRole('radio').nth(1).click();
  await page.locator('.sample-card.selected', { hasText: 'Penguins' }).waitFor();
  const interactiveMs = Date.now() - t0;
  const timing = (await page.evaluate(`(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : NaN };
  })()`)) as { dcl: number; load: number; fcp: number };
  await ctx.close();
  const jsBytes = scripts.reduce((s, x) => s + x.bytes, 0);
  const heavy = scripts.filter((s) => /tfjs|@tensorflow|registerKernel|monaco-editor|MonacoEnvironment/.test(s.body)).map((s) => s.url);
  return { interactiveMs, ...timing, jsBytes, scripts: scripts.length, heavy };
}

async function frameTimesWhileDragging(page: Page, selector: string, moves: number): Promise<number[]> {
  const box = (await page.locator(selector).first().boundingBox())!;
  // A string, not a function: tsx's transform would add helpers the page does not have.
  await page.evaluate(`(() => {
    window.__frames = [];
    window.__stop = false;
    let last = performance.now();
    const tick = (t) => {
      window.__frames.push(t - last);
      last = t;
      if (!window.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= moves; i++) {
    await page.mouse.move(x + Math.sin(i / 10) * 60, y + (Math.cos(i / 12) - 1) * 40);
  }
  await page.mouse.up();
  return page.evaluate(`(() => { window.__stop = true; return window.__frames.slice(1); })()`) as Promise<number[]>;
}

async function main() {
  const server = await startServer(PORT, DATA);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    // Warm the server's own caches (Next's first render of each route) so loads measure the browser.
    await fetch(`${BASE}/`).then((r) => r.text());
    const loads = [];
    for (let i = 0; i < LOADS; i++) loads.push(await coldLoad(browser));
    const heavy = [...new Set(loads.flatMap((l) => l.heavy))];

    await trpc('projects.create', { name: 'bench-300' });
    await trpc('graphs.putDraft', { projectName: 'bench-300', graph: bigGraph() });
    const ctx = await signedInContext(browser, BASE, { viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const t0 = Date.now();
    await page.goto(`${BASE}/projects/bench-300/canvas`);
    await page.locator('.react-flow__node').first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length >= 300 || document.querySelectorAll('.react-flow__node').length > 0);
    const canvasOpenMs = Date.now() - t0;
    await page.getByRole('button', { name: 'Fit view' }).click();
    await page.waitForTimeout(500);
    const rendered = await page.locator('.react-flow__node').count();
    const single = await frameTimesWhileDragging(page, '.react-flow__node[data-id="s62"]', 120);
    // Select every node (Ctrl+A on the canvas) and drag them all together.
    await page.getByRole('button', { name: 'Fit view' }).click();
    await page.waitForTimeout(500);
    await page.keyboard.press('Control+a');
    await page.locator('.react-flow__node.selected').first().waitFor().catch(async (e: unknown) => {
      await page.screenshot({ path: '/tmp/bench-studio-fail.png' });
      throw e;
    });
    const n = await page.locator('.react-flow__node.selected').count();
    const multi = await frameTimesWhileDragging(page, '.react-flow__node.selected[data-id="s63"]', 120);
    await ctx.close();

    const date = new Date().toISOString().slice(0, 10);
    const machine = `${cpus().length} vCPU ${cpus()[0]?.model.trim() ?? ''}, ${Math.round(totalmem() / 2 ** 30)} GiB, no GPU; Chromium ${browser.version()} headless`;
    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
    const lines = [
      `## Studio: first load and canvas responsiveness (${date})`,
      '',
      '`npm run bench:studio` (`bench/studio.ts`), production build, Kiln server on',
      `127.0.0.1, ${machine}. Viewport 1280×800.`,
      '',
      `**Cold first load of \`/\`** (${LOADS} loads, each in a fresh browser context with an empty cache):`,
      '',
      '| measure | median | worst |',
      '|---|---:|---:|',
      `| first contentful paint (ms) | ${fmt(median(loads.map((l) => l.fcp)))} | ${fmt(Math.max(...loads.map((l) => l.fcp)))} |`,
      `| DOMContentLoaded (ms) | ${fmt(median(loads.map((l) => l.dcl)))} | ${fmt(Math.max(...loads.map((l) => l.dcl)))} |`,
      `| interactive: projects listed and a click handled (ms) | ${fmt(median(loads.map((l) => l.interactiveMs)))} | ${fmt(Math.max(...loads.map((l) => l.interactiveMs)))} |`,
      `| JavaScript downloaded (KiB, uncompressed) | ${fmt(median(loads.map((l) => l.jsBytes / 1024)))} | |`,
      '',
      heavy.length ? `**tfjs or Monaco found in the first page's scripts:** ${heavy.join(', ')}` : 'No script of the first page contains tfjs or Monaco (they load with the canvas run worker and the notebook only).',
      '',
      `**Canvas with 300 nodes** (100 chains of 3; ${rendered} node elements rendered; opened in ${canvasOpenMs} ms). Frame times from requestAnimationFrame while dragging with 120 mouse moves:`,
      '',
      '| drag | frames | median frame (ms) | p95 (ms) | worst (ms) |',
      '|---|---:|---:|---:|---:|',
      `| one node | ${single.length} | ${fmt(median(single))} | ${fmt(pct(single, 95))} | ${fmt(Math.max(...single))} |`,
      `| ${n} selected nodes | ${multi.length} | ${fmt(median(multi))} | ${fmt(pct(multi, 95))} | ${fmt(Math.max(...multi))} |`,
      '',
    ];
    const md = lines.join('\n');
    process.stdout.write(`${md}\n`);
    if (WRITE_DOCS) writeDocsSection('## Studio: first load and canvas responsiveness', md);
    if (heavy.length) process.exitCode = 1;
  } finally {
    await browser.close();
    stopServer(server);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:studio: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
