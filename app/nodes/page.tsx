import { listNodeKinds } from '../../lib/nodes/catalog';
import type { NodeKind } from '../../lib/nodes/types';
import { NodeKindCard } from '../../components/ui/NodeKindCard';

// Pipeline order, so the catalog reads the way a graph flows: data in, metrics out.
const CATEGORIES: { id: NodeKind['category']; title: string }[] = [
  { id: 'data', title: 'Data' },
  { id: 'preprocess', title: 'Preprocess' },
  { id: 'model', title: 'Models' },
  { id: 'train', title: 'Train' },
  { id: 'evaluate', title: 'Evaluate' },
];

export default function HomePage() {
  const kinds = listNodeKinds();
  const groups = CATEGORIES.map((c) => ({
    ...c,
    kinds: kinds
      .filter((k) => k.category === c.id)
      .sort((a, b) => a.label.localeCompare(b.label)),
  })).filter((g) => g.kinds.length > 0);

  return (
    <main>
      <header className="hero">
        <h1>Kiln</h1>
        <p>
          One pipeline graph from canvas to endpoint: prototype on WebGPU in your browser, then
          train, register and serve the very same graph on a GPU runner.
        </p>
      </header>

      {groups.length === 0 ? (
        <p className="empty">No node kinds are registered.</p>
      ) : (
        groups.map((g) => (
          <section key={g.id} className="category" aria-labelledby={`cat-${g.id}`}>
            <h2 id={`cat-${g.id}`}>
              {g.title} <span aria-hidden="true">· {g.kinds.length}</span>
            </h2>
            <ul className="kinds">
              {g.kinds.map((k) => (
                <NodeKindCard
                  key={k.kind}
                  node={{
                    kind: k.kind,
                    label: k.label,
                    description: k.description,
                    inputs: k.inputs,
                    outputs: k.outputs,
                  }}
                />
              ))}
            </ul>
          </section>
        ))
      )}
    </main>
  );
}
