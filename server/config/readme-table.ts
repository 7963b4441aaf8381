/**
 * README's table of environment variables, generated from the schema (./env.ts) so it cannot
 * miss one: `npx tsx server/config/readme-table.ts` rewrites it in place, and
 * readme-table.test.ts fails when README and the schema disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_VARS, type EnvName, type EnvVar } from './env';

export const README = join(dirname(fileURLToPath(import.meta.url)), '../../README.md');
export const TABLE_START = '<!-- env-table: generated from server/config/env.ts by `npx tsx server/config/readme-table.ts`; edit it there -->';
export const TABLE_END = '<!-- /env-table -->';

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** Wraps prose at README's width. */
function wrap(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** The variables README's table lists: every one but the platform's own (PATH, USER …). */
export function documentedVars(): EnvName[] {
  return (Object.entries(ENV_VARS) as [EnvName, EnvVar][]).filter(([, v]) => v.group !== 'system').map(([name]) => name);
}

/** The generated block: the table, then one line naming the platform variables Kiln also reads. */
export function envTableBlock(): string {
  const rows = documentedVars().map((name) => {
    const v: EnvVar = ENV_VARS[name];
    return `| \`${name}\` | ${cell(v.default)} | ${cell(v.meaning)} |`;
  });
  const system = (Object.entries(ENV_VARS) as [EnvName, EnvVar][]).filter(([, v]) => v.group === 'system').map(([name]) => `\`${name}\``);
  return [
    TABLE_START,
    '| variable | default | meaning |',
    '|---|---|---|',
    ...rows,
    '',
    ...wrap(
      `Kiln also reads ${system.slice(0, -1).join(', ')} and ${system.at(-1)} (the platform's own). An empty value is unset; any other value that does not parse stops the server or the \`kiln\` command at start with one line naming the variable and what it expected.`,
    ),
    TABLE_END,
  ].join('\n');
}

/** README with its generated block replaced by `block`. @throws when the markers are missing */
export function withTable(readme: string, block: string = envTableBlock()): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END} block`);
  return readme.slice(0, start) + block + readme.slice(end + TABLE_END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(README, withTable(readFileSync(README, 'utf8')));
  process.stdout.write(`README.md: ${documentedVars().length} variables\n`);
}
