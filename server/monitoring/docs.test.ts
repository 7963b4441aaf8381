/**
 * docs/monitoring.md's examples, run: every rule parses to the canonical text shown; every CLI
 * line is accepted by the real `kiln` argument parser and gets as far as calling the server; the
 * refusal quoted is the one given; the rules file shown is what `prometheusRules` writes; the
 * scrape config points at the real route. (The webhook body is compared with a real delivery
 * in ./alerts.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatAlertRule, parseAlertRule } from '../../lib/alerts/rule';
import { main } from '../cli/main';
import { ROUTES } from '../http/router';
import { freePort, REPO } from '../runner/harness';
import { prometheusRules } from './prometheus';

const doc = readFileSync(join(REPO, 'docs/monitoring.md'), 'utf8');

/** The fenced blocks of a language. */
function blocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** Shell words of a line: blanks split, single and double quotes group. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

describe('docs/monitoring.md', () => {
  it('every rule example parses to the canonical text shown', () => {
    const lines = blocks(doc, 'rules').join('').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(9);
    for (const l of lines) {
      const [text, canonical] = l.split('→').map((s) => s.trim());
      expect(formatAlertRule(parseAlertRule(text!)), text).toBe(canonical);
    }
    expect(() => parseAlertRule('speed > 3')).toThrow('alert rule "speed > 3": unknown metric "speed" (known: r2, accuracy,');
    expect(doc).toContain('`alert rule "speed > 3": unknown metric "speed" (known: r2, accuracy, …)`');
  });

  it('every CLI example is accepted by kiln and reaches for the server', async () => {
    const lines = blocks(doc, 'sh').join('').trim().split('\n');
    expect(lines.length).toBe(5);
    const closed = `http://127.0.0.1:${await freePort()}`;
    for (const l of lines) {
      const argv = words(l);
      expect(argv[0]).toBe('kiln');
      const args = argv.slice(1).map((a) => (a === 'http://127.0.0.1:3000' ? closed : a));
      let out = '';
      let err = '';
      const code = await main(args, { out: (s) => ((out += s), true), err: (s) => ((err += s), true) });
      // Exit 1 with "cannot reach": the arguments parsed (a usage error is exit 2) and the command ran.
      expect([l, code], err).toEqual([l, 1]);
      expect(`${out}${err}`, l).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    }
  }, 60_000);

  it('the rules file shown is what kiln monitor export writes for those rules', () => {
    const shown = blocks(doc, 'yaml').find((b) => b.startsWith('# Generated'))!;
    const r = (t: string) => {
      const s = parseAlertRule(t);
      return { endpoint: 'cars', rule: formatAlertRule(s), condition: s.condition, window: s.window };
    };
    expect(prometheusRules([r('stale_model > 60d'), r('mape > 0.45 over 24h')])).toBe(shown);
  });

  it('the scrape config parses and points at the real routes', () => {
    const cfg = parse(blocks(doc, 'yaml').find((b) => b.startsWith('scrape_configs'))!) as { scrape_configs: { job_name: string; metrics_path?: string }[] };
    const path = cfg.scrape_configs.find((j) => j.job_name === 'kiln-monitoring')!.metrics_path!;
    expect(ROUTES.some((r) => r.pattern.test(path))).toBe(true);
    expect(cfg.scrape_configs.find((j) => j.job_name === 'kiln-serving')!.metrics_path).toBeUndefined();
  });
});
