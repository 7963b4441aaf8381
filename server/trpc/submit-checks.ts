/**
 * What the server can check about a graph's data before queueing a run, so a run that cannot
 * work is refused at submit (400 naming the node and param) instead of failing on a runner:
 * built-in dataset names that do not exist, input names without a version, and, for stored
 * versions, a target or declared columns their schema does not have.
 */
import { KilnError } from '../../lib/errors';
import { findBuiltinDataset } from '../../lib/data/node';
import { graphDatasets, graphInputDatasets } from '../../lib/nodes/graph-queries';
import type { Graph } from '../../lib/graph/schema';
import type { Dataset } from '../db/schema';

/**
 * Input names of the graph against the `datasets` map of a submit (own keys only: an input named
 * `constructor` or `__proto__` is a name like any other).
 * @throws KilnError `BAD_REQUEST` naming the node or the `datasets` key
 */
export function checkInputNames(graph: Graph, datasets: Readonly<Record<string, string>>): void {
  const inputs = graphInputDatasets(graph);
  for (const [name, nodeId] of inputs) {
    if (!Object.hasOwn(datasets, name)) {
      throw new KilnError('BAD_REQUEST', `node "${nodeId}" reads input dataset "${name}", but no dataset version was given for it (datasets.${name})`, { nodeId, param: 'name' });
    }
  }
  for (const name of Object.keys(datasets)) {
    if (!inputs.has(name)) {
      const known = [...inputs.keys()].map((n) => `"${n}"`).join(', ') || 'none';
      throw new KilnError('BAD_REQUEST', `datasets.${name}: the graph has no input dataset "${name}" (its inputs: ${known})`);
    }
  }
}

/**
 * Built-in names exist, and each input's stored version has the target and declared columns
 * its node names. `versions` maps input name → the version given for it.
 * @throws KilnError `BAD_REQUEST` naming node and param
 */
export async function checkGraphData(graph: Graph, versions: ReadonlyMap<string, Dataset>): Promise<void> {
  for (const { nodeId, ref } of graphDatasets(graph)) {
    if (ref.source === 'builtin') {
      try {
        await findBuiltinDataset(ref.name);
      } catch (e) {
        if (e instanceof KilnError && e.code === 'UNKNOWN_DATASET') throw new KilnError('BAD_REQUEST', `node "${nodeId}" param "name": ${e.message}`, { nodeId, param: 'name' });
        throw e;
      }
      continue;
    }
    const d = versions.get(ref.name);
    if (!d || !Array.isArray(d.schema)) continue;
    const columns = new Set((d.schema as { name?: unknown }[]).map((c) => String(c.name)));
    const shown = () => [...columns].slice(0, 20).map((c) => `"${c}"`).join(', ') + (columns.size > 20 ? `, … (${columns.size} in all)` : '');
    if (ref.target !== undefined && !columns.has(ref.target)) {
      throw new KilnError('BAD_REQUEST', `node "${nodeId}" param "target": column "${ref.target}" is not in dataset "${d.name}" (columns: ${shown()})`, { nodeId, param: 'target', column: ref.target });
    }
    for (const c of ref.schema ?? []) {
      if (!columns.has(c.name)) throw new KilnError('BAD_REQUEST', `node "${nodeId}" param "schema": column "${c.name}" is not in dataset "${d.name}" (columns: ${shown()})`, { nodeId, param: 'schema', column: c.name });
    }
  }
}
