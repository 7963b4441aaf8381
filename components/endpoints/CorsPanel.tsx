'use client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { trpc, type RouterOutputs } from '../studio/trpc';
import { ErrorAlert } from '../ui/ErrorAlert';
import { parseOriginList, unconfirmedText } from './access-state';

type Endpoint = RouterOutputs['endpoints']['list'][number];

/**
 * The browser origins (web apps) that may call an endpoint from their pages (CORS). The studio's
 * own pages always may; everything else is refused by the browser until listed here.
 */
export function CorsPanel({ ep, onChanged }: { ep: Endpoint; onChanged: () => void }) {
  const [text, setText] = useState(ep.corsOrigins.join('\n'));
  const [notice, setNotice] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => trpc.endpoints.setCors.mutate({ name: ep.name, origins: parseOriginList(text) }),
    onSuccess: (r) => {
      setText(r.endpoint.corsOrigins.join('\n'));
      setNotice(unconfirmedText(r.replicas));
      onChanged();
    },
  });
  const dirty = parseOriginList(text).join('\n') !== ep.corsOrigins.join('\n');

  return (
    <section className="panel" aria-label="Browser origins">
      <h2>Browser origins (CORS)</h2>
      <p className="small muted">
        Web apps whose pages may call this endpoint from the browser, one origin per line as <code>https://app.example.com</code> or <code>http://localhost:5173</code> (scheme, host and
        port; no path, no <code>*</code>). This studio&apos;s own pages always may. Servers and scripts are not affected.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <textarea className="ep-origins" rows={Math.max(2, Math.min(8, text.split('\n').length + 1))} value={text} onChange={(e) => setText(e.target.value)} placeholder="https://app.example.com" data-testid="cors-origins" spellCheck={false} />
        <div className="row">
          <button type="submit" disabled={save.isPending || !dirty} data-testid="save-cors">
            Save origins
          </button>
          {ep.corsOrigins.length === 0 && <span className="small muted">None: only the studio&apos;s pages.</span>}
        </div>
      </form>
      {notice && (
        <p className="small warn" role="status">
          {notice}
        </p>
      )}
      <ErrorAlert error={save.error} />
    </section>
  );
}
