/**
 * A PNG that carries its pipeline: the graph JSON goes into an `iTXt` chunk with keyword
 * `kiln-graph`, inserted before `IEND`. Any PNG viewer shows the picture; Kiln reads the graph
 * back when the image is dropped on the canvas.
 */

export const PNG_GRAPH_KEYWORD = 'kiln-graph';
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, as PNG uses) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  /** offset of the chunk's length field */
  start: number;
  /** offset just past its CRC */
  end: number;
  data: Uint8Array;
  crcOk: boolean;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Walks the chunks; stops at the first truncated one (reported as `truncated`). */
function readChunks(bytes: Uint8Array): { chunks: Chunk[]; truncated: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  let p = 8;
  while (p + 12 <= bytes.length) {
    const len = view.getUint32(p);
    const end = p + 12 + len;
    if (end > bytes.length) return { chunks, truncated: true };
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    const data = bytes.subarray(p + 8, p + 8 + len);
    const crcOk = crc32(bytes.subarray(p + 4, p + 8 + len)) === view.getUint32(p + 8 + len);
    chunks.push({ type, start: p, end, data, crcOk });
    p = end;
    if (type === 'IEND') return { chunks, truncated: false };
  }
  return { chunks, truncated: true };
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** iTXt data: keyword, NUL, compression flag 0, method 0, empty language, NUL, empty translated keyword, NUL, UTF-8 text. */
function itxtData(keyword: string, text: string): Uint8Array {
  const head = new TextEncoder().encode(keyword);
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(head.length + 5 + body.length);
  out.set(head, 0);
  // bytes head.length .. +4 are: NUL, flag 0, method 0, NUL (language), NUL (translated keyword)
  out.set(body, head.length + 5);
  return out;
}

function isGraphChunk(c: Chunk): boolean {
  if (c.type !== 'iTXt' && c.type !== 'tEXt') return false;
  const k = PNG_GRAPH_KEYWORD;
  if (c.data.length <= k.length || c.data[k.length] !== 0) return false;
  for (let i = 0; i < k.length; i++) if (c.data[i] !== k.charCodeAt(i)) return false;
  return true;
}

/**
 * Returns a copy of the PNG `bytes` with `json` in an `iTXt` chunk keyword `kiln-graph` just
 * before `IEND` (replacing an earlier one).
 * @throws Error when `bytes` is not a complete PNG.
 */
export function embedGraphInPng(bytes: Uint8Array, json: string): Uint8Array {
  if (!isPng(bytes)) throw new Error('not a PNG file (bad signature)');
  const { chunks, truncated } = readChunks(bytes);
  const iend = chunks[chunks.length - 1];
  if (truncated || !iend || iend.type !== 'IEND') throw new Error('PNG is truncated: no IEND chunk');
  const keep = chunks.filter((c) => c.type !== 'IEND' && !isGraphChunk(c));
  const extra = chunk('iTXt', itxtData(PNG_GRAPH_KEYWORD, json));
  const parts = [bytes.subarray(0, 8), ...keep.map((c) => bytes.subarray(c.start, c.end)), extra, bytes.subarray(iend.start, iend.end)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The graph JSON text a PNG carries (`iTXt` or `tEXt`, keyword `kiln-graph`), or null when it
 * is not a PNG, has no such chunk, or that chunk is damaged (bad CRC, compressed, truncated).
 */
export function extractGraphFromPng(bytes: Uint8Array): string | null {
  if (!isPng(bytes)) return null;
  const { chunks } = readChunks(bytes);
  const c = chunks.find(isGraphChunk);
  if (!c || !c.crcOk) return null;
  const k = PNG_GRAPH_KEYWORD.length;
  if (c.type === 'tEXt') return new TextDecoder('latin1').decode(c.data.subarray(k + 1));
  // iTXt: keyword NUL flag method language NUL translated NUL text
  if (c.data[k + 1] !== 0) return null; // compressed text: not what we write
  let p = k + 3;
  const lang = c.data.indexOf(0, p);
  if (lang < 0) return null;
  const tr = c.data.indexOf(0, lang + 1);
  if (tr < 0) return null;
  p = tr + 1;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(c.data.subarray(p));
  } catch {
    return null;
  }
}
