import { defineConfig } from 'tsup';

/**
 * A true dual package: one build per module system, each with its own declarations.
 *
 *   dist/index.js    CommonJS, `require('axios')`   types: dist/index.d.ts
 *   dist/index.mjs   ES module, `import ... from 'axios'`   types: dist/index.d.mts
 *
 * axios is a peer dependency and is never bundled, so each build loads the app's own
 * axios in the app's module system (axios' ESM build for `import`, its CJS build for
 * `require`), and the declarations resolve axios' matching types (index.d.ts for ESM,
 * index.d.cts for CJS).
 */
export default defineConfig({
  entry: { index: 'lib/index.ts' },
  format: ['cjs', 'esm'],
  outDir: 'dist',
  // With "type": "commonjs" the CJS build is .js and the ESM build .mjs; spelled out so
  // the file names cannot drift from package.json's exports.
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.js' }),
  // Declarations come from the TypeScript compiler with tsconfig.build.json (lib/ only,
  // strict, Node's types and not jest's). tsup's declaration pass only checks the modules
  // that reach the public types, so `prebuild` type-checks all of lib/ with the same file.
  tsconfig: 'tsconfig.build.json',
  dts: true,
  // External .map files; esbuild embeds the TypeScript source as sourcesContent, so the
  // maps resolve without shipping lib/.
  sourcemap: true,
  target: 'node18',
  platform: 'node',
  external: ['axios'],
  splitting: false,
  treeshake: false,
  clean: true,
  // No minification and no keepNames: the output reads like the source, and keepNames
  // would wrap every closure the hot path creates per request in a defineProperty call.
  minify: false,
  // The ES module build's own URL, for the createRequire that loads the optional peer
  // dependency @opentelemetry/api (lib/telemetry/opentelemetry.ts) synchronously: an ES
  // module has no `require`. Read only when used, so an ES module bundled to CommonJS
  // (where import.meta is empty) still loads. The CommonJS build has `require`.
  esbuildOptions(options, { format }) {
    options.define = { ...options.define, __MODULE_URL__: format === 'esm' ? 'import.meta.url' : 'undefined' };
  },
});
