import fs from 'node:fs';
import path from 'node:path';
import { childEnvironment, runCommand } from './processes';
import { fail, pass, type CheckResult } from './results';
import type { AxiosLabel } from './settings';

/** consumers/apps: the fixture sources, copied into the fixture dirs as they are. */
export const APPS_SOURCE_DIR = path.join(__dirname, '..', 'apps');

/**
 * One installed project under the temp dir: the tarball, one axios version and what its
 * apps need. Every app of that axios version lives in it, each in its own folder, as a
 * monorepo's services would share one node_modules.
 */
export interface Fixture {
  axiosLabel: AxiosLabel;
  axiosSpec: string;
  dir: string;
  needsExpress: boolean;
  /** typescript, @types/node and esbuild, for the TypeScript and bundle apps. */
  needsBuildTools: boolean;
}

export interface InstalledFixture {
  fixture: Fixture;
  /** The axios version npm installed (from its package.json), if the install worked. */
  axiosVersion: string | undefined;
  isInstalled: boolean;
  checks: CheckResult[];
  /** Why the install failed, for every app of this fixture. */
  failure?: string;
}

const INSTALL_TIMEOUT_MS = 300_000;
const INSTALL_FLAGS = ['install', '--no-audit', '--no-fund'];

function dependenciesOf(fixture: Fixture, tarball: string): Record<string, string> {
  return {
    'axios-client-credentials': `file:${tarball}`,
    axios: fixture.axiosSpec,
    ...(fixture.needsExpress ? { express: '^4' } : {}),
    ...(fixture.needsBuildTools ? { typescript: '~5.9', '@types/node': '^20', esbuild: '^0.27.0' } : {}),
  };
}

/** The lines of npm's output that say why it refused, without its log-file boilerplate. */
function npmComplaint(output: string): string {
  const lines = output.split('\n').filter((line) => /ERESOLVE|peer|Could not resolve|conflict|While resolving|Found:|code E/i.test(line));
  return (lines.length > 0 ? lines : output.split('\n').slice(-8)).map((line) => line.replace(/^npm (error|ERR!)\s*/, '').trim()).join(' | ');
}

/**
 * Installs the fixture. The first attempt is a plain `npm install`, as a user types it:
 * whether npm accepts this axios beside the package's peer range is itself a check. When
 * npm refuses over the peer range only, the apps still run after a retry with
 * --legacy-peer-deps, so that their own checks say what would happen at runtime.
 */
export async function installFixture(fixture: Fixture, tarball: string): Promise<InstalledFixture> {
  fs.mkdirSync(fixture.dir, { recursive: true });
  const manifest = { name: `consumer-fixture-axios-${fixture.axiosLabel}`, version: '0.0.0', private: true, dependencies: dependenciesOf(fixture, tarball) };
  fs.writeFileSync(path.join(fixture.dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const checks: CheckResult[] = [];
  const checkName = `npm install of the tarball with axios@${fixture.axiosSpec} (no peer-dependency conflict)`;
  const record = (verdict: ReturnType<typeof pass>, axios: string): void => {
    checks.push({ app: 'install', axios, ...verdict });
  };

  const install = (extraFlags: string[]) =>
    runCommand('npm', [...INSTALL_FLAGS, ...extraFlags], { cwd: fixture.dir, env: childEnvironment(), timeoutMs: INSTALL_TIMEOUT_MS });
  let result = await install([]);
  if (result.exitCode !== 0) {
    const complaint = result.timedOut ? `timed out after ${INSTALL_TIMEOUT_MS / 1000} s` : npmComplaint(`${result.stdout}\n${result.stderr}`);
    record(fail(checkName, complaint), fixture.axiosSpec);
    if (!/ERESOLVE/.test(result.stderr)) {
      return { fixture, axiosVersion: undefined, isInstalled: false, checks, failure: `npm install failed: ${complaint}` };
    }
    result = await install(['--legacy-peer-deps']);
    if (result.exitCode !== 0) {
      const again = result.timedOut ? 'timed out' : npmComplaint(`${result.stdout}\n${result.stderr}`);
      return { fixture, axiosVersion: undefined, isInstalled: false, checks, failure: `npm install --legacy-peer-deps failed too: ${again}` };
    }
  }
  const axiosVersion = installedVersion(fixture.dir, 'axios');
  if (checks.length === 0) record(pass(checkName, `${(result.durationMs / 1000).toFixed(1)} s`), axiosVersion ?? fixture.axiosSpec);
  else checks[0].axios = axiosVersion ?? fixture.axiosSpec;
  return { fixture, axiosVersion, isInstalled: axiosVersion !== undefined, checks, failure: axiosVersion === undefined ? 'axios is not in node_modules after npm install' : undefined };
}

export function installedVersion(fixtureDir: string, packageName: string): string | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(fixtureDir, 'node_modules', packageName, 'package.json'), 'utf8')) as { version: string };
    return manifest.version;
  } catch {
    return undefined;
  }
}

/** Copies consumers/apps/<sourceFolder> and the shared scenario into <fixtureDir>/<appName>, as real files. */
export function copyAppSources(sourceFolder: string, fixtureDir: string, appName: string): string {
  const target = path.join(fixtureDir, appName);
  fs.cpSync(path.join(APPS_SOURCE_DIR, sourceFolder), target, { recursive: true });
  fs.cpSync(path.join(APPS_SOURCE_DIR, 'shared'), target, { recursive: true });
  return target;
}
