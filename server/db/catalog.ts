/**
 * Projects, graph versions and dataset versions: the immutable things runs point at. Graphs are
 * stored by the hash of their execution part, with the canvas layout kept in its own table so
 * moving a node never creates a version; datasets are stored by content hash.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import { executionGraph, graphHash } from '../../lib/graph/canonical';
import type { Graph } from '../../lib/graph/schema';
import type { Db } from './client';
import { datasets, graphDrafts, graphLayouts, graphs, projects, type Dataset, type Project } from './schema';

/** Canvas-only data of a graph version, by node id. */
export interface GraphLayout {
  nodes: Record<string, { position?: { x: number; y: number }; label?: string }>;
}

/** A stored graph version. */
export interface StoredGraph {
  projectId: string;
  hash: string;
  name: string;
  /** the execution graph as hashed (no positions or labels): what a runner executes */
  doc: Graph;
  /** `doc` with the name and the saved layout put back: what the studio shows */
  graph: Graph;
  layout: GraphLayout | null;
  createdAt: Date;
}

/** Returns the project with this name, creating it on first use (safe when two callers race). */
export async function ensureProject(db: Db, name: string, description = ''): Promise<Project> {
  await db.insert(projects).values({ id: randomUUID(), name, description }).onConflictDoNothing({ target: projects.name });
  const [row] = await db.select().from(projects).where(eq(projects.name, name));
  if (!row) throw new Error(`project "${name}" vanished right after it was ensured`);
  return row;
}

/** The project with this id, or null. */
export async function getProject(db: Db, id: string): Promise<Project | null> {
  const [row] = await db.select().from(projects).where(eq(projects.id, id));
  return row ?? null;
}

/** All projects, by name. */
export function listProjects(db: Db): Promise<Project[]> {
  return db.select().from(projects).orderBy(asc(projects.name));
}

/** The canvas part of a graph: positions and labels by node id. */
export function graphLayoutOf(graph: Graph): GraphLayout {
  const nodes: GraphLayout['nodes'] = {};
  for (const n of graph.nodes) {
    if (n.position === undefined && n.label === undefined) continue;
    nodes[n.id] = { ...(n.position ? { position: n.position } : {}), ...(n.label !== undefined ? { label: n.label } : {}) };
  }
  return { nodes };
}

/**
 * Stores a graph version under its execution hash (idempotent: the same graph saved twice is one
 * row, `created` false the second time) and records its layout, replacing an older layout of the
 * same version. The caller validates the graph first; this only stores it.
 */
export async function saveGraph(db: Db, projectId: string, graph: Graph): Promise<{ hash: string; created: boolean }> {
  const hash = graphHash(graph);
  const doc = executionGraph(graph);
  const layout = graphLayoutOf(graph);
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(graphs)
      .values({ projectId, hash, name: graph.name ?? '', doc })
      .onConflictDoNothing()
      .returning({ hash: graphs.hash });
    await tx
      .insert(graphLayouts)
      .values({ projectId, graphHash: hash, layout })
      .onConflictDoUpdate({ target: [graphLayouts.projectId, graphLayouts.graphHash], set: { layout, updatedAt: new Date() } });
    return { hash, created: inserted.length > 0 };
  });
}

/** A stored graph version with its layout, or null when the project has no such hash. */
export async function getGraph(db: Db, projectId: string, hash: string): Promise<StoredGraph | null> {
  const [row] = await db
    .select({ g: graphs, layout: graphLayouts.layout })
    .from(graphs)
    .leftJoin(graphLayouts, and(eq(graphLayouts.projectId, graphs.projectId), eq(graphLayouts.graphHash, graphs.hash)))
    .where(and(eq(graphs.projectId, projectId), eq(graphs.hash, hash)));
  if (!row) return null;
  const doc = row.g.doc as Graph;
  const layout = (row.layout as GraphLayout | null) ?? null;
  const graph: Graph = {
    ...doc,
    ...(row.g.name ? { name: row.g.name } : {}),
    nodes: doc.nodes.map((n) => ({ ...n, ...(layout?.nodes[n.id] ?? {}) })),
  };
  return { projectId: row.g.projectId, hash: row.g.hash, name: row.g.name, doc, graph, layout, createdAt: row.g.createdAt };
}

