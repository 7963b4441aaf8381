/**
 * The gates that decide whether a model version may take an alias, as pure functions over what
 * the registry recorded: serveability (the version is READY), the evaluate node's metric gates,
 * and "must beat the version holding the alias now on the same test data" with MLflow-style
 * `min_absolute_change` / `min_relative_change`.
 *
 * "The same test data" is decided honestly and conservatively: two versions were scored on the
 * same rows only when the row lineage of their evaluate node (dataset versions, row filters and
 * the split with its seed) is identical — see {@link testDataFingerprint}. Anything else is "not
 * comparable" and blocks the move unless it is forced.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../lib/graph/canonical';
import type { Graph, GraphNode } from '../../lib/graph/schema';
import { METRIC_DIRECTION } from '../../lib/metrics/direction';
import { formatMetric } from '../../lib/metrics/format';
import '../../lib/nodes/catalog';
import { nodeDatasets, nodeRole, preservesRows, verdictNode } from '../../lib/nodes/graph-queries';

/** One gate's verdict on one alias move, as shown to users and stored in `alias_events`. */
export interface GateCheck {
  gate: 'serveable' | 'metric_gates' | 'beats_current';
  passed: boolean;
  /** true when the gate failed but `force` let the move through anyway */
  forced: boolean;
  /** one line: what was checked and, when it failed, by how much */
  detail: string;
  metric?: string;
  candidate?: number | null;
  baseline?: number | null;
  /** the value the candidate needed to reach (≤ for lower-is-better, ≥ for higher-is-better) */
  required?: number | null;
  /** how far the candidate is from `required` (0 when it passed) */
  shortBy?: number | null;
}

/** A gate result as the evaluate node records it (lib/nodes/types GateResult, JSON-safe). */
export interface RecordedGate {
  expr: string;
  metric?: string;
  value?: number | null;
  passed: boolean;
  margin?: number | null;
}

/** Compact number for gate messages: 4 significant digits, no exponent for everyday values. */
export function fmtNum(x: number | null | undefined): string {
  return formatMetric(x, 'n/a');
}

/** Gate (b): every metric gate the evaluate node recorded must have passed. */
export function checkMetricGates(recorded: unknown): Omit<GateCheck, 'forced'> {
  const gates = Array.isArray(recorded) ? (recorded as RecordedGate[]).filter((g) => g && typeof g.expr === 'string') : [];
  if (gates.length === 0) return { gate: 'metric_gates', passed: true, detail: 'metric gates: the evaluate node declares none' };
  const failed = gates.filter((g) => !g.passed);
  if (failed.length === 0) return { gate: 'metric_gates', passed: true, detail: `metric gates: all ${gates.length} passed (${gates.map((g) => g.expr).join(', ')})` };
  const parts = failed.map((g) => `${g.expr} failed with ${g.metric ?? 'value'} = ${fmtNum(g.value)}${typeof g.margin === 'number' ? `, off by ${fmtNum(g.margin)}` : ''}`);
  return { gate: 'metric_gates', passed: false, detail: `metric gates: ${parts.join('; ')}` };
}

/**
 * Gate (c)'s arithmetic: does `candidate` beat `baseline` on `metric` by the required margins?
 * Lower-is-better needs `candidate ≤ min(baseline − abs, baseline − |baseline|·rel)`;
 * higher-is-better needs `candidate ≥ max(baseline + abs, baseline + |baseline|·rel)`. With both
 * changes 0 a tie passes (as `needs ≤ 3.40 − 0` reads).
 */
export function compareMetric(opts: {
  metric: string;
  candidate: number | null | undefined;
  baseline: number | null | undefined;
  minAbsoluteChange?: number;
  minRelativeChange?: number;
  label: string;
}): Omit<GateCheck, 'forced'> {
  const { metric, label } = opts;
  const abs = opts.minAbsoluteChange ?? 0;
  const rel = opts.minRelativeChange ?? 0;
  const dir = METRIC_DIRECTION[metric];
  const base = { gate: 'beats_current' as const, metric, candidate: opts.candidate ?? null, baseline: opts.baseline ?? null };
  if (!dir) return { ...base, passed: false, detail: `${label}: metric "${metric}" has no known direction (known: ${Object.keys(METRIC_DIRECTION).join(', ')})` };
  const c = opts.candidate;
  const b = opts.baseline;
  if (typeof c !== 'number' || !Number.isFinite(c)) return { ...base, passed: false, detail: `${label} on ${metric}: the candidate has no ${metric} recorded` };
  if (typeof b !== 'number' || !Number.isFinite(b)) return { ...base, passed: false, detail: `${label} on ${metric}: the current version has no ${metric} recorded` };
  const required = dir === 'lower' ? Math.min(b - abs, b - Math.abs(b) * rel) : Math.max(b + abs, b + Math.abs(b) * rel);
  const passed = dir === 'lower' ? c <= required : c >= required;
  const shortBy = passed ? 0 : Math.abs(c - required);
  const op = dir === 'lower' ? '≤' : '≥';
  const sign = dir === 'lower' ? '−' : '+';
  const margin = rel > 0 ? `max(${fmtNum(abs)}, ${fmtNum(rel * 100)}% of ${fmtNum(Math.abs(b))})` : fmtNum(abs);
  const detail = `${label} on ${metric}: ${fmtNum(c)} vs ${fmtNum(b)}, needs ${op} ${fmtNum(b)} ${sign} ${margin}${passed ? '' : ` (short by ${fmtNum(shortBy)})`}`;
  return { ...base, passed, required, shortBy, detail };
}

