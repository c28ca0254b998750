import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, URL } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

import vue from '@vitejs/plugin-vue'
import type { Plugin } from 'vite'
import { defineConfig } from 'vitest/config'

// codegen's graphql(`…`) looks its document up in a map of every document of the app
// (src/gql/gql.ts), which puts all of them, twice, in the first chunk (about 100 KB of it).
// As the client preset's Babel plugin does, each call is replaced at build by its document
// as src/gql/graphql.ts writes it, built in the module that uses it, so each chunk carries
// only its own documents (ADR 0058). A call not found stays as it was.
const GQL = fileURLToPath(new URL('./src/gql/', import.meta.url))

function documentImports(): Plugin {
  let documents: Map<string, string> | null = null
  /** each graphql() source, as written in src/, to its TypedDocumentString arguments */
  function bySource(): Map<string, string> {
    if (documents) return documents
    const args = new Map<string, string>()
    const generated = readFileSync(join(GQL, 'graphql.ts'), 'utf8')
    for (const found of generated.matchAll(/^export const (\w+) = new TypedDocumentString\((`[^`]*`(?:, \{[^}\n]*\})?)\) as unknown as /gm)) {
      args.set(found[1], found[2])
    }
    documents = new Map()
    for (const line of readFileSync(join(GQL, 'gql.ts'), 'utf8').split('\n')) {
      const found = /^\s+("(?:[^"\\]|\\.)*"): types\.(\w+),$/.exec(line)
      const built = found && args.get(found[2])
      if (found && built) documents.set(JSON.parse(found[1]) as string, built)
    }
    return documents
  }
  return {
    name: 'rectify-document-imports',
    apply: 'build',
    enforce: 'pre',
    transform(code, id) {
      // graphql.ts's own copies are then used by no one: marked pure, they are dropped
      if (id.startsWith(join(GQL, 'graphql.ts'))) {
        return { code: code.replaceAll('= new TypedDocumentString(', '= /*#__PURE__*/ new TypedDocumentString('), map: null }
      }
      if (id.startsWith(GQL) || !/\/src\/.*\.ts$/.test(id) || !code.includes('graphql(`')) return null
      let inlined = 0
      const replaced = code.replace(/\bgraphql\(`([^`]*)`\)/g, (call, source: string) => {
        const built = bySource().get(source)
        if (!built) {
          this.warn(`${id}: a graphql() call not in src/gql/gql.ts; left as it is`)
          return call
        }
        inlined += 1
        return `/*#__PURE__*/ new __TypedDocumentString(${built})`
      })
      if (!inlined) return null
      const body = /\bgraphql\(/.test(replaced) ? replaced : replaced.replace(/^import \{ graphql \} from '@\/gql'\n/m, '')
      return { code: `import { TypedDocumentString as __TypedDocumentString } from '@/gql/graphql'\n${body}`, map: null }
    },
  }
}

// Element Plus's styles as its components are used: each module importing components from
// 'element-plus' gets their style/css imports, as unplugin-element-plus would add them, so a
// page's chunk brings the styles it needs and the first chunk only those of the layout and
// 我的待办, not the whole 360 KB sheet (ADR 0058). Its base sheet (the colour variables that
// src/styles.css overrides) is imported first by main.ts.
const ELEMENT_COMPONENTS = fileURLToPath(new URL('./node_modules/element-plus/es/components/', import.meta.url))

function elementStyles(): Plugin {
  const known = new Map<string, boolean>()
  function styled(name: string): boolean {
    if (!known.has(name)) known.set(name, existsSync(join(ELEMENT_COMPONENTS, name, 'style', 'css.mjs')))
    return known.get(name) ?? false
  }
  return {
    name: 'rectify-element-styles',
    // not under Vitest: its jsdom has no use for style sheets, and Node cannot load them
    apply: () => !process.env.VITEST,
    transform(code, id) {
      if (id.includes('/node_modules/') || !/\.(vue|ts)$/.test(id.split('?')[0])) return null
      const styles = new Set<string>()
      for (const found of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]element-plus['"]/g)) {
        for (const part of found[1].split(',')) {
          const name = part.trim().split(/\s+as\s+/)[0]
          if (!/^El[A-Z]/.test(name)) continue
          const folder = name.slice(2).replace(/[A-Z]/g, (c, at: number) => (at ? '-' : '') + c.toLowerCase())
          if (styled(folder)) styles.add(`import 'element-plus/es/components/${folder}/style/css'`)
        }
      }
      return styles.size ? { code: `${[...styles].join('\n')}\n${code}`, map: null } : null
    },
  }
}

// Brotli and gzip copies of every script and style the build writes, beside it (x.js.br,
// x.js.gz): api/workbench.py answers with one when the browser accepts it, so nothing is
// compressed per request (ADR 0058). Node's own zlib; small files are not worth it.
function precompress(): Plugin {
  return {
    name: 'rectify-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      const folder = options.dir ?? ''
      for (const name of Object.keys(bundle)) {
        if (!/^assets\/.*\.(js|css|svg|json)$/.test(name)) continue
        const path = join(folder, name)
        const data = readFileSync(path)
        if (data.length < 1024) continue
        writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }))
        const brotli = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length }
        writeFileSync(`${path}.br`, brotliCompressSync(data, { params: brotli }))
      }
    },
  }
}

// The early script (src/early.ts, ADR 0084): an entry of its own, named by index.html before
// the workbench's main script, so the browser runs it as soon as it and the small chunk it
// shares with the main script (src/api/early.ts, its query; 1.5 KB) have arrived, while the
// main script is still loading. A script written in index.html would be bundled into the
// main entry instead, as Vite does with every script of a page. Its chunk's imports get a
// modulepreload, as the main entry's do. Nothing inline: the CSP is unchanged.
const EARLY = fileURLToPath(new URL('./src/early.ts', import.meta.url))

function earlyScript(): Plugin {
  return {
    name: 'rectify-early-script',
    transformIndexHtml: {
      order: 'post',
      handler(html, context) {
        let tags = '<script type="module" src="/src/early.ts"></script>'
        if (context.bundle) {
          const chunk = Object.values(context.bundle).find((c) => c.type === 'chunk' && c.facadeModuleId === EARLY)
          if (!chunk || chunk.type !== 'chunk') throw new Error('the early script was not built')
          tags = [
            `<script type="module" crossorigin src="/${chunk.fileName}"></script>`,
            ...chunk.imports.filter((name) => !html.includes(`"/${name}"`)).map((name) => `<link rel="modulepreload" crossorigin href="/${name}">`),
          ].join('\n    ')
        }
        const main = html.indexOf('<script type="module"')
        if (main < 0) throw new Error('index.html has no module script')
        return `${html.slice(0, main)}${tags}\n    ${html.slice(main)}`
      },
    },
  }
}

// Built into api/web_dist/, which the Starlette app serves at / (api/app.py). No inline
// script or style ends up in index.html: the CSP allows only 'self'.
export default defineConfig({
  plugins: [documentImports(), vue(), elementStyles(), earlyScript(), precompress()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  base: '/',
  build: {
    outDir: '../api/web_dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1500,
    modulePreload: { polyfill: false },
    rollupOptions: { input: { index: fileURLToPath(new URL('./index.html', import.meta.url)), early: EARLY } },
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
