import { describe, expect, it } from 'vitest';
import { sortFeatures } from './drift-sort';

const rows = [
  { name: 'weight', method: 'ks', statistic: 0.05, pValue: 0.6, threshold: 0.05, drifted: false },
  { name: 'origin', method: 'jensenshannon', statistic: 0.8, threshold: 0.1, drifted: true },
  { name: 'hp', method: 'ks', statistic: 0.7, pValue: 1e-9, threshold: 0.05, drifted: true },
  { name: 'acc', method: 'ks', statistic: 0.05, pValue: 0.4, threshold: 0.05, drifted: false },
];

describe('sortFeatures', () => {
  it('drifted first, then by name; statistic descending with a stable tie-break', () => {
    expect(sortFeatures(rows, 'drifted', true).map((r) => r.name)).toEqual(['hp', 'origin', 'acc', 'weight']);
    expect(sortFeatures(rows, 'statistic', true).map((r) => r.name)).toEqual(['origin', 'hp', 'acc', 'weight']);
    expect(sortFeatures(rows, 'name', false).map((r) => r.name)).toEqual(['acc', 'hp', 'origin', 'weight']);
  });
  it('rows without a p-value go last whichever way p-values sort', () => {
    expect(sortFeatures(rows, 'pValue', false).map((r) => r.name)).toEqual(['hp', 'acc', 'weight', 'origin']);
    expect(sortFeatures(rows, 'pValue', true).map((r) => r.name)).toEqual(['weight', 'acc', 'hp', 'origin']);
  });
  it('leaves its input alone', () => {
    const before = rows.map((r) => r.name);
    sortFeatures(rows, 'name', true);
    expect(rows.map((r) => r.name)).toEqual(before);
  });
});
