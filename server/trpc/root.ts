/** The studio's API: one router per domain. Clients import only `type AppRouter`. */
import { datasetsRouter } from './datasets';
import { endpointsRouter } from './endpoints';
import { graphsRouter } from './graphs';
import { projectsRouter } from './projects';
import { registryRouter } from './registry';
import { runnersRouter } from './runners';
import { runsRouter } from './runs';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  projects: projectsRouter,
  graphs: graphsRouter,
  datasets: datasetsRouter,
  runs: runsRouter,
  runners: runnersRouter,
  registry: registryRouter,
  endpoints: endpointsRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP (tests, scripts). */
export const createCaller = createCallerFactory(appRouter);
