'use client';
import { useQuery } from '@tanstack/react-query';
import { inferSchema, parseTable } from '../../lib/data/infer';
import type { Graph, GraphNode } from '../../lib/graph/schema';
import { nodeDatasets } from '../../lib/nodes/graph-queries';
import type { DatasetRef } from '../../lib/nodes/types';
import { builtinUrl, fetchSource } from '../run/fetch-data';
import { trpc } from '../studio/trpc';

/** The nearest node reading a dataset upstream of `nodeId` (itself when it reads one), and what it reads. */
export function upstreamDataset(graph: Graph, nodeId: string): { node: GraphNode; ref: DatasetRef } | null {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const queue = [nodeId];
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = byId.get(id);
    const ref = n ? nodeDatasets(n)[0] : undefined;
    if (n && ref) return { node: n, ref };
    for (const e of graph.edges) if (e.target === id) queue.push(e.source);
  }
  return null;
}

/** Column names of a built-in dataset: parsed from its file (CSV: the first rows suffice). */
async function builtinColumns(name: string): Promise<string[]> {
  const src = await fetchSource(builtinUrl(name), name);
  const format = src.format;
  let text = src.text;
  if (format === 'csv' && text.length > 65536) text = text.slice(0, text.lastIndexOf('\n', 65536));
  if (format === 'json' && text.length > 8_000_000) {
    // Too big to parse for a picker: read the keys of the first record.
    const m = /\{[^{}]*\}/.exec(text.slice(0, 65536));
    return m ? Object.keys(JSON.parse(m[0]) as object) : [];
  }
  return inferSchema(parseTable({ name, text, format })).map((c) => c.name);
}

export interface ColumnsInfo {
  columns: string[] | null;
  loading: boolean;
  error: string | null;
  /** where the columns come from, for the hint under pickers */
  from: string | null;
}

/**
 * The raw columns of the dataset upstream of a node: the dataset node's declared schema, else
 * the built-in file, else the newest uploaded version of that input's schema.
 */
export function useColumns(graph: Graph, nodeId: string | null, projectName: string | null): ColumnsInfo {
  const up = nodeId ? upstreamDataset(graph, nodeId) : null;
  const ds = up?.node;
  const declared = up?.ref.schema?.map((c) => c.name) ?? null;
  const name = up?.ref.name || null;
  const source = up?.ref.source ?? 'builtin';
  const enabled = !!ds && !declared?.length && !!name;
  const q = useQuery({
    queryKey: ['canvas-columns', source, projectName, name],
    enabled,
    staleTime: Infinity,
    retry: false,
    queryFn: async (): Promise<string[]> => {
      if (source === 'builtin') return builtinColumns(name!);
      const rows = await trpc.datasets.list.query({ projectName: projectName!, name: name!, limit: 1 });
      const schema = rows[0]?.schema;
      if (!Array.isArray(schema)) throw new Error(`no uploaded dataset named "${name}" in this project yet`);
      return schema.map((c) => (c as { name: string }).name);
    },
  });
  if (!ds) return { columns: null, loading: false, error: null, from: null };
  if (declared?.length) return { columns: declared, loading: false, error: null, from: `${ds.id} schema` };
  if (!name) return { columns: null, loading: false, error: null, from: null };
  return {
    columns: q.data ?? null,
    loading: q.isLoading,
    error: q.error ? (q.error as Error).message : null,
    from: `${ds.id} (${source === 'builtin' ? 'built-in' : 'uploaded'} "${name}")`,
  };
}
