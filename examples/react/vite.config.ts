import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The test build's extra entry: `src/harness-driver.ts` (the driver contract,
 * `window.authHarness`) joins `src/main.tsx` in index.html. Only `--mode harness` adds it,
 * so a production build (`vite build`) holds no driver.
 */
function harnessDriver(): Plugin {
  return {
    name: 'harness-driver',
    transformIndexHtml: {
      order: 'pre', // before Vite bundles the page's module scripts
      handler: () => [
        {
          tag: 'script',
          attrs: { type: 'module', src: '/src/harness-driver.ts' },
          injectTo: 'body',
        },
      ],
    },
  };
}

export default defineConfig(({ mode }) => ({
  plugins: [react(), ...(mode === 'harness' ? [harnessDriver()] : [])],
  build: { outDir: mode === 'harness' ? 'dist/harness' : 'dist/app', emptyOutDir: true },
}));
