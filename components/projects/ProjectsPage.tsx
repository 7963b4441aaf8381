'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { errorMessage, trpc } from '../studio/trpc';
import { uploadDataset, type UploadedDataset } from './upload';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function nameProblem(name: string, taken: Set<string>): string | null {
  if (!name) return 'give the project a name';
  if (name.length > 64) return 'at most 64 characters';
  if (!NAME_RE.test(name)) return 'letters, digits, _ . - only, starting with a letter or digit';
  if (taken.has(name)) return `a project named "${name}" already exists`;
  return null;
}

function uniqueName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

export function ProjectsPage() {
  const router = useRouter();
  const qc = useQueryClient();
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => trpc.projects.list.query() });
  const samples = useQuery({ queryKey: ['samples'], queryFn: () => trpc.projects.samples.query() });
  const taken = new Set((projects.data ?? []).map((p) => p.name));

  const [sample, setSample] = useState<string>('cars');
  const [sampleName, setSampleName] = useState('');
  const createSample = useMutation({
    mutationFn: (v: { name: string; sample: string }) => trpc.projects.createFromSample.mutate(v),
    onSuccess: async (p) => {
      await qc.invalidateQueries({ queryKey: ['projects'] });
      router.push(`/projects/${encodeURIComponent(p.name)}/canvas`);
    },
  });
  const effectiveSampleName = sampleName || uniqueName(sample, taken);
  const sampleProblem = nameProblem(effectiveSampleName, taken);

  const [csvName, setCsvName] = useState('');
  const [uploaded, setUploaded] = useState<UploadedDataset | null>(null);
  const [target, setTarget] = useState('');
  const [model, setModel] = useState<'mlp' | 'linear'>('mlp');
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const csvProblem = nameProblem(csvName, uploaded ? new Set() : taken);

  const onFile = async (file: File | undefined) => {
    setUploadError(null);
    setUploaded(null);
    if (!file) return;
    if (csvProblem) {
      setUploadError(`project name: ${csvProblem}`);
      return;
    }
    setUploading(true);
    try {
      const d = await uploadDataset(csvName, file);
      setUploaded(d);
      setTarget(d.schema[d.schema.length - 1]?.name ?? '');
    } catch (e) {
      setUploadError(errorMessage(e));
    } finally {
      setUploading(false);
    }
  };
  const initFromCsv = useMutation({
    mutationFn: () => trpc.projects.initFromDataset.mutate({ name: csvName, datasetId: uploaded!.id, target, model }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['projects'] });
      router.push(`/projects/${encodeURIComponent(csvName)}/canvas`);
    },
  });

  return (
    <main className="page">
      <header className="page-head">
        <h1>Projects</h1>
        <p className="muted">Each project holds a pipeline graph, its datasets, runs, registered models and endpoints.</p>
      </header>

      <section aria-labelledby="list-h" className="panel">
        <h2 id="list-h">Your projects</h2>
        {projects.isPending ? (
          <p className="muted">Loading…</p>
        ) : projects.error ? (
          <p role="alert" className="error">{errorMessage(projects.error)}</p>
        ) : projects.data.length === 0 ? (
          <p className="muted">No projects yet. Start from a sample or upload a CSV below.</p>
        ) : (
          <ul className="project-list">
            {projects.data.map((p) => (
              <li key={p.id}>
                <Link href={`/projects/${encodeURIComponent(p.name)}/canvas`} className="project-link">
                  <strong>{p.name}</strong>
                  <span className="muted">{p.description || 'No description'}</span>
                  <span className="muted small">created {new Date(p.createdAt).toLocaleString()}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>

      <div className="two-col">
        <section aria-labelledby="sample-h" className="panel">
          <h2 id="sample-h">New project from a sample</h2>
          <div className="sample-grid" role="radiogroup" aria-label="Sample">
            {(samples.data ?? []).map((s) => (
              <label key={s.id} className={`sample-card ${sample === s.id ? 'selected' : ''}`}>
                <input type="radio" name="sample" value={s.id} checked={sample === s.id} onChange={() => setSample(s.id)} />
                <strong>{s.title}</strong>
                <span className="muted small">{s.description}</span>
              </label>
            ))}
          </div>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (!sampleProblem) createSample.mutate({ name: effectiveSampleName, sample });
            }}
          >
            <label className="field">
              <span>Project name</span>
              <input value={sampleName} placeholder={effectiveSampleName} onChange={(e) => setSampleName(e.target.value.trim())} aria-invalid={!!sampleProblem} />
            </label>
            <button type="submit" className="primary" disabled={!!sampleProblem || createSample.isPending}>
              {createSample.isPending ? 'Creating…' : 'Create project'}
            </button>
          </form>
          {sampleName && sampleProblem ? <p className="error small">{sampleProblem}</p> : null}
          {createSample.error ? <p role="alert" className="error">{errorMessage(createSample.error)}</p> : null}
        </section>

        <section aria-labelledby="csv-h" className="panel">
          <h2 id="csv-h">New project from a CSV</h2>
          <p className="muted small">Columns and types are inferred as <code>kiln init</code> does; pick the column to predict.</p>
          <label className="field">
            <span>Project name</span>
            <input value={csvName} onChange={(e) => setCsvName(e.target.value.trim())} disabled={!!uploaded} aria-invalid={!!csvName && !!csvProblem} />
          </label>
          {csvName && csvProblem && !uploaded ? <p className="error small">{csvProblem}</p> : null}
          <label className="field">
            <span>CSV or JSON file</span>
            <input type="file" accept=".csv,.json,text/csv,application/json" aria-label="Upload CSV" disabled={uploading || !!uploaded} onChange={(e) => void onFile(e.target.files?.[0])} />
          </label>
          {uploading ? <p className="muted">Uploading and checking…</p> : null}
          {uploadError ? (
            <p role="alert" className="error" data-testid="upload-error">
              {uploadError}
            </p>
          ) : null}
          {uploaded ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                initFromCsv.mutate();
              }}
            >
              <p className="small">
                <strong>{uploaded.name}</strong>: {uploaded.rows.toLocaleString()} rows × {uploaded.schema.length} columns
              </p>
              <div className="row">
                <label className="field">
                  <span>Target column</span>
                  <select value={target} onChange={(e) => setTarget(e.target.value)}>
                    {uploaded.schema.map((c) => (
                      <option key={c.name} value={c.name}>
                        {c.name} ({c.type})
                      </option>
                    ))}
                  </select>
                </label>
                <label className="field">
                  <span>Model</span>
                  <select value={model} onChange={(e) => setModel(e.target.value as 'mlp' | 'linear')}>
                    <option value="mlp">MLP</option>
                    <option value="linear">Linear / logistic</option>
                  </select>
                </label>
                <button type="submit" className="primary" disabled={initFromCsv.isPending}>
                  Create pipeline
                </button>
              </div>
              {initFromCsv.error ? <p role="alert" className="error">{errorMessage(initFromCsv.error)}</p> : null}
            </form>
          ) : null}
        </section>
      </div>
    </main>
  );
}
