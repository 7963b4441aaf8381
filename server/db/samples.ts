/**
 * Sample projects the studio offers on "New project": a built-in vega dataset, a target and the
 * pipeline `kiln init` would write for it, so each runs with nothing uploaded.
 */
import '../../lib/nodes/catalog';
import { loadBuiltinDataset } from '../../lib/data/node';
import { parseTable } from '../../lib/data/infer';
import { initGraphFromTable } from '../../lib/graph/templates';
import type { Db } from './client';
import { ensureProject, listProjects, saveGraph } from './catalog';
import type { Project } from './schema';

export interface Sample {
  id: 'cars' | 'penguins' | 'seattle-weather';
  title: string;
  description: string;
  dataset: string;
  target: string;
  model: 'linear' | 'mlp';
}

export const SAMPLES: readonly Sample[] = [
  { id: 'cars', title: 'Cars: fuel economy', description: 'Regression: predict Miles_per_Gallon from engine and weight (406 cars) with an MLP.', dataset: 'cars', target: 'Miles_per_Gallon', model: 'mlp' },
  { id: 'penguins', title: 'Penguins: species', description: 'Classification: tell Adelie, Chinstrap and Gentoo apart from beak and flipper sizes (344 penguins).', dataset: 'penguins', target: 'Species', model: 'linear' },
  { id: 'seattle-weather', title: 'Seattle weather', description: 'Classification: sun, rain, drizzle, snow or fog from precipitation, temperatures and wind (1,461 days).', dataset: 'seattle-weather', target: 'weather', model: 'mlp' },
];

/** Creates project `name` with the sample's pipeline as its first graph version. */
export async function createSampleProject(db: Db, sampleId: Sample['id'], name: string, description?: string): Promise<Project & { graphHash: string }> {
  const sample = SAMPLES.find((s) => s.id === sampleId);
  if (!sample) throw new Error(`no sample "${sampleId}"`);
  const src = await loadBuiltinDataset(sample.dataset);
  const table = parseTable(src);
  const { graph } = initGraphFromTable(table, {
    target: sample.target,
    model: sample.model,
    source: { source: 'builtin', name: sample.dataset },
    file: src.name,
  });
  const project = await ensureProject(db, name, description ?? `Sample: ${sample.description}`);
  const { hash } = await saveGraph(db, project.id, { ...graph, name: `${sample.title} (${sample.model})` });
  return { ...project, graphHash: hash };
}

/** On a fresh database, creates the `cars-sample` project. Returns its name when it did. */
export async function seedSampleProject(db: Db): Promise<string | null> {
  if ((await listProjects(db)).length > 0) return null;
  const p = await createSampleProject(db, 'cars', 'cars-sample', 'Sample: predict a car’s fuel economy (vega cars) with an MLP');
  return p.name;
}
