import Papa from 'papaparse';
import { KilnError } from '../errors';
import type { RawTable } from './raw';

export interface CsvOptions {
  /**
   * Field delimiter. Default: sniffed from the header line — `,` unless the header has no comma
   * but has a `;` or a tab (European spreadsheet exports use `;`).
   */
  delimiter?: string;
}

/**
 * Parses CSV text into a header and rows of strings (RFC 4180 quoting via papaparse: quoted
 * fields may hold delimiters, doubled quotes and line breaks; CRLF or LF line ends; a leading
 * UTF-8 BOM is dropped). Blank lines, including the usual trailing newline, are skipped.
 *
 * Row numbers in error messages are 1-based and count the header as row 1, so the first data
 * row is row 2. They count records, which equal file lines unless a quoted field spans lines.
 *
 * @param file display name used in error messages
 * @throws KilnError `EMPTY_FILE` (no text), `NO_ROWS` (a header but no data rows),
 *   `EMPTY_COLUMN_NAME`, `DUPLICATE_COLUMN`, `RAGGED_ROW` (a row with a different number of
 *   fields than the header), `BAD_CSV` (unterminated or malformed quotes).
 */
export function parseCsv(text: string, file: string, opts: CsvOptions = {}): RawTable {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    throw new KilnError('EMPTY_FILE', `${file}: the file is empty`, { file });
  }
  const delimiter = opts.delimiter ?? sniffDelimiter(body);
  const parsed = Papa.parse<string[]>(body, { delimiter, header: false, skipEmptyLines: false });
  const quoteError = parsed.errors.find((e) => e.type === 'Quotes');
  if (quoteError) {
    const row = (quoteError.row ?? 0) + 1;
    throw new KilnError('BAD_CSV', `${file} row ${row}: ${quoteError.message.toLowerCase()}`, { file, row });
  }

  const data = parsed.data;
  const header = data[0];
  if (!header || isBlank(header)) {
    throw new KilnError('EMPTY_FILE', `${file}: the first line (the header) is empty`, { file, row: 1 });
  }
  checkHeader(header, file);

  const width = header.length;
  const rows: string[][] = [];
  const rowNumbers: number[] = [];
  for (let i = 1; i < data.length; i++) {
    const r = data[i]!;
    if (isBlank(r)) continue;
    if (r.length !== width) {
      throw new KilnError(
        'RAGGED_ROW',
        `${file} row ${i + 1}: ${r.length} field${r.length === 1 ? '' : 's'}, expected ${width}`,
        { file, row: i + 1 },
      );
    }
    rows.push(r);
    rowNumbers.push(i + 1);
  }
  if (rows.length === 0) {
    throw new KilnError('NO_ROWS', `${file}: the file has a header but no data rows`, { file });
  }
  return { file, format: 'csv', header, rows, rowNumbers: Uint32Array.from(rowNumbers) };
}

/** papaparse reports a blank line as one empty field. */
function isBlank(r: string[]): boolean {
  return r.length === 1 && r[0]!.trim() === '';
}

function checkHeader(header: string[], file: string): void {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name.trim() === '') {
      throw new KilnError('EMPTY_COLUMN_NAME', `${file} row 1: column ${i + 1} has an empty name`, { file, row: 1 });
    }
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new KilnError(
        'DUPLICATE_COLUMN',
        `${file} row 1: column name "${name}" appears twice (columns ${prev + 1} and ${i + 1})`,
        { file, row: 1, column: name },
      );
    }
    seen.set(name, i);
  });
}

/**
 * The delimiter of a file from its first line: `,` unless that line has no comma but has a `;`
 * or a tab. Shared with the streaming guard (limits.ts) so both read the same columns.
 */
export function sniffDelimiter(text: string): string {
  const nl = text.search(/\r?\n/);
  const first = nl < 0 ? text : text.slice(0, nl);
  if (first.includes(',')) return ',';
  if (first.includes(';')) return ';';
  if (first.includes('\t')) return '\t';
  return ',';
}
