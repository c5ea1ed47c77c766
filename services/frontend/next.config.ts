import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const config: NextConfig = {
  // A self-contained server (`.next/standalone`) for the image: node server.js, no npm at run time.
  output: 'standalone',
  // The workspace's dependencies are hoisted to the repository root; trace files from there.
  outputFileTracingRoot: fileURLToPath(new URL('../..', import.meta.url)),
  turbopack: { root: fileURLToPath(new URL('../..', import.meta.url)) },
  poweredByHeader: false,
  // Server-only packages with native or worker-thread parts, or optional store drivers
  // (rate-limiter-flexible), or module state of their own (prom-client's default registry):
  // loaded from node_modules, not bundled.
  serverExternalPackages: ['pg', 'ioredis', 'pino', 'rate-limiter-flexible', 'prom-client'],
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          // The console embeds Jitsi; nothing embeds the console.
          { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
        ],
      },
    ];
  },
};

export default config;
