// @ts-check
/**
 * Lint: typescript-eslint's strictest type-checked rules (strict + stylistic, with type
 * information from tsconfig.json) over the library, its tests, benchmarks and examples.
 * Formatting is Prettier's alone (eslint-config-prettier turns off every rule it owns).
 * A rule is disabled only with a one-line reason next to it.
 */
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Node's globals for the plain .cjs/.mjs files, the ones they use (the `globals` package
 * is not a dependency; add it and use `globals.node` / `globals.nodeBuiltin` to widen this).
 */
const nodeBuiltinGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'queueMicrotask',
  ].map((name) => [name, 'readonly']),
);
const commonjsGlobals = Object.fromEntries(['require', 'module', 'exports', '__dirname', '__filename'].map((name) => [name, 'readonly']));

export default defineConfig(
  { ignores: ['dist/', 'docs/', 'coverage/', 'reports/', '.stryker-tmp/', 'node_modules/', 'consumers/apps/'] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.mjs', '*.js', 'bench/*.mjs', 'bench/*.cjs', '__tests__/support/*.mjs', '__tests__/support/*.cjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    rules: {
      // Numbers and booleans print unambiguously in a message; objects, nullish and unknowns stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(x) => void call()` is noise; a shorthand arrow returning a void call is plain enough.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // An empty arrow is how a no-op callback says it is one.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
      // A rejection passed on as received (an axios error, an app's own) is not ours to wrap.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    files: ['__tests__/**', 'bench/**', 'examples/**'],
    rules: {
      // Tests and benchmarks index into results they have just checked; a failed `!` fails the test anyway.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Test doubles and stand-in servers implement async interfaces (stores, callbacks) without awaiting.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: nodeBuiltinGlobals },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...nodeBuiltinGlobals, ...commonjsGlobals } },
    rules: {
      // In a CommonJS file `require` is how a module is imported.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  prettier,
);
