import { fileURLToPath, URL } from 'node:url'

import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

// Built into api/web_dist/, which the Starlette app serves at / (api/app.py). No inline
// script or style ends up in index.html: the CSP allows only 'self'.
export default defineConfig({
  plugins: [vue()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  base: '/',
  build: {
    outDir: '../api/web_dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1500,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8000', ws: true },
      '/auth': 'http://127.0.0.1:8000',
      '/files': 'http://127.0.0.1:8000',
      '/case-files': 'http://127.0.0.1:8000',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/unit/**/*.test.ts'],
  },
})
