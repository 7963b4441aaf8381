import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.KILN_E2E_PORT ?? 3100);
const BASE_URL = `http://localhost:${PORT}`;

/**
 * End-to-end tests run the production build in Debian's Chromium (no Playwright browser
 * download). `--enable-unsafe-webgpu` exposes WebGPU, backed by SwiftShader where the machine
 * has no GPU, so the browser's WebGPU path is exercised for real; the other flags stop
 * Chromium from phoning home during tests.
 */
export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: process.env.CI ? 2 : undefined,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  timeout: 60_000,
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
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
    // Tests run Kiln's own server (API + the production Next build), as `npm start` does, on a
    // throwaway data dir. `npm run test:e2e` builds first; off CI an already running server on
    // the port is reused to keep the edit-test loop fast.
    command: `npx tsx server/main.ts --port ${PORT} --no-local-runner --data-dir .data/e2e-${PORT}`,
    url: `${BASE_URL}/api/health`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: { NEXT_TELEMETRY_DISABLED: '1' },
  },
});
