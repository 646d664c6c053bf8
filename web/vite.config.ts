import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Bundles web/ into dist/web, which the API serves at `/` (src/server/webApp.ts). Everything the
// pages load comes from this bundle: nothing is fetched from the internet at run time.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The explorer (GraphiQL with its editor) is one large chunk, loaded only on /explorer.
    chunkSizeWarningLimit: 6000,
    rolldownOptions: {
      // GraphiQL's React-compiler directives ("use no memo") are hints that bundling drops harmlessly.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: { proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } } },
});
