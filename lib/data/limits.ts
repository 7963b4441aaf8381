/**
 * Limits of a dataset file, checked while its bytes stream in, before the whole file is held in
 * memory or parsed: a CSV with a million header columns, a 200 MB cell, JSON nested a million
 * levels deep or bytes that are not UTF-8 are refused after reading at most about one limit's
 * worth of bytes, with an error naming the file, the row and the column.
 *
 * The guard is a byte scanner (no strings are built except the header line and JSON keys), so it
 * runs in the same pass as hashing and storing an upload. It follows the parsers' rules (csv.ts,
 * json.ts) closely enough to count columns, cells and rows; the parsers remain the judge of
 * everything else (ragged rows, bad quotes, invalid JSON).
 *
 * Invalid UTF-8 is refused, never replaced: a replacement character would silently become a
 * category of its own.
 */
import Papa from 'papaparse';
import { KilnError } from '../errors';
import { sniffDelimiter } from './csv';

/** The limits of one dataset file. */
export interface DataLimits {
  /** most columns: CSV header fields, distinct JSON record keys */
  maxColumns: number;
  /** largest cell in bytes: a CSV field (quotes included), a JSON string */
  maxCellBytes: number;
  /** largest row in bytes: a CSV record, a JSON record */
  maxRowBytes: number;
  /** most data rows (CSV records after the header, JSON records) */
  maxRows: number;
  /** deepest `[`/`{` nesting of a JSON file (an array of records is depth 2) */
  maxJsonDepth: number;
}

const MiB = 1024 * 1024;

/** The server's defaults (server/config): the same numbers where no setting is given. */
export const DEFAULT_DATA_LIMITS: Readonly<DataLimits> = Object.freeze({
  maxColumns: 10_000,
  maxCellBytes: 1 * MiB,
  maxRowBytes: 16 * MiB,
  maxRows: 10_000_000,
  maxJsonDepth: 64,
});

/** Checks a file chunk by chunk; throws a `KilnError` from `push` or `end` at the first limit passed. */
export interface DataGuard {
  push(chunk: Uint8Array): void;
  /** the file is complete (a truncated UTF-8 sequence at the very end is refused here) */
  end(): void;
  /** data rows seen so far */
  readonly rows: number;
}

/** A guard for a `format` file named `file` in messages. */
export function dataGuard(format: 'csv' | 'json', file: string, limits: DataLimits): DataGuard {
  return format === 'csv' ? new CsvGuard(file, limits) : new JsonGuard(file, limits);
}

/**
 * Checks a whole file in memory (the CLI's `--data`, a dataset read back from the store) with
 * the same limits as an upload.
 */
export function checkDataLimits(format: 'csv' | 'json', file: string, bytes: Uint8Array, limits: DataLimits): void {
  const g = dataGuard(format, file, limits);
  g.push(bytes);
  g.end();
}

// ── UTF-8 (the WHATWG decoder's rules in fatal mode: no overlongs, surrogates or > U+10FFFF) ──

interface Utf8State {
  /** continuation bytes still expected */
  need: number;
  /** allowed range of the next continuation byte */
  lo: number;
  hi: number;
}

/** One byte ≥ 0x80, or any byte while a sequence is open; false when it makes the text invalid. */
function utf8Step(u: Utf8State, b: number): boolean {
  if (u.need === 0) {
    if (b >= 0xc2 && b <= 0xdf) u.need = 1;
    else if (b === 0xe0) {
      u.need = 2;
      u.lo = 0xa0;
    } else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) u.need = 2;
    else if (b === 0xed) {
      u.need = 2;
      u.hi = 0x9f;
    } else if (b === 0xf0) {
      u.need = 3;
      u.lo = 0x90;
    } else if (b >= 0xf1 && b <= 0xf3) u.need = 3;
    else if (b === 0xf4) {
      u.need = 3;
      u.hi = 0x8f;
    }
    else return false;
    return true;
  }
  if (b < u.lo || b > u.hi) return false;
  u.need--;
  u.lo = 0x80;
  u.hi = 0xbf;
  return true;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Column names in messages are cut here: a message is one readable line. */
