/** Signs the owner in once; every test starts from that browser state (playwright.config.ts). */
import { chromium, request, type FullConfig } from '@playwright/test';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OWNER_STATE, signIn } from './auth-helpers';

export default async function globalSetup(config: FullConfig): Promise<void> {
  const baseURL = config.projects[0]!.use.baseURL!;
  const browser = await chromium.launch({ executablePath: config.projects[0]!.use.launchOptions?.executablePath ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const context = await browser.newContext();
  const req = await request.newContext();
  await signIn(context, req, baseURL);
  await mkdir(dirname(OWNER_STATE), { recursive: true });
  await context.storageState({ path: OWNER_STATE });
  await req.dispose();
  await browser.close();
}
