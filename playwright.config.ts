import { defineConfig } from '@playwright/test';
import { OWNER_STATE, OWNER_TOKEN } from './e2e/auth-helpers';

const PORT = Number(process.env.KILN_E2E_PORT ?? 3100);
const BASE_URL = `http://localhost:${PORT}`;
/** The serving process (TF Serving REST API) the e2e server's local runner starts beside it. */
const SERVING_PORT = Number(process.env.KILN_E2E_SERVING_PORT ?? 8599);

/**
 * End-to-end tests run the production build in Debian's Chromium (no Playwright browser
 * download). `--enable-unsafe-webgpu` exposes WebGPU, backed by SwiftShader where the machine
 * has no GPU, so the browser's WebGPU path is exercised for real; the other flags stop
 * Chromium from phoning home during tests.
 */
export default defineConfig({
  testDir: './e2e',
  // Every test runs signed in as the owner (e2e/global-setup.ts); tests of signing in make their own contexts.
  globalSetup: './e2e/global-setup.ts',
  outputDir: './test-results',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: process.env.CI ? 2 : undefined,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL: BASE_URL,
    storageState: OWNER_STATE,
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--enable-unsafe-webgpu',
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    // Tests run Kiln's own server (API + the production Next build) with its local runner and
    // serving process, as `npm start` does, on a fresh throwaway data dir. The runner trains on
    // wasm: the e2e tests check the studio's flow, and the WebGPU path is exercised in the
    // browser. `npm run test:e2e` builds first; off CI an already running server is reused.
    command: `rm -rf .data/e2e-${PORT} && npx tsx server/main.ts --port ${PORT} --local-runner --serving-port ${SERVING_PORT} --data-dir .data/e2e-${PORT}`,
    url: `${BASE_URL}/api/health`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: { NEXT_TELEMETRY_DISABLED: '1', KILN_BOOTSTRAP_TOKEN: OWNER_TOKEN, KILN_RUNNER_BACKEND: 'wasm', KILN_SERVING_URL: `http://localhost:${SERVING_PORT}` },
  },
});
