import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * SHA-256 of a string (hashed as UTF-8) or bytes, as 64 lowercase hex digits. Pure JS and
 * synchronous, so the browser, the CLI and the runner compute identical dataset and graph
 * hashes without WebCrypto's async API.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === 'string' ? utf8ToBytes(data) : data));
}
