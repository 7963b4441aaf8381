import Papa from 'papaparse';
import type { DataSource } from '../nodes/types';
import { parseCsv } from './csv';
import { createRng, permutation } from '../rng';

export interface SampledSource {
  source: DataSource;
  /** rows kept, and rows in the original data */
  sampleRows: number;
  totalRows: number;
}

/**
 * Indices of a seeded random sample of `n` out of `total` rows, in ascending order (the data keeps
 * its original row order). Same seed and sizes → same rows on every platform.
 */
export function sampleIndices(total: number, n: number, seed: number): number[] {
  if (n >= total) return Array.from({ length: total }, (_, i) => i);
  const p = permutation(total, createRng(seed));
  return Array.from(p.subarray(0, Math.max(0, n))).sort((a, b) => a - b);
}

/**
 * A seeded sample of at most `maxRows` data rows of a CSV or JSON source, as a source of the same
 * format, so the executor parses it exactly as it would parse the full file. The full source is
 * returned unchanged when it has no more than `maxRows` rows. Parse errors are the parsers'
 * (they name the file and row).
 */
export function sampleDataSource(src: DataSource, maxRows: number, seed: number): SampledSource {
  if (src.format === 'json') {
    const body = src.text.charCodeAt(0) === 0xfeff ? src.text.slice(1) : src.text;
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch {
      return { source: src, sampleRows: 0, totalRows: 0 }; // the executor's parser reports it properly
    }
    if (!Array.isArray(data)) return { source: src, sampleRows: 0, totalRows: 0 };
    if (data.length <= maxRows) return { source: src, sampleRows: data.length, totalRows: data.length };
    const keep = sampleIndices(data.length, maxRows, seed).map((i) => data[i] as unknown);
    return { source: { ...src, text: JSON.stringify(keep) }, sampleRows: keep.length, totalRows: data.length };
  }
  const raw = parseCsv(src.text, src.name);
  const total = raw.rows.length;
  if (total <= maxRows) return { source: src, sampleRows: total, totalRows: total };
  const rows = sampleIndices(total, maxRows, seed).map((i) => raw.rows[i]!.map((v) => (v == null ? '' : String(v))));
  const text = Papa.unparse({ fields: raw.header, data: rows }, { newline: '\n' });
  return { source: { ...src, text }, sampleRows: rows.length, totalRows: total };
}
