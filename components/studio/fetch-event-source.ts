/**
 * Server-sent events over `fetch`, for tRPC subscriptions (live run events). The browser's own
 * `EventSource` cannot send headers, and a request on the session cookie without the
 * anti-forgery header is refused; this one connects through `apiFetch`, which adds it. It keeps
 * `EventSource`'s contract as tRPC's httpSubscriptionLink uses it: named events with `data` and
 * `lastEventId`, reconnection after a dropped stream (sending `Last-Event-ID`, after the
 * server's `retry:`), and a final `error` with `readyState === CLOSED` when the server refuses
 * the stream — whose payload is the server's error body, so tRPC shows the server's message.
 */
import { apiFetch } from './api-fetch';

type Listener = (event: object) => void;

export interface SseMessage {
  type: string;
  data: string;
  lastEventId: string;
}

export interface FetchEventSourceInit {
  /** defaults to apiFetch (this origin, with the anti-forgery header) */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** Parses an SSE byte stream into messages (https://html.spec.whatwg.org/#event-stream-interpretation). */
export class SseParser {
  private buf = '';
  private data: string[] = [];
  private event = '';
  lastEventId = '';
  retryMs: number | null = null;

  constructor(private readonly emit: (m: SseMessage) => void) {}

  push(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!m || (m[0] === '\r' && m.index === this.buf.length - 1)) return;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  private dispatch(): void {
    const data = this.data;
    const type = this.event || 'message';
    this.data = [];
    this.event = '';
    if (data.length) this.emit({ type, data: data.join('\n'), lastEventId: this.lastEventId });
  }
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

export class FetchEventSource {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSED = CLOSED;
  readyState = CONNECTING;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly ctl = new AbortController();
  private readonly fetch: NonNullable<FetchEventSourceInit['fetch']>;
  private lastEventId = '';
  private retryMs = 3000;

  constructor(
    readonly url: string,
    init: FetchEventSourceInit = {},
  ) {
    this.fetch = init.fetch ?? apiFetch;
    // Listeners are added right after construction: connect on the next tick.
    queueMicrotask(() => void this.run());
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  close(): void {
    this.readyState = CLOSED;
    this.ctl.abort();
  }

  private emit(type: string, event: object): void {
    for (const l of [...(this.listeners.get(type) ?? [])]) l(event);
  }

  /** Fails the connection for good (like EventSource on a refused request). */
  private fail(reason: object): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.ctl.abort();
    this.emit('error', reason);
  }

  private async run(): Promise<void> {
    while (this.readyState !== CLOSED) {
      let res: Response;
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
        res = await this.fetch(this.url, { headers, cache: 'no-store', signal: this.ctl.signal });
      } catch (e) {
        if (this.readyState === CLOSED) return;
        await this.reconnectLater(e);
        continue;
      }
      if (!res.ok || !res.body || !/^text\/event-stream/.test(res.headers.get('content-type') ?? '')) {
        const body = (await res.json().catch(() => null)) as { error?: unknown } | null;
        // tRPC's error shape passes as is; a REST error (`{ code, error: "…" }`) becomes an Error with its line.
        this.fail(typeof body?.error === 'string' ? new Error(body.error) : body ?? new Error(`live events: HTTP ${res.status}`));
        return;
      }
      this.readyState = OPEN;
      this.emit('open', { type: 'open' });
      try {
        await this.read(res.body);
      } catch (e) {
        if (this.readyState === CLOSED) return;
        await this.reconnectLater(e);
        continue;
      }
      if (this.readyState !== CLOSED) await this.reconnectLater(null);
    }
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const parser = new SseParser((m) => {
      this.lastEventId = m.lastEventId;
      if (this.readyState !== CLOSED) this.emit(m.type, m);
    });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.readyState === CLOSED) return;
        parser.push(decoder.decode(value, { stream: true }));
        if (parser.retryMs !== null) this.retryMs = parser.retryMs;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  /** The stream dropped: say so (tRPC shows "connecting") and try again after the retry delay. */
  private async reconnectLater(cause: unknown): Promise<void> {
    this.readyState = CONNECTING;
    this.emit('error', { type: 'error', message: `live events: connection lost${cause instanceof Error ? ` (${cause.message})` : ''}; reconnecting` });
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, this.retryMs);
      this.ctl.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}
