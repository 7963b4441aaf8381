/** `kiln endpoint monitoring`'s drift flags: merged onto the stored settings, bad parts named. */
import { describe, expect, it } from 'vitest';
import { driftFromFlags, endpointMonitoringCommand } from './schema';

describe('driftFromFlags', () => {
  const current = { columns: { Origin: { threshold: 0.01 } }, thresholds: { ks: 0.01 }, shareThreshold: 0.4 };

  it('no drift flag: no change', () => {
    expect(driftFromFlags(current, {})).toBeUndefined();
  });

  it('applies share, per-method thresholds and per-feature method/threshold on top of the stored settings', () => {
    expect(driftFromFlags(current, { driftShare: '0.3', driftThreshold: 'wasserstein=0.2, jensenshannon=0.15', featureDrift: 'Horsepower=wasserstein:0.2,Name=z,Origin=:0.02' })).toEqual({
      columns: { Origin: { threshold: 0.02 }, Horsepower: { method: 'wasserstein', threshold: 0.2 }, Name: { method: 'z' } },
      thresholds: { ks: 0.01, wasserstein: 0.2, jensenshannon: 0.15 },
      shareThreshold: 0.3,
    });
  });

  it('--drift-reset starts from the defaults', () => {
    expect(driftFromFlags(current, { driftReset: true })).toEqual({ columns: {}, thresholds: {} });
    expect(driftFromFlags(current, { driftReset: true, driftThreshold: 'ks=0.001' })).toEqual({ columns: {}, thresholds: { ks: 0.001 } });
  });

  it('names the flag and the bad part', () => {
    expect(() => driftFromFlags({}, { driftThreshold: 'kss=0.1' })).toThrow(/--drift-threshold: expected METHOD=X with a method of ks, wasserstein.*got "kss=0.1"/);
    expect(() => driftFromFlags({}, { driftThreshold: 'ks=-1' })).toThrow(/--drift-threshold ks: expected a positive number, got "-1"/);
    expect(() => driftFromFlags({}, { driftShare: '1.5' })).toThrow(/--drift-share: a share from 0 to 1, got "1.5"/);
    expect(() => driftFromFlags({}, { featureDrift: 'Horsepower' })).toThrow(/--feature-drift: expected NAME=METHOD:THRESHOLD .*got "Horsepower"/);
    expect(() => driftFromFlags({}, { featureDrift: 'Horsepower=' })).toThrow(/--feature-drift: expected NAME=METHOD:THRESHOLD/);
    expect(() => driftFromFlags({}, { featureDrift: 'Horsepower=ks:zero' })).toThrow(/--feature-drift Horsepower: expected a positive number, got "zero"/);
  });

  it('kiln endpoint monitoring names a bad drift flag before it asks the server anything', async () => {
    const io = { out: () => undefined, err: () => undefined };
    // Port 1 answers nothing: a request first would end in "cannot reach".
    await expect(endpointMonitoringCommand('cars', { server: 'http://127.0.0.1:1', driftThreshold: 'kss=1' }, io)).rejects.toThrow(/^--drift-threshold: expected METHOD=X .*got "kss=1"$/);
    const out: string[] = [];
    expect(await endpointMonitoringCommand('cars', { server: 'http://127.0.0.1:1', featureDrift: 'hp', json: true }, { out: (s) => out.push(s), err: () => undefined })).toBe(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ code: 'BAD_OPTION', error: expect.stringMatching(/^--feature-drift: expected NAME=METHOD:THRESHOLD/) });
  });
});
