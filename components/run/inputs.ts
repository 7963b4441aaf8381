/** Maps the input datasets a graph reads (as its kinds declare them) to stored dataset versions. */
import type { Graph } from '../../lib/graph/schema';
import { trpc } from '../studio/trpc';
import { graphInputDatasets } from '../../lib/nodes/graph-queries';

/**
 * `{ input name: newest dataset version id }` for every input the graph reads. Throws one line
 * naming the node and the dataset when an input has never been uploaded to the project.
 */
export async function resolveInputDatasets(projectName: string, graph: Graph): Promise<Record<string, string>> {
  const names = graphInputDatasets(graph);
  if (names.size === 0) return {};
  const versions = await trpc.datasets.list.query({ projectName, limit: 1000 });
  const out: Record<string, string> = {};
  for (const [name, nodeId] of names) {
    // The list is newest first, so the first match is the newest version.
    const v = versions.find((d) => d.name === name);
    if (!v) throw new Error(`node "${nodeId}" reads input dataset "${name}", which is not uploaded to project "${projectName}" (upload it on the Data tab)`);
    out[name] = v.id;
  }
  return out;
}
