import { defineConfig } from 'vite';

// `npm run dev` proxies the API to an `opentill-edge serve` on port 8080.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  build: { target: 'es2022', sourcemap: false },
  test: { include: ['src/**/*.test.ts'] },
} as any);
