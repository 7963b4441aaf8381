import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejectedKilnError } from '../test-utils';
import { sha256Hex } from './hash';
import { listBuiltinDatasets, loadBuiltinDataset, readDataFile } from './node';

describe('built-in datasets', () => {
  it('lists only CSV and JSON files of vega-datasets', async () => {
    const all = await listBuiltinDatasets();
    const files = all.map((d) => d.file);
    expect(files).toContain('cars.json');
    expect(files).toContain('seattle-weather.csv');
    expect(files.some((f) => f.endsWith('.parquet') || f.endsWith('.png') || f.endsWith('.tsv'))).toBe(false);
    expect(all.find((d) => d.file === 'cars.json')).toMatchObject({ name: 'cars', format: 'json' });
    expect(all.every((d) => d.bytes > 0)).toBe(true);
  });

  it('loads by bare name or file name, with the file as display name', async () => {
    const cars = await loadBuiltinDataset('cars');
    expect(cars.name).toBe('cars.json');
    expect(cars.format).toBe('json');
    // sha256 of the package's cars.json, computed with Python's hashlib.
    expect(sha256Hex(cars.text)).toBe('f686a53678b21f4231e2f6a5ba7ce5761d9d39204fccdea1caa29fb8c460e319');
    expect((await loadBuiltinDataset('cars.json')).text).toBe(cars.text);
    const sw = await loadBuiltinDataset('seattle-weather');
    expect(sw).toMatchObject({ name: 'seattle-weather.csv', format: 'csv' });
    expect(sw.text.startsWith('date,precipitation,temp_max,temp_min,wind,weather')).toBe(true);
  });

  it('rejects unknown names and anything that looks like a path', async () => {
    for (const bad of ['nope', '../package', 'data/cars', '..', 'cars.parquet', 'flights-3m.parquet', '7zip.png', '', '/etc/passwd', 'cars\\x']) {
      const e = await rejectedKilnError(loadBuiltinDataset(bad));
      expect(e.code).toBe('UNKNOWN_DATASET');
      expect(e.message).toContain(JSON.stringify(bad));
      expect(e.message).toContain('cars, penguins, seattle-weather');
    }
  });
});

describe('readDataFile', () => {
  it('reads CSV and JSON by extension and names the source by its base name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-data-'));
    await writeFile(join(dir, 'a.CSV'), 'x,y\n1,2\n');
    await writeFile(join(dir, 'b.json'), '[{"x":1}]');
    expect(await readDataFile(join(dir, 'a.CSV'))).toEqual({ name: 'a.CSV', text: 'x,y\n1,2\n', format: 'csv' });
    expect(await readDataFile(join(dir, 'b.json'))).toMatchObject({ name: 'b.json', format: 'json' });
  });

  it('names the file when it is missing, unreadable or unsupported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-data-'));
    const missing = join(dir, 'missing.csv');
    const e1 = await rejectedKilnError(readDataFile(missing));
    expect(e1.code).toBe('FILE_NOT_FOUND');
    expect(e1.message).toBe(`${missing}: no such file`);
    await mkdir(join(dir, 'dir.json'));
    const e2 = await rejectedKilnError(readDataFile(join(dir, 'dir.json')));
    expect(e2.code).toBe('FILE_UNREADABLE');
    expect(e2.message).toContain('dir.json: cannot read (is a directory)');
    const e3 = await rejectedKilnError(readDataFile(join(dir, 'x.parquet')));
    expect(e3.code).toBe('UNSUPPORTED_FORMAT');
    expect(e3.message).toContain('x.parquet: unsupported data file extension .parquet');
    expect((await rejectedKilnError(readDataFile('noext'))).message).toContain('extension (none)');
  });
});
