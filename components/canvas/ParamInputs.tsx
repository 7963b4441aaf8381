'use client';
import { useState } from 'react';
import type { FieldDescriptor } from '../../lib/nodes/param-fields';

/** `set(value, discrete)`: discrete changes (select, checkbox, buttons) are always their own undo step. */
export type Setter = (value: unknown, discrete?: boolean) => void;

export interface InputProps {
  f: FieldDescriptor;
  value: unknown;
  set: Setter;
  /** test id and DOM id of the input */
  tid: string;
  /** issues keyed by path relative to this field ('' = the field itself) */
  issues: Record<string, string>;
  columns: string[] | null;
}

function NumberInput({ value, set, tid, invalid, int, min, max, placeholder }: { value: unknown; set: Setter; tid: string; invalid: boolean; int: boolean; min?: number | undefined; max?: number | undefined; placeholder?: string | undefined }) {
  const shown = typeof value === 'number' ? String(value) : value === undefined ? '' : String(value);
  const [text, setText] = useState(shown);
  const [prev, setPrev] = useState(shown);
  // Follow outside changes (undo, another node) without clobbering "0." while typing.
  if (prev !== shown) {
    setPrev(shown);
    if (!(Number(text) === value && text.trim() !== '')) setText(shown);
  }
  return (
    <input
      id={tid}
      data-testid={tid}
      type="number"
      inputMode={int ? 'numeric' : 'decimal'}
      step={int ? 1 : 'any'}
      {...(min !== undefined ? { min } : {})}
      {...(max !== undefined ? { max } : {})}
      placeholder={placeholder}
      aria-invalid={invalid}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const t = e.target.value.trim();
        if (t === '') set(undefined);
        else if (!Number.isNaN(Number(t))) set(Number(t));
      }}
    />
  );
}

function safeEqual(text: string, value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
  } catch {
    return false;
  }
}

function JsonInput({ value, set, tid, invalid }: { value: unknown; set: Setter; tid: string; invalid: boolean }) {
  const shown = value === undefined ? '' : JSON.stringify(value, null, 1);
  const [text, setText] = useState(shown);
  const [prev, setPrev] = useState(shown);
  const [err, setErr] = useState<string | null>(null);
  if (prev !== shown) {
    setPrev(shown);
    if (!(text.trim() && safeEqual(text, value))) setText(shown);
  }
  return (
    <>
      <textarea
        id={tid}
        data-testid={tid}
        rows={4}
        className="mono"
        aria-invalid={invalid || !!err}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (!e.target.value.trim()) {
            setErr(null);
            set(undefined);
            return;
          }
          try {
            set(JSON.parse(e.target.value));
            setErr(null);
          } catch (x) {
            setErr(`not JSON: ${(x as Error).message}`);
          }
        }}
      />
      {err ? <span className="kc-issue">{err}</span> : null}
    </>
  );
}

function ColumnsInput({ value, set, tid, invalid, columns }: { value: unknown; set: Setter; tid: string; invalid: boolean; columns: string[] | null }) {
  const list = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  const joined = list.join(', ');
  const [text, setText] = useState(joined);
  const [prev, setPrev] = useState(joined);
  if (prev !== joined) {
    setPrev(joined);
    if (text.split(',').map((x) => x.trim()).filter(Boolean).join(', ') !== joined) setText(joined);
  }
  if (!columns) {
    return (
      <input
        id={tid}
        data-testid={tid}
        aria-invalid={invalid}
        placeholder="col_a, col_b"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          set(e.target.value.split(',').map((s) => s.trim()).filter(Boolean));
        }}
      />
    );
  }
  const missing = list.filter((c) => !columns.includes(c));
  const options = [...columns, ...missing];
  return (
    <select
      id={tid}
      data-testid={tid}
      multiple
      size={Math.min(7, Math.max(3, options.length))}
      aria-invalid={invalid || missing.length > 0}
      value={list}
      onChange={(e) => set([...e.target.selectedOptions].map((o) => o.value), true)}
    >
      {options.map((c) => (
        <option key={c} value={c}>
          {missing.includes(c) ? `${c} (not in the data)` : c}
        </option>
      ))}
    </select>
  );
}

function ListInput({ f, value, set, tid, issues }: InputProps & { f: Extract<FieldDescriptor, { type: 'stringList' | 'numberList' }> }) {
  const list = Array.isArray(value) ? value : [];
  const update = (i: number, v: unknown) => set(list.map((x, j) => (j === i ? v : x)));
  return (
    <div className="kc-list" data-testid={tid}>
      {list.map((v, i) => (
        <div key={i} className="kc-list-row">
          {f.type === 'numberList' ? (
            <NumberInput value={v} set={(x) => update(i, x)} tid={`${tid}-${i}`} invalid={!!issues[String(i)]} int={f.int} min={f.min} max={f.max} />
          ) : (
            <input id={`${tid}-${i}`} data-testid={`${tid}-${i}`} aria-invalid={!!issues[String(i)]} value={String(v ?? '')} onChange={(e) => update(i, e.target.value)} />
          )}
          <button type="button" aria-label={`Remove ${f.label} ${i + 1}`} onClick={() => set(list.filter((_, j) => j !== i), true)}>
            ×
          </button>
          {issues[String(i)] ? <span className="kc-issue">{issues[String(i)]}</span> : null}
        </div>
      ))}
      <button type="button" className="kc-add" data-testid={`${tid}-add`} disabled={f.maxItems !== undefined && list.length >= f.maxItems} onClick={() => set([...list, f.type === 'numberList' ? (f.min ?? 1) : ''], true)}>
        + Add
      </button>
    </div>
  );
}

