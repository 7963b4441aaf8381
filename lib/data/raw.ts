/**
 * The shape both parsers (CSV, JSON) produce before types are inferred: a header and rows of raw
 * cell values, plus enough bookkeeping to name a row in an error message the way the user sees it.
 */

/** One raw cell: CSV gives strings; JSON gives any scalar, `null`, or `undefined` for an absent key. */
export type RawValue = string | number | boolean | null | undefined;

export interface RawTable {
  /** display name of the source, used in every error message */
  file: string;
  format: 'csv' | 'json';
  header: string[];
  /** row-major cells; every row has `header.length` entries */
  rows: RawValue[][];
  /**
   * CSV only: the 1-based file row of each data row, counting the header as row 1 and counting
   * skipped blank lines, so that messages point at the row a user finds in an editor.
   */
  rowNumbers?: Uint32Array;
}

/**
 * How to name data row `i` (0-based) of a raw table in a message: `row 17` for CSV (file rows,
 * header = row 1), `record [16]` for JSON (0-based index into the array).
 */
export function rowRef(raw: RawTable, i: number): { label: string; row?: number; path?: string } {
  if (raw.format === 'csv') {
    const row = raw.rowNumbers?.[i] ?? i + 2;
    return { label: `row ${row}`, row };
  }
  return { label: `record [${i}]`, path: `[${i}]` };
}