const NAME_CHARS = 80;

function shownName(name: string): string {
  return JSON.stringify(name.length > NAME_CHARS ? `${name.slice(0, NAME_CHARS)}…` : name);
}

class CsvGuard implements DataGuard {
  private readonly u: Utf8State = { need: 0, lo: 0x80, hi: 0xbf };
  /** 1-based record number being read; the header is row 1 */
  private row = 1;
  private dataRows = 0;
  private offset = 0;
  private inHeader = true;
  private headerParts: Uint8Array[] = [];
  /** header fields so far by candidate delimiter (outside quotes) */
  private commas = 0;
  private semicolons = 0;
  private tabs = 0;
  private delimiter = COMMA;
  private names: string[] = [];
  /** 0-based field of the current record */
  private field = 0;
  private cellBytes = 0;
  private rowBytes = 0;
  private inQuotes = false;
  private quotePending = false;
  private fieldStart = true;
  private afterCR = false;

  constructor(
    private readonly file: string,
    private readonly limits: DataLimits,
  ) {}

  get rows(): number {
    return this.dataRows;
  }

  push(chunk: Uint8Array): void {
    const { maxCellBytes, maxRowBytes, maxColumns } = this.limits;
    const u = this.u;
    let headerFrom = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if ((b >= 0x80 || u.need !== 0) && !utf8Step(u, b)) throw this.badUtf8(this.offset + i);
      if (this.afterCR) {
        this.afterCR = false;
        if (b === LF) {
          if (this.inHeader) headerFrom = i + 1;
          continue;
        }
      }
      if (this.inQuotes) {
        if (!this.quotePending) {
          if (b === QUOTE) this.quotePending = true;
          if (++this.cellBytes > maxCellBytes) throw this.over('cell');
          if (++this.rowBytes > maxRowBytes) throw this.over('row');
          continue;
        }
        this.quotePending = false;
        if (b === QUOTE) {
          // `""` inside quotes: one literal quote
          if (++this.cellBytes > maxCellBytes) throw this.over('cell');
          if (++this.rowBytes > maxRowBytes) throw this.over('row');
          continue;
        }
        this.inQuotes = false;
      }
      if (b === LF || b === CR) {
        if (this.inHeader) {
          this.headerParts.push(chunk.slice(headerFrom, i));
          this.finishHeader();
        } else if (this.rowBytes > 0 && ++this.dataRows > this.limits.maxRows) throw this.over('rows');
        this.row++;
        this.field = 0;
        this.cellBytes = 0;
        this.rowBytes = 0;
        this.fieldStart = true;
        this.afterCR = b === CR;
        continue;
      }
      if (++this.rowBytes > maxRowBytes) throw this.over('row');
      if (this.inHeader ? b === COMMA || b === SEMICOLON || b === TAB : b === this.delimiter) {
        if (this.inHeader) {
          // Any comma makes `,` the delimiter (csv.ts' sniffing), so commas alone decide early.
          if (b === COMMA && ++this.commas >= maxColumns) throw this.over('columns');
          if (b === SEMICOLON) this.semicolons++;
          if (b === TAB) this.tabs++;
        } else if (++this.field >= maxColumns) throw this.over('columns');
        this.cellBytes = 0;
        this.fieldStart = true;
        continue;
      }
      if (b === QUOTE && this.fieldStart) this.inQuotes = true;
      this.fieldStart = false;
      if (++this.cellBytes > maxCellBytes) throw this.over('cell');
    }
    if (this.inHeader && headerFrom < chunk.length) this.headerParts.push(chunk.slice(headerFrom));
    this.offset += chunk.length;
  }

  end(): void {
    if (this.u.need !== 0) throw this.badUtf8(this.offset);
    if (this.inHeader) this.finishHeader();
    else if (this.rowBytes > 0 && ++this.dataRows > this.limits.maxRows) throw this.over('rows');
  }

  /** The header line is complete (it is at most a row's worth of bytes): its delimiter and names. */
  private finishHeader(): void {
    this.inHeader = false;
    const bytes = concat(this.headerParts);
    this.headerParts = [];
    let text = new TextDecoder().decode(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const delimiter = sniffDelimiter(text);
    this.delimiter = delimiter.charCodeAt(0);
    const count = 1 + (delimiter === ',' ? this.commas : delimiter === ';' ? this.semicolons : this.tabs);
    if (count > this.limits.maxColumns) {
      this.field = this.limits.maxColumns;
      throw this.over('columns');
    }
    const parsed = Papa.parse<string[]>(text, { delimiter, header: false });
    this.names = parsed.data[0] ?? [];
  }

  private column(): string {
    if (this.inHeader) return String(1 + Math.max(this.commas, this.commas > 0 ? 0 : Math.max(this.semicolons, this.tabs)));
    const name = this.names[this.field];
    return name === undefined ? String(this.field + 1) : shownName(name);
  }

  private over(what: 'cell' | 'row' | 'rows' | 'columns'): KilnError {
    const { maxCellBytes, maxRowBytes, maxRows, maxColumns } = this.limits;
    const column = this.column();
    const where = `${this.file} row ${this.row} column ${column}`;
    const message = {
      cell: `${where}: a cell over ${maxCellBytes} bytes (the limit, KILN_MAX_CELL_BYTES)`,
      row: `${where}: a row over ${maxRowBytes} bytes (the limit, KILN_MAX_ROW_BYTES)`,
      rows: `${this.file} row ${this.row}: more than ${maxRows} data rows (the limit, KILN_MAX_ROWS)`,
      columns: `${where}: more than ${maxColumns} columns (the limit, KILN_MAX_COLUMNS)`,
    }[what];
    const limit = { cell: maxCellBytes, row: maxRowBytes, rows: maxRows, columns: maxColumns }[what];
    return new KilnError('DATA_LIMIT', message, { file: this.file, row: this.row, column }, { extra: { limit, what } });
  }

  private badUtf8(offset: number): KilnError {
    return new KilnError('BAD_UTF8', `${this.file} row ${this.row}: not valid UTF-8 (byte ${offset} of the file); save the file as UTF-8`, { file: this.file, row: this.row }, { extra: { offset } });
  }
}

