import '../../lib/nodes/catalog';
import { loadBuiltinDataset } from '../../lib/data/node';
import { parseTable } from '../../lib/data/infer';
import { initGraphFromTable } from '../../lib/graph/templates';
import type { Db } from './client';
import { ensureProject, listProjects, saveGraph } from './catalog';

/**
 * On a fresh database, creates the sample project: vega `cars`, predicting Miles_per_Gallon with
 * the pipeline `kiln init` would write (built-in data, so it runs with nothing uploaded).
 * Does nothing once any project exists. Returns the project name when it seeded one.
 */
export async function seedSampleProject(db: Db): Promise<string | null> {
  if ((await listProjects(db)).length > 0) return null;
  const src = await loadBuiltinDataset('cars');
  const table = parseTable(src);
  const { graph } = initGraphFromTable(table, { target: 'Miles_per_Gallon', model: 'mlp', source: { source: 'builtin', name: 'cars' } });
  const project = await ensureProject(db, 'cars-sample', 'Sample: predict a car’s fuel economy (vega cars) with an MLP');
  await saveGraph(db, project.id, { ...graph, name: 'cars: Miles_per_Gallon (MLP)' });
  return project.name;
}