function ObjectListInput({ f, value, set, tid, issues, columns }: InputProps & { f: Extract<FieldDescriptor, { type: 'objectList' }> }) {
  const rows = (Array.isArray(value) ? value : []) as Record<string, unknown>[];
  const move = (i: number, d: number) => {
    const next = [...rows];
    const [r] = next.splice(i, 1);
    next.splice(i + d, 0, r!);
    set(next, true);
  };
  return (
    <div className="kc-rows" data-testid={tid}>
      {rows.map((row, i) => (
        <div key={i} className="kc-row">
          <div className="kc-row-head">
            <span className="small muted">#{i + 1}</span>
            <button type="button" aria-label={`Move ${f.label} row ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>
              ↑
            </button>
            <button type="button" aria-label={`Move ${f.label} row ${i + 1} down`} disabled={i === rows.length - 1} onClick={() => move(i, 1)}>
              ↓
            </button>
            <button type="button" aria-label={`Remove ${f.label} row ${i + 1}`} disabled={f.minItems !== undefined && rows.length <= f.minItems} onClick={() => set(rows.filter((_, j) => j !== i), true)}>
              ×
            </button>
          </div>
          <div className="kc-row-fields">
            {f.fields.map((sub) => {
              const sIssues = subIssues(issues, `${i}.${sub.name}`);
              return (
                <label key={sub.name} className="kc-subfield" title={sub.description}>
                  <span>{sub.label}</span>
                  <FieldInput
                    f={sub}
                    value={row?.[sub.name] ?? sub.default}
                    set={(v, discrete) => set(rows.map((r, j) => (j === i ? withValue(r, sub.name, v) : r)), discrete)}
                    tid={`${tid}-${i}-${sub.name}`}
                    issues={sIssues}
                    columns={columns}
                  />
                  {sIssues[''] ? <span className="kc-issue">{sIssues['']}</span> : null}
                </label>
              );
            })}
          </div>
        </div>
      ))}
      <button type="button" className="kc-add" data-testid={`${tid}-add`} disabled={f.maxItems !== undefined && rows.length >= f.maxItems} onClick={() => set([...rows, { ...f.itemDefault }], true)}>
        + Add {f.label.toLowerCase().replace(/s$/, '')}
      </button>
    </div>
  );
}

function withValue(r: Record<string, unknown> | undefined, k: string, v: unknown): Record<string, unknown> {
  const o = { ...(r ?? {}) };
  if (v === undefined) delete o[k];
  else o[k] = v;
  return o;
}

/** Issues under `prefix`, re-keyed relative to it. */
export function subIssues(issues: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(issues)) {
    if (k === prefix) out[''] = v;
    else if (k.startsWith(`${prefix}.`)) out[k.slice(prefix.length + 1)] = v;
  }
  return out;
}

/** One input for one field descriptor. */
export function FieldInput(props: InputProps) {
  const { f, value, set, tid, issues, columns } = props;
  const invalid = !!issues[''];
  switch (f.type) {
    case 'number':
      return <NumberInput value={value} set={set} tid={tid} invalid={invalid} int={f.int} min={f.min ?? f.exclusiveMin} max={f.max ?? f.exclusiveMax} placeholder={f.optional && f.default === undefined ? 'default' : undefined} />;
    case 'boolean':
      return <input id={tid} data-testid={tid} type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked, true)} />;
    case 'enum':
      return (
        <select id={tid} data-testid={tid} aria-invalid={invalid} value={typeof value === 'string' ? value : ''} onChange={(e) => set(e.target.value || undefined, true)}>
          {f.optional && f.default === undefined ? <option value="">(none)</option> : null}
          {typeof value === 'string' && !f.options.includes(value) ? <option value={value}>{value} (invalid)</option> : null}
          {f.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
    case 'string':
      if (f.column && columns) {
        const v = typeof value === 'string' ? value : '';
        return (
          <select id={tid} data-testid={tid} aria-invalid={invalid || (!!v && !columns.includes(v))} value={v} onChange={(e) => set(e.target.value || undefined, true)}>
            {f.optional || !v ? <option value="">(none)</option> : null}
            {v && !columns.includes(v) ? <option value={v}>{v} (not in the data)</option> : null}
            {columns.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        );
      }
      {
        const text = typeof value === 'string' ? value : '';
        const onText = (t: string) => set(t === '' && f.optional ? undefined : t);
        // Long text (a custom node's code) gets a multi-line monospace box.
        if ((f.maxLength ?? 0) > 1000) {
          return (
            <textarea
              id={tid}
              data-testid={tid}
              aria-invalid={invalid}
              className="mono"
              rows={8}
              spellCheck={false}
              style={{ width: '100%', resize: 'vertical', fontSize: 12 }}
              value={text}
              onChange={(e) => onText(e.target.value)}
            />
          );
        }
        return <input id={tid} data-testid={tid} aria-invalid={invalid} value={text} onChange={(e) => onText(e.target.value)} />;
      }
    case 'numberOrString':
      return (
        <input
          id={tid}
          data-testid={tid}
          aria-invalid={invalid}
          placeholder="number or text"
          value={value === undefined ? '' : String(value)}
          onChange={(e) => {
            const t = e.target.value;
            set(t === '' ? undefined : t.trim() !== '' && !Number.isNaN(Number(t)) ? Number(t) : t);
          }}
        />
      );
    case 'columns':
      return <ColumnsInput value={value} set={set} tid={tid} invalid={invalid} columns={columns} />;
    case 'stringList':
    case 'numberList':
      return <ListInput {...props} f={f} />;
    case 'objectList':
      return <ObjectListInput {...props} f={f} />;
    default:
      return <JsonInput value={value} set={set} tid={tid} invalid={invalid} />;
  }
}