/**
 * The metric the "must beat" gate compares when none is named: the first metric of the evaluate
 * node's own gates that has a known direction (what the author already declared they care
 * about), else rmse for regression and accuracy for classification.
 */
export function defaultComparisonMetric(recordedGates: unknown, metrics: Record<string, number | null>): string | null {
  const gates = Array.isArray(recordedGates) ? (recordedGates as RecordedGate[]) : [];
  for (const g of gates) if (g.metric && METRIC_DIRECTION[g.metric] && g.metric in metrics) return g.metric;
  if ('rmse' in metrics) return 'rmse';
  if ('accuracy' in metrics) return 'accuracy';
  return Object.keys(metrics).find((m) => METRIC_DIRECTION[m]) ?? null;
}

function sha(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * A fingerprint of the rows the graph's evaluate node scores: a Merkle hash over the nodes that
 * decide them (dataset sources with their resolved dataset version ids, row filters, the split
 * with its params and effective seed), ignoring node ids and every row-preserving node in
 * between. Two versions whose fingerprints are equal were scored on the same test rows, so their
 * recorded test metrics compare. Null when the graph has no evaluate node, no split upstream of
 * it (it scored its training rows), or a dataset node whose data is unknown.
 *
 * @param datasets the run's input name → dataset version id
 */
export function testDataFingerprint(graph: Graph, datasets: Record<string, string>): string | null {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const parents = new Map<string, string[]>();
  for (const e of graph.edges) parents.set(e.target, [...(parents.get(e.target) ?? []), e.source]);
  const evaluate = verdictNode(graph);
  if (!evaluate) return null;
  const memo = new Map<string, string | null>();
  let sawSplit = false;
  let unknownData = false;
  const visiting = new Set<string>();
  const fp = (id: string): string | null => {
    if (memo.has(id)) return memo.get(id)!;
    if (visiting.has(id)) return null; // a cycle never validates; refuse rather than loop
    visiting.add(id);
    const node = byId.get(id);
    let out: string | null = null;
    if (node) {
      const ups = (parents.get(id) ?? []).map(fp);
      if (ups.some((u) => u === null)) out = null;
      else {
        const upsSorted = [...new Set(ups as string[])].sort();
        // Kinds that keep every row (column transforms, models, training) do not decide test rows.
        if (preservesRows(node)) out = upsSorted.length === 1 ? upsSorted[0]! : sha(canonicalJson({ merge: upsSorted }));
        else out = sha(canonicalJson(nodeIdentity(node, graph.seed, datasets, () => (unknownData = true), () => (sawSplit = true), upsSorted)));
      }
    }
    visiting.delete(id);
    memo.set(id, out);
    return out;
  };
  const result = fp(evaluate.id);
  if (!result || !sawSplit || unknownData) return null;
  return result;
}

function nodeIdentity(node: GraphNode, graphSeed: number, datasets: Record<string, string>, unknown: () => void, split: () => void, parents: string[]) {
  const params = node.params ?? {};
  const id: Record<string, unknown> = { kind: node.kind, params, parents };
  // A node without its own seed draws from the graph seed and its id (lib/rng), so both matter.
  if (params.seed === undefined) id.seedFrom = { graphSeed, nodeId: node.id };
  if (nodeRole(node) === 'split') split();
  const refs = nodeDatasets(node);
  if (refs.length) {
    const data = refs.map((ref) => {
      if (ref.source === 'builtin') return { builtin: ref.name };
      const version = datasets[ref.name];
      if (!version) unknown();
      return { datasetVersion: version ?? null };
    });
    // One dataset (every kind today) keeps the fingerprint recorded before kinds declared it.
    id.data = data.length === 1 ? data[0] : data;
  }
  return id;
}
