/** The studio's API: one router per domain. Clients import only `type AppRouter`. */
import { accountRouter } from './account';
import { customNodesRouter } from './custom-nodes';
import { datasetsRouter } from './datasets';
import { endpointsRouter } from './endpoints';
import { graphsRouter } from './graphs';
import { monitoringRouter } from './monitoring';
import { notebooksRouter } from './notebooks';
import { projectsRouter } from './projects';
import { registryRouter } from './registry';
import { runnersRouter } from './runners';
import { runsRouter } from './runs';
import { sharesRouter } from './shares';
import { usersRouter } from './users';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  projects: projectsRouter,
  graphs: graphsRouter,
  datasets: datasetsRouter,
  runs: runsRouter,
  runners: runnersRouter,
  registry: registryRouter,
  endpoints: endpointsRouter,
  monitoring: monitoringRouter,
  customNodes: customNodesRouter,
  notebooks: notebooksRouter,
  account: accountRouter,
  users: usersRouter,
  shares: sharesRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side calls without HTTP (tests, scripts). */
export const createCaller = createCallerFactory(appRouter);
