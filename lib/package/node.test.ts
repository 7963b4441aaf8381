import * as tf from '@tensorflow/tfjs';
import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackageDir, writePackageDir } from './node';
import { MANIFEST_FILE, buildPackage, PackagePredictor, validatePackage, type PackageFiles, type RegressionPrediction } from './package';
import { editJson, makeTrained, rawRecords } from './test-utils';

const opts = { name: 'cars', kilnVersion: '0.1.0-test', lineage: { graphHash: 'g', backend: 'cpu', device: 'cpu' } };
let root: string;
let files: PackageFiles;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'kiln-pkg-'));
  files = buildPackage(await makeTrained(tf, { task: 'regression' }), opts);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writePackageDir / readPackageDir', () => {
  it('round-trips: write, read, predict equals predicting from memory', async () => {
    const dir = path.join(root, 'rt', 'pkg');
    await writePackageDir(dir, files);
    expect((await readdir(path.join(root, 'rt'))).sort()).toEqual(['pkg']); // no temp dirs left
    const back = await readPackageDir(dir);
    expect([...back.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [k, v] of files) expect(back.get(k)).toEqual(v);

    const before = tf.memory().numTensors;
    const a = await PackagePredictor.load(tf, files);
    const b = await PackagePredictor.load(tf, back);
    const pa = (await a.predict(rawRecords())) as RegressionPrediction[];
    const pb = (await b.predict(rawRecords())) as RegressionPrediction[];
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(pb).toEqual(pa);
    expect(pb.every((r) => Number.isFinite(r.prediction))).toBe(true);
  });

  it('refuses a non-empty directory unless overwrite, then replaces it whole', async () => {
    const dir = path.join(root, 'ow');
    await mkdir(dir);
    await writeFile(path.join(dir, 'old.txt'), 'old');
    await expect(writePackageDir(dir, files)).rejects.toMatchObject({ code: 'PACKAGE_EXISTS', message: expect.stringContaining('not empty') });
    expect(await readdir(dir)).toEqual(['old.txt']);

    await writePackageDir(dir, files, { overwrite: true });
    expect((await readdir(dir)).sort()).toEqual(['kiln-model.json', 'models']);
    expect((await readdir(root)).filter((n) => n.startsWith('ow.'))).toEqual([]);
    const renamed = editJson(files, MANIFEST_FILE, (m) => (m.name = 'cars-v2'));
    await writePackageDir(dir, renamed, { overwrite: true });
    const v = validatePackage(await readPackageDir(dir));
    expect(v.ok && v.manifest.name).toBe('cars-v2');
  });

  it('writes into an existing empty directory', async () => {
    const dir = path.join(root, 'empty');
    await mkdir(dir);
    await writePackageDir(dir, files);
    expect(validatePackage(await readPackageDir(dir)).ok).toBe(true);
  });

  it('never writes an invalid package', async () => {
    const dir = path.join(root, 'bad');
    const bad = editJson(files, MANIFEST_FILE, (m) => (m.members[0].path = '../../outside.json'));
    await expect(writePackageDir(dir, bad)).rejects.toMatchObject({ code: 'PACKAGE_UNSAFE_PATH' });
    expect((await readdir(root)).filter((n) => n.startsWith('bad'))).toEqual([]);
  });

  it('reports a missing directory or manifest naming the directory', async () => {
    const missing = path.join(root, 'nope');
    await expect(readPackageDir(missing)).rejects.toMatchObject({ code: 'PACKAGE_NOT_FOUND', message: `${missing}: no such directory` });
    const dir = path.join(root, 'nomanifest');
    await mkdir(dir);
    await expect(readPackageDir(dir)).rejects.toMatchObject({ code: 'PACKAGE_NOT_FOUND', message: `${dir}: kiln-model.json is missing (not a Kiln model package)` });
  });

  it('reads only files the manifest lists and skips paths outside the package', async () => {
    const dir = path.join(root, 'extra');
    await writePackageDir(dir, files);
    await writeFile(path.join(dir, 'notes.txt'), 'hello');
    await writeFile(path.join(root, 'secret.json'), '{"secret": true}');
    expect((await readPackageDir(dir)).has('notes.txt')).toBe(false);

    // A manifest pointing outside: the reader does not follow it; validation then names it.
    const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8'));
    manifest.members[0].path = '../secret.json';
    await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
    const back = await readPackageDir(dir);
    expect([...back.keys()]).toEqual([MANIFEST_FILE]);
    const v = validatePackage(back);
    expect(!v.ok && v.error.message).toBe('kiln-model.json: members[0].path "../secret.json" escapes the package');
  });

  it('refuses symbolic links inside the package', async () => {
    const dir = path.join(root, 'links');
    await writePackageDir(dir, files);
    const w = path.join(dir, 'models', '0', 'weights.bin');
    await rm(w);
    await symlink(path.join(root, 'secret.json'), w);
    await expect(readPackageDir(dir)).rejects.toMatchObject({ code: 'PACKAGE_SYMLINK', message: `${dir}: models/0/weights.bin is a symbolic link; packages may not contain links` });

    // A linked directory on the way is refused too.
    const dir2 = path.join(root, 'links2');
    await writePackageDir(dir2, files);
    await rm(path.join(dir2, 'models'), { recursive: true });
    await symlink(path.join(dir, 'models'), path.join(dir2, 'models'));
    await expect(readPackageDir(dir2)).rejects.toMatchObject({ code: 'PACKAGE_SYMLINK', message: expect.stringContaining('models is a symbolic link') });
  });

  it('caps the bytes read', async () => {
    const dir = path.join(root, 'cap');
    await writePackageDir(dir, files);
    await expect(readPackageDir(dir, { maxBytes: 100 })).rejects.toMatchObject({ code: 'PACKAGE_TOO_LARGE', message: expect.stringContaining('kiln-model.json') });
  });
});
