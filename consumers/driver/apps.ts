import fs from 'node:fs';
import path from 'node:path';
import type { Verdict } from './results';
import { bundleApp, typecheckApp } from './toolchain-checks';

/** How the driver starts an app: a script that prints its report, or a service it calls over HTTP. */
export type Launch = { kind: 'script'; entry: string } | { kind: 'service'; entry: string };

export interface Prepared {
  verdicts: Verdict[];
  /** What to run, or why there is nothing to run (then every scenario check fails with it). */
  launch: Launch | { missing: string };
}

export interface PrepareContext {
  fixtureDir: string;
  /** The app's folder inside the fixture. */
  appDir: string;
  axiosVersion: string;
}

export interface AppDefinition {
  name: string;
  /** Its sources under consumers/apps. */
  sourceFolder: string;
  /** Every axios of the matrix, or the newest 1.x only. */
  axios: 'every' | 'latest';
  needsExpress?: boolean;
  needsBuildTools?: boolean;
  /** Compiles or bundles it (with checks of its own), and says what to launch. */
  prepare(context: PrepareContext): Promise<Prepared>;
}

const ready = (launch: Launch): (() => Promise<Prepared>) => async () => ({ verdicts: [], launch });

/** What tsc emitted for `entry`, if it did (it emits despite type errors). */
function emitted(appDir: string, entry: string): Launch | { missing: string } {
  return fs.existsSync(path.join(appDir, entry)) ? { kind: 'script', entry } : { missing: `tsc emitted no ${entry}` };
}

async function typecheckAndRunEmitted(context: PrepareContext, entry: string): Promise<Prepared> {
  const verdicts = await typecheckApp(context.fixtureDir, context.appDir);
  return { verdicts, launch: emitted(context.appDir, entry) };
}

async function bundleAndRun(context: PrepareContext, source: string, verdicts: Verdict[] = []): Promise<Prepared> {
  const bundle = await bundleApp(context.fixtureDir, path.join(context.appDir, source), path.join(context.appDir, 'bundle.cjs'), context.axiosVersion);
  return {
    verdicts: [...verdicts, bundle.verdict],
    launch: bundle.file ? { kind: 'script', entry: 'bundle.cjs' } : { missing: 'esbuild made no bundle' },
  };
}

/** The apps of the matrix. Each runs the same scenario (apps/shared/scenario.cjs). */
export const APPS: readonly AppDefinition[] = [
  {
    name: 'cjs-express',
    sourceFolder: 'cjs-express',
    axios: 'every',
    needsExpress: true,
    prepare: ready({ kind: 'service', entry: 'server.cjs' }),
  },
  { name: 'esm', sourceFolder: 'esm', axios: 'every', prepare: ready({ kind: 'script', entry: 'app.mjs' }) },
  { name: 'global-cjs', sourceFolder: 'global-cjs', axios: 'every', prepare: ready({ kind: 'script', entry: 'app.cjs' }) },
  { name: 'global-esm', sourceFolder: 'global-esm', axios: 'every', prepare: ready({ kind: 'script', entry: 'app.mjs' }) },
  {
    name: 'ts-nodenext-esm',
    sourceFolder: 'ts-nodenext-esm',
    axios: 'latest',
    needsBuildTools: true,
    prepare: (context) => typecheckAndRunEmitted(context, 'app.mjs'),
  },
  {
    name: 'ts-nodenext-cjs',
    sourceFolder: 'ts-nodenext-cjs',
    axios: 'latest',
    needsBuildTools: true,
    prepare: (context) => typecheckAndRunEmitted(context, 'app.cjs'),
  },
  {
    // The classic resolution (no `exports`): the package's `main` and `types`.
    name: 'ts-node10',
    sourceFolder: 'ts-node10',
    axios: 'latest',
    needsBuildTools: true,
    prepare: (context) => typecheckAndRunEmitted(context, 'app.js'),
  },
  {
    // Type-checked by tsc (noEmit, as bundler setups do), then run through an esbuild bundle.
    name: 'ts-bundler',
    sourceFolder: 'ts-bundler',
    axios: 'latest',
    needsBuildTools: true,
    prepare: async (context) => bundleAndRun(context, 'app.ts', await typecheckApp(context.fixtureDir, context.appDir)),
  },
  {
    // The very ESM app above, bundled: what a user's build step makes of it.
    name: 'esbuild',
    sourceFolder: 'esm',
    axios: 'latest',
    needsBuildTools: true,
    prepare: (context) => bundleAndRun(context, 'app.mjs'),
  },
];
