'use client';
import { useMemo, useState } from 'react';
import { fieldsOf, recordFromForm } from './serving-url';

/** A form generated from the model's input fields that calls the endpoint from this browser. */
export function TryIt({ url, record, needsKey, apiKey }: { url: string; record: Record<string, unknown>; needsKey: boolean; apiKey: string }) {
  const fields = useMemo(() => fieldsOf(record), [record]);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)])));
  const [key, setKey] = useState(apiKey);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ ok: boolean; status: number; text: string; ms: number } | null>(null);
  const [lastKey, setLastKey] = useState(apiKey);
  if (apiKey !== lastKey) {
    // A key made after the form opened is what the user wants to try.
    setLastKey(apiKey);
    if (apiKey) setKey(apiKey);
  }

  const send = async () => {
    const { record: rec, error } = recordFromForm(fields, values);
    if (error) {
      setAnswer({ ok: false, status: 0, text: error, ms: 0 });
      return;
    }
    setBusy(true);
    const t0 = performance.now();
    try {
      // The serving process (the data plane, another origin) with the endpoint's own key: no session rides on it.
      // eslint-disable-next-line no-restricted-globals
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ instances: [rec] }),
      });
      const body = (await res.json().catch(() => null)) as { predictions?: unknown; error?: string } | null;
      const ms = performance.now() - t0;
      if (res.ok) setAnswer({ ok: true, status: res.status, text: JSON.stringify(Array.isArray(body?.predictions) ? body.predictions[0] : body, null, 2), ms });
      else setAnswer({ ok: false, status: res.status, text: body?.error ?? `HTTP ${res.status}`, ms });
    } catch (e) {
      setAnswer({ ok: false, status: 0, text: `could not reach the serving process at ${url} (${(e as Error).message}); is it running?`, ms: 0 });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="ep-try"
      data-testid="try-it"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <div className="ep-try-fields">
        {fields.map((f) => (
          <label key={f.name} className="field">
            <span>
              {f.name} <em className="muted">{f.kind}</em>
            </span>
            {f.kind === 'boolean' ? (
              <select value={values[f.name] ?? 'false'} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}>
                <option value="false">false</option>
                <option value="true">true</option>
              </select>
            ) : (
              <input
                type="text"
                inputMode={f.kind === 'number' ? 'decimal' : undefined}
                value={values[f.name] ?? ''}
                placeholder="empty = missing"
                onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                data-testid={`try-${f.name}`}
              />
            )}
          </label>
        ))}
      </div>
      <div className="row">
        <label className="field" style={{ flex: 1 }}>
          <span>API key {needsKey ? '(required)' : '(not required: the endpoint is public)'}</span>
          <input type="password" value={key} onChange={(e) => setKey(e.target.value)} placeholder={needsKey ? 'kiln_ek_…' : ''} autoComplete="off" data-testid="try-key" />
        </label>
        <button type="submit" className="primary" disabled={busy} data-testid="try-send" style={{ marginBottom: 8 }}>
          {busy ? 'Calling…' : 'Predict'}
        </button>
      </div>
      {answer && (
        <div className={answer.ok ? 'ep-answer ok' : 'ep-answer error'} role={answer.ok ? 'status' : 'alert'} data-testid="try-answer">
          <div className="small">
            {answer.status ? `HTTP ${answer.status}` : 'not sent'}
            {answer.ms ? ` · ${answer.ms.toFixed(0)} ms` : ''}
          </div>
          <pre>{answer.text}</pre>
        </div>
      )}
    </form>
  );
}
