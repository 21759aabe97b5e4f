import fs from 'node:fs';
import path from 'node:path';
import { childEnvironment, runCommand, type CommandResult } from './processes';
import { fail, pass, type Verdict } from './results';

const TSC_TIMEOUT_MS = 120_000;
const ESBUILD_TIMEOUT_MS = 60_000;

export const TYPESCRIPT_CHECK = {
  compiles: 'tsc --strict compiles the app and a correctly spelled oauth2(axios.create(), {...})',
  rejectsMisspelling: 'tsc --strict rejects a misspelled option (clientSecrt) by name',
} as const;

export const BUNDLE_CHECK = 'the esbuild bundle holds exactly one copy of axios';

/** The diagnostics in tsc's output (`file(line,col): error TSnnnn: …`), first lines of each. */
function diagnostics(result: CommandResult): string {
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => /error TS\d+/.test(line));
  if (result.timedOut) return `timed out after ${TSC_TIMEOUT_MS / 1000} s`;
  return lines.slice(0, 3).join(' | ') || `${result.stdout}${result.stderr}`.slice(0, 500);
}

function tsc(fixtureDir: string, appDir: string, tsconfig: string): Promise<CommandResult> {
  const tscEntry = path.join(fixtureDir, 'node_modules', 'typescript', 'bin', 'tsc');
  return runCommand(process.execPath, [tscEntry, '-p', tsconfig, '--strict'], { cwd: appDir, env: childEnvironment(), timeoutMs: TSC_TIMEOUT_MS });
}

/**
 * The app (with its correctly spelled twin) must compile under `--strict`; the file with
 * `clientSecrt` must not, and for that reason: TS2353/TS2561 naming the option, not some
 * other error that would make any file fail. tsc still emits JavaScript when it reports
 * errors, so the app runs either way and its runtime checks are reported separately.
 */
export async function typecheckApp(fixtureDir: string, appDir: string): Promise<Verdict[]> {
  // One after the other: app runs already go two at a time on this 2-core machine.
  const compiled = await tsc(fixtureDir, appDir, 'tsconfig.json');
  const misspelled = await tsc(fixtureDir, appDir, 'tsconfig.misspelled.json');
  const verdicts: Verdict[] = [];
  verdicts.push(compiled.exitCode === 0 ? pass(TYPESCRIPT_CHECK.compiles) : fail(TYPESCRIPT_CHECK.compiles, diagnostics(compiled)));
  const output = `${misspelled.stdout}\n${misspelled.stderr}`;
  const namesTheOption = /error TS(2353|2561):[^\n]*'clientSecrt'/.test(output);
  if (misspelled.exitCode !== 0 && namesTheOption) {
    verdicts.push(pass(TYPESCRIPT_CHECK.rejectsMisspelling, /TS2561/.test(output) ? 'TS2561, suggesting clientSecret' : 'TS2353'));
  } else if (misspelled.exitCode === 0) {
    verdicts.push(fail(TYPESCRIPT_CHECK.rejectsMisspelling, 'it compiled'));
  } else {
    verdicts.push(fail(TYPESCRIPT_CHECK.rejectsMisspelling, `tsc failed, but not on the option: ${diagnostics(misspelled)}`));
  }
  return verdicts;
}

export interface Bundle {
  verdict: Verdict;
  /** The bundle to run, when esbuild made one. */
  file: string | undefined;
}

/**
 * How many copies of axios a bundle holds, by two independent markers: the definitions of
 * axios' VERSION constant with this version's value (esbuild renames duplicates VERSION2…),
 * and the distinct axios builds esbuild names in its `// node_modules/axios/…` path
 * comments (lib/axios.js is the ES module build, dist/…/axios.cjs the CommonJS one).
 */
export function countAxiosCopies(bundleText: string, axiosVersion: string): { versionDefinitions: number; builds: string[] } {
  const escaped = axiosVersion.replace(/\./g, '\\.');
  const versionDefinitions = bundleText.match(new RegExp(`\\bVERSION\\d*\\s*=\\s*["']${escaped}["']`, 'g'))?.length ?? 0;
  const builds = new Set<string>();
  for (const match of bundleText.matchAll(/^\/\/ (\S*?node_modules\/axios\/(?:lib\/axios\.js|dist\/\S*axios\.c?js))$/gm)) builds.add(match[1]);
  return { versionDefinitions, builds: [...builds] };
}

/** `esbuild --bundle --platform=node` of `entry`, and the one-copy-of-axios check on the result. */
export async function bundleApp(fixtureDir: string, entry: string, outfile: string, axiosVersion: string): Promise<Bundle> {
  const esbuild = path.join(fixtureDir, 'node_modules', '.bin', 'esbuild');
  const result = await runCommand(esbuild, [entry, '--bundle', '--platform=node', `--outfile=${outfile}`, '--log-level=warning'], {
    cwd: fixtureDir,
    env: childEnvironment(),
    timeoutMs: ESBUILD_TIMEOUT_MS,
  });
  if (result.exitCode !== 0 || !fs.existsSync(outfile)) {
    return { verdict: fail(BUNDLE_CHECK, `esbuild failed: ${(result.stderr || result.stdout).slice(0, 500)}`), file: undefined };
  }
  const { versionDefinitions, builds } = countAxiosCopies(fs.readFileSync(outfile, 'utf8'), axiosVersion);
  const found = `${versionDefinitions} VERSION definition(s) of ${axiosVersion}; builds: ${builds.join(', ') || 'none named'}`;
  const verdict = versionDefinitions === 1 && builds.length === 1 ? pass(BUNDLE_CHECK, found) : fail(BUNDLE_CHECK, found);
  return { verdict, file: outfile };
}
