import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from './env';
import { README, TABLE_END, TABLE_START, documentedVars, envTableBlock } from './readme-table';

const readme = readFileSync(README, 'utf8');

/** README's variable rows: name → [default, meaning] as written. */
function readmeRows(): Map<string, [string, string]> {
  const block = readme.slice(readme.indexOf(TABLE_START), readme.indexOf(TABLE_END));
  const rows = new Map<string, [string, string]>();
  for (const line of block.split('\n')) {
    const m = /^\| `([A-Z0-9_]+)` \| (.*?) \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1]!, [m[2]!, m[3]!]);
  }
  return rows;
}

describe("README's variable table", () => {
  it('is there, between its markers', () => {
    expect(readme.indexOf(TABLE_START)).toBeGreaterThan(0);
    expect(readme.indexOf(TABLE_END)).toBeGreaterThan(readme.indexOf(TABLE_START));
  });

  it('lists every variable of the schema and no other', () => {
    const listed = [...readmeRows().keys()];
    const declared = documentedVars();
    expect({ missingFromReadme: declared.filter((n) => !listed.includes(n)), notInSchema: listed.filter((n) => !declared.includes(n as never)) }).toEqual({ missingFromReadme: [], notInSchema: [] });
    // The platform's own variables are named in the line under the table.
    for (const name of Object.keys(ENV_VARS)) expect(readme).toContain(`\`${name}\``);
  });

  it("states each variable's default as the schema declares it", () => {
    const rows = readmeRows();
    for (const name of documentedVars()) expect({ name, default: rows.get(name)?.[0] }).toEqual({ name, default: ENV_VARS[name].default });
  });

  it('is exactly what `npx tsx server/config/readme-table.ts` generates', () => {
    const block = readme.slice(readme.indexOf(TABLE_START), readme.indexOf(TABLE_END) + TABLE_END.length);
    expect(block).toBe(envTableBlock());
  });
});