/** Key bytes kept to tell columns apart (longer keys add a hash of the rest). */
const KEY_BYTES = 1024;

class JsonGuard implements DataGuard {
  private readonly u: Utf8State = { need: 0, lo: 0x80, hi: 0xbf };
  private offset = 0;
  private depth = 0;
  /** container kind by depth (1 = array, 2 = object); only depths 1 and 2 matter */
  private readonly kinds: Uint8Array;
  private inString = false;
  private escape = false;
  private stringBytes = 0;
  /** 0-based index of the record being read, -1 before the first */
  private record = -1;
  private recordBytes = 0;
  private expectKey = false;
  private capturing = false;
  private keyBuf = new Uint8Array(KEY_BYTES);
  private keyLen = 0;
  private keyHash = 0x811c9dc5;
  private readonly keys = new Set<string>();
  private currentKey: string | undefined;

  constructor(
    private readonly file: string,
    private readonly limits: DataLimits,
  ) {
    this.kinds = new Uint8Array(Math.max(4, limits.maxJsonDepth + 2));
  }

  get rows(): number {
    return this.record + 1;
  }

  push(chunk: Uint8Array): void {
    const { maxCellBytes, maxRowBytes } = this.limits;
    const u = this.u;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if ((b >= 0x80 || u.need !== 0) && !utf8Step(u, b)) throw this.badUtf8(this.offset + i);
      if (this.depth >= 2 && ++this.recordBytes > maxRowBytes) throw this.over('row');
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.capturing) this.finishKey();
          continue;
        }
        if (++this.stringBytes > maxCellBytes) throw this.over('cell');
        if (this.capturing) {
          if (this.keyLen < KEY_BYTES) this.keyBuf[this.keyLen] = b;
          this.keyLen++;
          // FNV-1a over the whole key, so two long keys that share their first KEY_BYTES differ
          this.keyHash = Math.imul(this.keyHash ^ b, 0x01000193) >>> 0;
        }
        continue;
      }
      if (b === QUOTE) {
        this.inString = true;
        this.stringBytes = 0;
        this.capturing = this.depth === 2 && this.expectKey && this.kinds[2] === OPEN_OBJECT;
        if (this.capturing) {
          this.keyLen = 0;
          this.keyHash = 0x811c9dc5;
        }
      } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        if (++this.depth > this.limits.maxJsonDepth) throw this.over('depth');
        this.kinds[this.depth] = b;
        if (this.depth === 2) {
          if (++this.record >= this.limits.maxRows) throw this.over('rows');
          this.recordBytes = 1;
          this.expectKey = b === OPEN_OBJECT;
          this.currentKey = undefined;
        }
      } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
        if (this.depth > 0) this.depth--;
        if (this.depth < 2) this.currentKey = undefined;
      } else if (this.depth === 2) {
        if (b === COLON) this.expectKey = false;
        else if (b === COMMA) this.expectKey = true;
      }
    }
    this.offset += chunk.length;
  }

  end(): void {
    if (this.u.need !== 0) throw this.badUtf8(this.offset);
  }

  private finishKey(): void {
    this.capturing = false;
    const raw = new TextDecoder().decode(this.keyBuf.subarray(0, Math.min(this.keyLen, KEY_BYTES)));
    let name: string;
    try {
      name = this.keyLen <= KEY_BYTES ? (JSON.parse(`"${raw}"`) as string) : raw;
    } catch {
      name = raw;
    }
    this.currentKey = name;
    const id = this.keyLen <= KEY_BYTES ? name : `${raw}\u0000${this.keyHash}:${this.keyLen}`;
    if (!this.keys.has(id)) {
      this.keys.add(id);
      if (this.keys.size > this.limits.maxColumns) throw this.over('columns');
    }
  }

  private where(): string {
    const at = this.record >= 0 && this.depth >= 2 ? ` record [${this.record}]` : '';
    return `${this.file}${at}${this.currentKey !== undefined && this.depth >= 2 ? ` column ${shownName(this.currentKey)}` : ''}`;
  }

  private over(what: 'cell' | 'row' | 'rows' | 'columns' | 'depth'): KilnError {
    const { maxCellBytes, maxRowBytes, maxRows, maxColumns, maxJsonDepth } = this.limits;
    const where = this.where();
    const message = {
      cell: `${where}: a string over ${maxCellBytes} bytes (the limit, KILN_MAX_CELL_BYTES)`,
      row: `${where}: a record over ${maxRowBytes} bytes (the limit, KILN_MAX_ROW_BYTES)`,
      rows: `${this.file} record [${this.record}]: more than ${maxRows} records (the limit, KILN_MAX_ROWS)`,
      columns: `${where}: more than ${maxColumns} distinct keys (columns; the limit, KILN_MAX_COLUMNS)`,
      depth: `${where}: JSON nested deeper than ${maxJsonDepth} levels (the limit, KILN_MAX_JSON_DEPTH)`,
    }[what];
    const limit = { cell: maxCellBytes, row: maxRowBytes, rows: maxRows, columns: maxColumns, depth: maxJsonDepth }[what];
    return new KilnError(
      'DATA_LIMIT',
      message,
      { file: this.file, ...(this.record >= 0 ? { path: `[${this.record}]` } : {}), ...(this.currentKey !== undefined ? { column: this.currentKey } : {}) },
      { extra: { limit, what } },
    );
  }

  private badUtf8(offset: number): KilnError {
    const at = this.record >= 0 && this.depth >= 2 ? ` record [${this.record}]` : '';
    return new KilnError('BAD_UTF8', `${this.file}${at}: not valid UTF-8 (byte ${offset} of the file); save the file as UTF-8`, { file: this.file, ...(at ? { path: `[${this.record}]` } : {}) }, { extra: { offset } });
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
