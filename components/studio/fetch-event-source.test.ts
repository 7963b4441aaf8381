import { describe, expect, it } from 'vitest';
import { FetchEventSource, SseParser, type SseMessage } from './fetch-event-source';

function parse(chunks: string[]): { messages: SseMessage[]; parser: SseParser } {
  const messages: SseMessage[] = [];
  const parser = new SseParser((m) => messages.push(m));
  for (const c of chunks) parser.push(c);
  return { messages, parser };
}

const sse = (body: string, status = 200) =>
  new Response(new Blob([body]).stream(), { status, headers: { 'content-type': 'text/event-stream' } });

describe('SseParser', () => {
  it('reads named events, multi-line data, ids and comments, across chunk and CRLF boundaries', () => {
    const { messages, parser } = parse([': ping\n\nevent: conn', 'ected\ndata: {"a":1}\r', '\n\r\nid: 7\ndata: one\ndata:two\n', '\nretry: 500\n\n']);
    expect(messages).toEqual([
      { type: 'connected', data: '{"a":1}', lastEventId: '' },
      { type: 'message', data: 'one\ntwo', lastEventId: '7' },
    ]);
    expect(parser.retryMs).toBe(500);
  });

  it('dispatches nothing for an event without data, or one not yet ended', () => {
    expect(parse(['event: x\n\n', 'data: half']).messages).toEqual([]);
  });
});

describe('FetchEventSource', () => {
  it('delivers events with their ids, then reconnects after a dropped stream sending Last-Event-ID', async () => {
    const calls: Headers[] = [];
    const bodies = ['id: 1\ndata: "a"\n\nretry: 1\n\n', 'event: return\ndata: ""\n\n'];
    const es = new FetchEventSource('/api/trpc/runs.onEvents', {
      fetch: async (_url, init) => {
        calls.push(new Headers(init.headers));
        return sse(bodies.shift() ?? '');
      },
    });
    const seen: unknown[] = [];
    es.addEventListener('message', (m) => seen.push(m));
    const errors: unknown[] = [];
    es.addEventListener('error', (e) => errors.push(e));
    await new Promise<void>((resolve) => es.addEventListener('return', () => (es.close(), resolve())));
    expect(seen).toEqual([{ type: 'message', data: '"a"', lastEventId: '1' }]);
    expect(errors).toHaveLength(1);
    expect(calls.map((h) => h.get('last-event-id'))).toEqual([null, '1']);
    expect(calls[0]!.get('accept')).toBe('text/event-stream');
    expect(es.readyState).toBe(es.CLOSED);
  });

  it('fails for good on a refused request, with the server error as the reason', async () => {
    let n = 0;
    const es = new FetchEventSource('/api/trpc/runs.onEvents', {
      fetch: async () => {
        n++;
        return Response.json({ code: 'PERMISSION_DENIED', error: 'needs READ on project "x"' }, { status: 403 });
      },
    });
    const reason = await new Promise<unknown>((resolve) => es.addEventListener('error', resolve));
    expect(es.readyState).toBe(es.CLOSED);
    expect((reason as Error).message).toBe('needs READ on project "x"');
    await new Promise((r) => setTimeout(r, 20));
    expect(n).toBe(1);
  });
});
