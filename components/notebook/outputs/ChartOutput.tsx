'use client';
import { useEffect, useRef, useState } from 'react';

/** The first `url` found in a spec (data must be inline: the notebook fetches nothing for charts). */
function findUrl(v: unknown, depth = 0): string | null {
  if (depth > 20 || v === null || typeof v !== 'object') return null;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'url' && typeof x === 'string') return x;
    const inner = findUrl(x, depth + 1);
    if (inner) return inner;
  }
  return null;
}

/** A Vega-Lite spec rendered by vega-embed (loaded on first use), with inline data only. */
export function ChartOutput({ spec }: { spec: Record<string, unknown> }) {
  const box = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const url = findUrl(spec);
  useEffect(() => {
    if (url) return;
    let finalize: (() => void) | undefined;
    let cancelled = false;
    (async () => {
      try {
        const { default: embed } = await import('vega-embed');
        if (cancelled || !box.current) return;
        const refuse = () => Promise.reject(new Error('chart data must be inline (data.values); the notebook does not fetch URLs'));
        const result = await embed(box.current, { width: 'container', ...spec } as never, {
          actions: false,
          renderer: 'svg',
          // Expressions are interpreted from their AST, never compiled: a saved or imported chart
          // cannot run code, and compiling would need eval, which the page's CSP does not allow.
          ast: true,
          // A loader that refuses every request: no chart reaches the network.
          loader: { load: refuse, sanitize: refuse, http: refuse, file: refuse } as never,
        });
        if (cancelled) result.finalize();
        else finalize = () => result.finalize();
      } catch (e) {
        if (!cancelled) setError(`chart: ${(e as Error).message.split('\n')[0]}`);
      }
    })();
    return () => {
      cancelled = true;
      finalize?.();
    };
  }, [spec, url]);
  if (url) return <p className="error small">chart: data must be inline (data.values); not fetching {url.slice(0, 120)}</p>;
  return (
    <div className="nb-out-chart">
      {error ? <p className="error small">{error}</p> : null}
      <div ref={box} className="nb-chart-box" />
    </div>
  );
}
