/**
 * Makes sure dist/ is the build of the current sources before it is measured: runs
 * `npm run build` when dist/index.js or dist/index.mjs is missing or older than anything
 * in lib/ or the build configuration. A fresh dist/ is used as it is, so a run does not
 * rewrite files that other processes (tests, the consumer matrix) may be reading.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
export const BUILT_ENTRIES = ['dist/index.js', 'dist/index.mjs'].map((file) => path.join(ROOT, file));
const BUILD_INPUTS = ['lib', 'tsup.config.ts', 'tsconfig.build.json'].map((file) => path.join(ROOT, file));

/** Newest modification time of a file, or of any file under a directory; 0 when absent. */
function newestMtimeMs(target: string): number {
  let stats;
  try {
    stats = statSync(target);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(target).reduce((newest, entry) => Math.max(newest, newestMtimeMs(path.join(target, entry))), stats.mtimeMs);
}

/** Why dist/ needs a build, or undefined when it is up to date. */
export function staleReason(): string | undefined {
  const newestInput = Math.max(...BUILD_INPUTS.map(newestMtimeMs));
  for (const entry of BUILT_ENTRIES) {
    const built = newestMtimeMs(entry);
    if (built === 0) return `${path.relative(ROOT, entry)} is missing`;
    if (built < newestInput) return `${path.relative(ROOT, entry)} is older than the sources`;
  }
  return undefined;
}

/** Builds when stale; returns what it did, for the report. Progress goes to stderr. */
export function ensureBuild(): string {
  const reason = staleReason();
  if (reason === undefined) return 'dist/ was up to date with lib/';
  process.stderr.write(`[bench] ${reason}: npm run build\n`);
  // stdout to stderr too: the report on stdout stays clean Markdown.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', process.stderr, 'inherit'] });
  return `built by this run (${reason})`;
}
