'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo, useRef, useState } from 'react';
import { migrateNodeParams } from '../../lib/graph/migrate';
import { graphSchema } from '../../lib/graph/schema';
import '../../lib/nodes/catalog';
import { graphBuiltinDatasets } from '../../lib/nodes/graph-queries';
import { uploadDataset } from '../projects/upload';
import { fmtBytes, fmtDate, shortId } from '../runs/format';
import { errorMessage, trpc } from '../studio/trpc';
import { AnomalyList } from './AnomalyList';
import { ColumnStatsList } from './ColumnStatsList';
import { DataTable } from './DataTable';
import { loadTable, sourceKey, type DataSourceRef } from './load-table';
import './data.css';

/** Built-in datasets the project's graph reads, as its node kinds declare them. */
function builtinNames(graph: unknown): string[] {
  // A draft may be unfinished: read it only if it has the shape of a graph.
  const g = graphSchema.safeParse(graph);
  return g.success ? graphBuiltinDatasets(migrateNodeParams(g.data).graph) : [];
}

/** The project's data: uploaded versions and built-ins its graph reads; preview, statistics, upload. */
export function DataPage({ project }: { project: string }) {
  const qc = useQueryClient();
  const base = `/projects/${encodeURIComponent(project)}`;
  const versions = useQuery({ queryKey: ['datasets', project], queryFn: () => trpc.datasets.list.query({ projectName: project, limit: 200 }) });
  const current = useQuery({ queryKey: ['graph-current', project], queryFn: () => trpc.graphs.current.query({ projectName: project }) });
  const builtins = useMemo(() => builtinNames(current.data?.graph), [current.data]);
  const sources: DataSourceRef[] = useMemo(
    () => [...builtins.map((name) => ({ kind: 'builtin' as const, name })), ...(versions.data ?? []).map((d) => ({ kind: 'upload' as const, id: d.id, name: d.name }))],
    [builtins, versions.data],
  );
  const [picked, setPicked] = useState<string | null>(null);
  const selected = sources.find((s) => sourceKey(s) === picked) ?? sources[0] ?? null;
  const loaded = useQuery({
    queryKey: ['dataset-table', selected ? sourceKey(selected) : null],
    queryFn: () => loadTable(selected!),
    enabled: selected !== null,
    staleTime: Infinity,
  });

  const fileRef = useRef<HTMLInputElement>(null);
  const [uploading, setUploading] = useState(false);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [uploadNote, setUploadNote] = useState<string | null>(null);
  const onUpload = async (file: File | undefined) => {
    if (!file) return;
    setUploading(true);
    setUploadError(null);
    setUploadNote(null);
    try {
      const d = await uploadDataset(project, file);
      await qc.invalidateQueries({ queryKey: ['datasets', project] });
      setPicked(`upload:${d.id}`);
      const n = d.anomalies.length;
      setUploadNote(`${d.created ? 'Uploaded' : 'Already stored:'} ${d.name} — ${d.rows.toLocaleString()} rows, ${d.schema.length} columns${d.validatedAgainst ? `, ${n ? `${n} anomal${n === 1 ? 'y' : 'ies'}` : 'no anomalies'} against the previous version` : ''}`);
    } catch (e) {
      setUploadError(errorMessage(e));
    } finally {
      setUploading(false);
      if (fileRef.current) fileRef.current.value = '';
    }
  };

  const versionOf = (s: DataSourceRef) => (s.kind === 'upload' ? versions.data?.find((d) => d.id === s.id) : undefined);
  const missingTotal = loaded.data?.stats.columns.reduce((n, c) => n + c.missing, 0) ?? 0;

  return (
    <div className="page data-page">
      <div className="page-head">
        <h1>Data</h1>
        <p className="muted">Datasets of this project: every row, column statistics and missing values, parsed exactly as training parses them.</p>
      </div>
      <div className="data-layout">
        <aside className="panel data-sources">
          <h2>Datasets</h2>
          {versions.error && <p className="error small">{errorMessage(versions.error)}</p>}
          {sources.length === 0 && !versions.isLoading && !current.isLoading ? (
            <p className="muted small" data-testid="data-empty">
              No datasets yet — upload a CSV or JSON file below, or add a dataset node on the <Link href={`${base}/canvas`}>Canvas</Link>.
            </p>
          ) : (
            <ul className="data-source-list" data-testid="dataset-list">
              {sources.map((s) => {
                const v = versionOf(s);
                const key = sourceKey(s);
                const on = selected !== null && sourceKey(selected) === key;
                return (
                  <li key={key}>
                    <button type="button" className={on ? 'data-source current' : 'data-source'} aria-pressed={on} onClick={() => setPicked(key)}>
                      <span className="data-source-name">{s.name}</span>
                      <span className="small muted">
                        {s.kind === 'builtin' ? 'built-in · read by the graph' : `v ${shortId(v?.id)} · ${v?.rows.toLocaleString()} rows · ${fmtBytes(v?.bytes)} · ${fmtDate(v?.createdAt)}`}
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
          <h3>Upload a version</h3>
          <p className="small muted">CSV or JSON (array of records). The same name with new content becomes a new version.</p>
          <input ref={fileRef} type="file" accept=".csv,.json,text/csv,application/json" aria-label="dataset file" data-testid="dataset-upload" disabled={uploading} onChange={(e) => void onUpload(e.target.files?.[0])} />
          {uploading && <p className="small muted">Uploading…</p>}
          {uploadNote && <p className="small ok">{uploadNote}</p>}
          {uploadError && (
            <p className="error small" role="alert" data-testid="upload-error">
              {uploadError}
            </p>
          )}
        </aside>
        <div className="data-main">
          {!selected ? (
            <div className="panel muted">Pick or upload a dataset to see its rows and statistics.</div>
          ) : loaded.isLoading ? (
            <div className="panel muted">Loading {selected.name}…</div>
          ) : loaded.error || !loaded.data ? (
            <div className="panel">
              <p className="error" role="alert">
                {loaded.error ? errorMessage(loaded.error) : 'no data'}
              </p>
            </div>
          ) : (
            <>
              <section className="panel">
                <div className="row data-summary">
                  <h2>{selected.name}</h2>
                  <span className="small muted">
                    {loaded.data.table.nRows.toLocaleString()} rows × {loaded.data.table.columns.length} columns · {fmtBytes(loaded.data.bytes)}
                  </span>
                  <span className={`small ${missingTotal ? 'data-missing-count' : 'ok'}`}>{missingTotal ? `${missingTotal.toLocaleString()} missing values` : 'no missing values'}</span>
                </div>
                <DataTable table={loaded.data.table} />
              </section>
              {selected.kind === 'upload' && versionOf(selected) && (
                <section className="panel">
                  <h2>Data validation</h2>
                  <AnomalyList anomalies={versionOf(selected)!.anomalies ?? []} against={versionOf(selected)!.validatedAgainst ?? null} />
                </section>
              )}
              <section className="panel">
                <h2>Column statistics</h2>
                <ColumnStatsList columns={loaded.data.stats.columns} nRows={loaded.data.table.nRows} />
              </section>
            </>
          )}
        </div>
      </div>
    </div>
  );
}