/** Graph versions of a project, newest first (without documents). */
export function listGraphs(db: Db, projectId: string, limit = 100): Promise<{ hash: string; name: string; createdAt: Date }[]> {
  return db
    .select({ hash: graphs.hash, name: graphs.name, createdAt: graphs.createdAt })
    .from(graphs)
    .where(eq(graphs.projectId, projectId))
    .orderBy(desc(graphs.createdAt))
    .limit(limit);
}

/** What the upload path knows about a dataset version before it is recorded. */
export interface NewDatasetVersion {
  projectId: string;
  name: string;
  /** SHA-256 of the file's bytes */
  hash: string;
  format: 'csv' | 'json';
  bytes: number;
  rows: number;
  schema: unknown;
  stats: unknown;
  /** lib/sketch table sketch (JSON) and the data schema inferred from it */
  sketch?: unknown;
  dataSchema?: unknown;
  /** server-generated storage key */
  storageKey: string;
}

/**
 * Records a dataset version. The same (project, name, content) uploaded again returns the row
 * already there instead of a duplicate (safe when two uploads race).
 */
export async function insertDatasetVersion(db: Db, v: NewDatasetVersion): Promise<Dataset> {
  await db
    .insert(datasets)
    .values({ id: randomUUID(), ...v })
    .onConflictDoNothing({ target: [datasets.projectId, datasets.name, datasets.hash] });
  const [row] = await db
    .select()
    .from(datasets)
    .where(and(eq(datasets.projectId, v.projectId), eq(datasets.name, v.name), eq(datasets.hash, v.hash)));
  if (!row) throw new Error(`dataset "${v.name}" vanished right after it was recorded`);
  return row;
}

/** Any dataset version of the project with this content hash (newest first), or null. */
export async function findDatasetByHash(db: Db, projectId: string, hash: string): Promise<Dataset | null> {
  const [row] = await db
    .select()
    .from(datasets)
    .where(and(eq(datasets.projectId, projectId), eq(datasets.hash, hash)))
    .orderBy(desc(datasets.createdAt))
    .limit(1);
  return row ?? null;
}

/** The dataset version with this id, or null. */
export async function getDataset(db: Db, id: string): Promise<Dataset | null> {
  const [row] = await db.select().from(datasets).where(eq(datasets.id, id));
  return row ?? null;
}

/** The dataset versions with these ids (missing ids are simply absent from the result). */
export function getDatasets(db: Db, ids: string[]): Promise<Dataset[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.select().from(datasets).where(inArray(datasets.id, ids));
}

/** Dataset versions of a project, newest first, optionally only those with one name. */
export function listDatasets(db: Db, projectId: string, opts: { name?: string; limit?: number } = {}): Promise<Dataset[]> {
  const where = opts.name === undefined ? eq(datasets.projectId, projectId) : and(eq(datasets.projectId, projectId), eq(datasets.name, opts.name));
  return db
    .select()
    .from(datasets)
    .where(where)
    .orderBy(desc(datasets.createdAt))
    .limit(opts.limit ?? 100);
}

/** The project's working copy of its graph, or null when the studio never saved one. */
export async function getGraphDraft(db: Db, projectId: string): Promise<{ doc: Graph; updatedAt: Date } | null> {
  const [row] = await db.select().from(graphDrafts).where(eq(graphDrafts.projectId, projectId));
  return row ? { doc: row.doc as Graph, updatedAt: row.updatedAt } : null;
}

/** Replaces the project's working copy (the caller checks its shape). */
export async function putGraphDraft(db: Db, projectId: string, doc: Graph): Promise<void> {
  const now = new Date();
  await db.insert(graphDrafts).values({ projectId, doc, updatedAt: now }).onConflictDoUpdate({ target: graphDrafts.projectId, set: { doc, updatedAt: now } });
}
