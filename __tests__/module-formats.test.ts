import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The built package (npm test builds it first: `pretest` runs tsup), loaded the way users
 * load it: by its name, through package.json `exports` (a package may import itself by
 * name), in a child Node process of its own for each module system.
 *
 * It is a true dual package: `require()` gets dist/index.js, which `require`s axios' CJS
 * build; `import` gets dist/index.mjs, which `import`s axios' ESM build. The two are
 * separate module instances, each tied to the axios of its own module system.
 *
 * The children run plain Node outside jest's module registry, so the second jest project's
 * mapping of `axios` to 1.6.0 does not reach them: both projects check the same files
 * against the axios installed in node_modules, and both must pass.
 */
const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

const expectedExports = [
  'ClientAssertionError',
  'ErrorCode',
  'GrantAssertionError',
  'InvalidOptionsError',
  'InvalidTokenResponseError',
  'OAuth2Error',
  'TokenEndpointError',
  'TokenRequestError',
  'TokenTimeoutError',
  'clientAssertionFromFile',
  'oauth2',
  'redisStore',
];
const errorClasses = expectedExports.filter((name) => name.endsWith('Error'));

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

/** The last line a child printed, as JSON. */
function runJson(args: string[]): unknown {
  const lines = runNode(args).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

interface Loaded {
  /** The file the package name resolved to, relative to the repo root. */
  file: string;
  keys: string[];
  /** `typeof` of each export. */
  kinds: Record<string, string>;
  /** The error classes' names, as the classes report them. */
  classNames: string[];
  errorCode: Record<string, string>;
  /** axios files loaded through CommonJS (require.cache), relative to node_modules/axios. */
  axiosCjsFiles: string[];
}

/** Describes the module `m` and what CommonJS loaded; `req` is a require function. */
const describeModule = (file: string) => `
  const path = require('node:path');
  const axiosDir = path.dirname(require.resolve('axios/package.json')) + path.sep;
  console.log(JSON.stringify({
    file: path.relative(process.cwd(), ${file}),
    keys: Object.keys(m).sort(),
    kinds: Object.fromEntries(Object.keys(m).sort().map((k) => [k, typeof m[k]])),
    classNames: ${JSON.stringify(errorClasses)}.map((k) => m[k].name),
    errorCode: m.ErrorCode,
    axiosCjsFiles: Object.keys(require.cache).filter((f) => f.startsWith(axiosDir)).map((f) => path.relative(axiosDir, f)),
  }));
`;

function loadWithRequire(): Loaded {
  const script = `
    const m = require('axios-client-credentials');
    ${describeModule("require.resolve('axios-client-credentials')")}
  `;
  // What describeModule printed: a Loaded, by construction.
  return runJson(['-e', script]) as Loaded;
}

function loadWithImport(): Loaded {
  const script = `
    import { createRequire } from 'node:module';
    import { fileURLToPath } from 'node:url';
    const require = createRequire(import.meta.url);
    const m = await import('axios-client-credentials');
    ${describeModule("fileURLToPath(import.meta.resolve('axios-client-credentials'))")}
  `;
  return runJson(['--input-type=module', '-e', script]) as Loaded;
}

describe('the package is a true dual package (CommonJS and ESM builds)', () => {
  beforeAll(() => {
    for (const file of ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts']) {
      if (!existsSync(path.join(dist, file))) {
        throw new Error(`dist/${file} is missing: run \`npm run build\` first (npm test does)`);
      }
    }
  });

  it('require() gets the CommonJS build with the full API, and it loads axios through require', () => {
    const loaded = loadWithRequire();
    expect(loaded.file).toBe(path.join('dist', 'index.js'));
    expect(loaded.keys).toEqual(expectedExports);
    expect(loaded.kinds.oauth2).toBe('function');
    expect(loaded.classNames).toEqual(errorClasses);
    // axios' CommonJS build, required by dist/index.js.
    expect(loaded.axiosCjsFiles).toContain(path.join('dist', 'node', 'axios.cjs'));
  });

  it('import gets the ESM build with the same named exports, and it loads axios as ESM', () => {
    const esm = loadWithImport();
    const cjs = loadWithRequire();
    expect(esm.file).toBe(path.join('dist', 'index.mjs'));
    // An ES module namespace: the named exports and nothing else (no CommonJS `default`).
    expect(esm.keys).toEqual(expectedExports);
    expect(esm.kinds).toEqual(cjs.kinds);
    expect(esm.classNames).toEqual(cjs.classNames);
    expect(esm.errorCode).toEqual(cjs.errorCode);
    // No file of axios went through the CommonJS loader: the ESM build imported axios' ESM build.
    expect(esm.axiosCjsFiles).toEqual([]);
  });

  it('require() and import give separate module instances (nothing re-exports the other build)', () => {
    const script = `
      import { createRequire } from 'node:module';
      const esm = await import('axios-client-credentials');
      const cjs = createRequire(import.meta.url)('axios-client-credentials');
      const same = ${JSON.stringify(['oauth2', ...errorClasses])}.filter((k) => esm[k] === cjs[k]);
      console.log(JSON.stringify({ same, esmHasDefault: 'default' in esm }));
    `;
    expect(runJson(['--input-type=module', '-e', script])).toEqual({ same: [], esmHasDefault: false });
  });

  it('the ESM build imports axios with import statements and requires nothing but the optional @opentelemetry/api', () => {
    const code = readFileSync(path.join(dist, 'index.mjs'), 'utf8');
    expect(code).not.toMatch(/\brequire\s*\(/);
    // The one module it requires: the optional peer @opentelemetry/api, synchronously from
    // its own URL, since an ES module has no synchronous import (lib/telemetry/opentelemetry.ts).
    // (esbuild's `__require` helper, which throws in an ES module, and a require made from import.meta.url)
    const required = [...code.matchAll(/\b(?:__)?require\s*\(\s*["']([^"']+)["']|\(import\.meta\.url\)\s*\(\s*["']([^"']+)["']/g)].map(
      // An alternative's group that did not match is undefined, whatever the declared type says.
      (m) => (m[1] as string | undefined) ?? m[2],
    );
    expect(required.length).toBeGreaterThan(0);
    expect(new Set(required)).toEqual(new Set(['@opentelemetry/api']));
    expect(code).not.toMatch(/\bimport\s*\(\s*["']axios["']\s*\)/);
    // Every mention of the 'axios' specifier is the `from "axios"` of a static import.
    const specifiers = code.match(/["']axios["']/g) ?? [];
    const imports = code.match(/^import\s[^;]*?\sfrom\s*["']axios["'];?$/gm) ?? [];
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.length).toBe(specifiers.length);
    // axios is a peer dependency: never bundled into either build.
    for (const file of ['index.mjs', 'index.js']) {
      expect(readFileSync(path.join(dist, file), 'utf8')).not.toMatch(/node_modules[\\/]axios/);
    }
  });

  it('the ESM build takes only the default export of axios (axios 0.27 is CommonJS only: named imports would not link)', () => {
    const code = readFileSync(path.join(dist, 'index.mjs'), 'utf8');
    const imports = code.match(/^import\s[^;]*?\sfrom\s*["']axios["'];?$/gm) ?? [];
    expect(imports.filter((statement) => !/^import\s+[\w$]+\s+from\s/.test(statement))).toEqual([]);
  });

  it('each build has declarations that import axios by name, so TypeScript picks axios types for that module system', () => {
    for (const file of ['index.d.ts', 'index.d.mts']) {
      const types = readFileSync(path.join(dist, file), 'utf8');
      expect(types).toMatch(/^import\s[^;]*\sfrom\s*['"]axios['"];?$/m);
      expect(types).not.toMatch(/index\.d\.cts|require\s*\(|import\s*\(\s*['"]axios/);
      for (const name of expectedExports) expect(types).toMatch(new RegExp(`\\b${name}\\b`));
    }
  });

  it('the source maps carry the TypeScript sources (they resolve without lib/)', () => {
    for (const file of ['index.js', 'index.mjs']) {
      expect(readFileSync(path.join(dist, file), 'utf8')).toContain(`//# sourceMappingURL=${file}.map`);
      const map = JSON.parse(readFileSync(path.join(dist, `${file}.map`), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sources).toContain('../lib/oauth2.ts');
      expect(map.sourcesContent).toHaveLength(map.sources.length);
      expect(map.sourcesContent!.every((content) => typeof content === 'string' && content.length > 0)).toBe(true);
    }
  });
});

/**
 * `@opentelemetry/api` is an optional peer dependency. Each build is installed in a
 * directory of its own under the OS temp dir, next to axios and jose only (symlinks to this
 * repo's), or also next to @opentelemetry/api and the SDK; an app in each module system
 * authorizes a request against a loopback token endpoint and API of its own.
 */
describe('the optional peer dependency @opentelemetry/api, in both builds', () => {
  let sandbox: string;

  /** The start of an app: its imports, and `req`, a require from the app's directory. */
  const preludes = {
    cjs: `
      const http = require('node:http');
      const { createRequire } = require('node:module');
      const axios = require('axios');
      const { oauth2 } = require('axios-client-credentials');
      const req = require;
      const libraryFile = require.resolve('axios-client-credentials');
    `,
    mjs: `
      import http from 'node:http';
      import { createRequire } from 'node:module';
      import { fileURLToPath } from 'node:url';
      import axios from 'axios';
      import { oauth2 } from 'axios-client-credentials';
      const req = createRequire(import.meta.url);
      const libraryFile = fileURLToPath(import.meta.resolve('axios-client-credentials'));
    `,
  };

  /** Registers a tracer provider when it can, authorizes one request, prints what happened as JSON. */
  const app = `
    const otelFiles = () => Object.keys(req.cache).filter((file) => file.includes('@opentelemetry')).length;
    let resolvable = true;
    try {
      // From where the library looks for it.
      createRequire(libraryFile).resolve('@opentelemetry/api');
    } catch {
      resolvable = false;
    }
    const loadedBeforeOauth2 = otelFiles();
    let exporter;
    if (resolvable) {
      const { trace } = req('@opentelemetry/api');
      const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = req('@opentelemetry/sdk-trace-base');
      exporter = new InMemorySpanExporter();
      trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    }
    const server = http.createServer((request, response) => {
      response.setHeader('Content-Type', 'application/json');
      if (request.url === '/token') return response.end(JSON.stringify({ access_token: 'tok3n', token_type: 'Bearer', expires_in: 60 }));
      response.statusCode = request.headers.authorization === 'Bearer tok3n' ? 200 : 401;
      response.end('{}');
    });
    server.listen(0, '127.0.0.1', async () => {
      const base = 'http://127.0.0.1:' + server.address().port;
      const api = axios.create({ baseURL: base });
      oauth2(api, { tokenEndpoint: base + '/token', clientId: 'client', clientSecret: 'secret' });
      const { status } = await api.get('/data');
      server.close();
      console.log(JSON.stringify({
        file: libraryFile.split(/[\\/]/).slice(-2).join('/'),
        resolvable,
        loadedBeforeOauth2,
        loaded: otelFiles() > 0,
        status,
        spans: exporter ? exporter.getFinishedSpans().map((span) => span.name) : [],
      }));
    });
  `;

  beforeAll(() => {
    sandbox = mkdtempSync(path.join(os.tmpdir(), 'axios-client-credentials-otel-'));
    for (const variant of ['without', 'with']) {
      const modules = path.join(sandbox, variant, 'node_modules');
      const installed = path.join(modules, 'axios-client-credentials');
      mkdirSync(installed, { recursive: true });
      cpSync(dist, path.join(installed, 'dist'), { recursive: true });
      copyFileSync(path.join(root, 'package.json'), path.join(installed, 'package.json'));
      const link = (name: string): void => symlinkSync(path.join(root, 'node_modules', name), path.join(modules, name), 'dir');
      link('axios');
      link('jose');
      if (variant === 'with') {
        mkdirSync(path.join(modules, '@opentelemetry'));
        link('@opentelemetry/api');
        link('@opentelemetry/sdk-trace-base');
      }
      writeFileSync(path.join(sandbox, variant, 'app.cjs'), preludes.cjs + app);
      writeFileSync(path.join(sandbox, variant, 'app.mjs'), preludes.mjs + app);
    }
  });

  afterAll(() => {
    rmSync(sandbox, { recursive: true, force: true });
  });

  function runApp(variant: 'with' | 'without', file: 'app.cjs' | 'app.mjs'): Record<string, unknown> {
    const output = execFileSync(process.execPath, [file], { cwd: path.join(sandbox, variant), encoding: 'utf8' });
    const lines = output.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  }

  it.each([
    ['require()', 'app.cjs', 'dist/index.js'],
    ['import', 'app.mjs', 'dist/index.mjs'],
  ] as const)('without it, the build that %s gets loads, authorizes a request and loads nothing of OpenTelemetry', (_how, file, built) => {
    expect(runApp('without', file)).toEqual({
      file: built,
      resolvable: false,
      loadedBeforeOauth2: 0,
      loaded: false,
      status: 200,
      spans: [],
    });
  });

  it.each([
    ['require()', 'app.cjs', 'dist/index.js'],
    ['import', 'app.mjs', 'dist/index.mjs'],
  ] as const)(
    'with it and an SDK, the build that %s gets records the token fetch, and loads the API only once oauth2() is called',
    (_how, file, built) => {
      expect(runApp('with', file)).toEqual({
        file: built,
        resolvable: true,
        loadedBeforeOauth2: 0,
        loaded: true,
        status: 200,
        spans: ['oauth2.token.fetch'],
      });
    },
  );
});
