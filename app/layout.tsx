import type { Metadata } from 'next';
import Link from 'next/link';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import { AccountMenu } from '../components/studio/AccountMenu';
import { Providers } from '../components/studio/Providers';
import './globals.css';

export const metadata: Metadata = {
  title: 'Kiln',
  description:
    'Design ML pipelines in the browser, prototype on WebGPU, then train, register and serve the same graph.',
  // Static files live in the tracked public/ (the build only adds generated folders beside them).
  icons: { icon: { url: '/favicon.svg', type: 'image/svg+xml' } },
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request: Next puts the request's CSP nonce (server/http/csp.ts) on
  // its inline scripts only when it renders, so a page prerendered at build time would carry none
  // and the policy would block its scripts.
  await connection();
  return (
    <html lang="en">
      <body>
        <Providers>
          <div className="app">
            <nav className="topbar" aria-label="Kiln">
              <Link href="/" className="brand">
                Kiln
              </Link>
              <Link href="/">Projects</Link>
              <Link href="/nodes">Node catalog</Link>
              <AccountMenu />
            </nav>
            {children}
          </div>
        </Providers>
      </body>
    </html>
  );
}
