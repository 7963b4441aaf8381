/** Maps the input datasets a graph reads (as its kinds declare them) to stored dataset versions. */
import { trpc, type RouterInputs, type RouterOutputs } from '../studio/trpc';
import { graphInputDatasets, type NodeLike, type NodesOf } from '../../lib/nodes/graph-queries';

/** Lists a project's dataset versions, newest first (the studio's tRPC client by default). */
export type ListDatasets = (input: RouterInputs['datasets']['list'], signal?: AbortSignal) => Promise<RouterOutputs['datasets']['list']>;

const listDatasets: ListDatasets = (input, signal) => trpc.datasets.list.query(input, { signal });

/**
 * `{ input name: newest dataset version id }` for every input the graph reads. Throws one line
 * naming the node and the dataset when an input has never been uploaded to the project.
 */
export async function resolveInputDatasets(
  projectName: string,
  graph: NodesOf<NodeLike>,
  opts: { list?: ListDatasets; signal?: AbortSignal } = {},
): Promise<Record<string, string>> {
  const names = graphInputDatasets(graph);
  if (names.size === 0) return {};
  const versions = await (opts.list ?? listDatasets)({ projectName, limit: 1000 }, opts.signal);
  const out: Record<string, string> = {};
  for (const [name, nodeId] of names) {
    // The list is newest first, so the first match is the newest version.
    const v = versions.find((d) => d.name === name);
    if (!v) throw new Error(`node "${nodeId}" reads input dataset "${name}", which is not uploaded to project "${projectName}" (upload it on the Data tab)`);
    out[name] = v.id;
  }
  return out;
}
