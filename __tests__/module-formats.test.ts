import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

const expectedExports = ['ClientAssertionError', 'ErrorCode', 'GrantAssertionError', 'InvalidOptionsError', 'InvalidTokenResponseError', 'OAuth2Error', 'TokenEndpointError', 'TokenRequestError', 'TokenTimeoutError', 'clientAssertionFromFile', 'oauth2'];
const errorClasses = expectedExports.filter((name) => name.endsWith('Error'));

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

/** The last line a child printed, as JSON. */
function runJson<T>(args: string[]): T {
  const lines = runNode(args).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
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
  return runJson<Loaded>(['-e', script]);
}

function loadWithImport(): Loaded {
  const script = `
    import { createRequire } from 'node:module';
    import { fileURLToPath } from 'node:url';
    const require = createRequire(import.meta.url);
    const m = await import('axios-client-credentials');
    ${describeModule("fileURLToPath(import.meta.resolve('axios-client-credentials'))")}
  `;
  return runJson<Loaded>(['--input-type=module', '-e', script]);
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

  it('the ESM build imports axios with import statements and never requires anything', () => {
    const code = readFileSync(path.join(dist, 'index.mjs'), 'utf8');
    expect(code).not.toMatch(/\brequire\s*\(/);
    expect(code).not.toMatch(/\bcreateRequire\b/);
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
      const map = JSON.parse(readFileSync(path.join(dist, `${file}.map`), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sources).toContain('../lib/oauth2.ts');
      expect(map.sourcesContent).toHaveLength(map.sources.length);
      expect(map.sourcesContent!.every((content) => typeof content === 'string' && content.length > 0)).toBe(true);
    }
  });
});
