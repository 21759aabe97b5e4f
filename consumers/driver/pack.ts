import fs from 'node:fs';
import path from 'node:path';
import { childEnvironment, runCommand } from './processes';

export interface PackedPackage {
  tarball: string;
  /** What was done before packing, for the log. */
  notes: string[];
}

const BUILD_TIMEOUT_MS = 180_000;
const PACK_TIMEOUT_MS = 180_000;

/** The newest modification time under `dir` (recursively), or 0 when it does not exist. */
function newestMtime(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * `npm pack` of the project into `destination`, as a publish would make it. When the
 * project has a `prepack` script, npm builds as part of packing. Without one (the
 * project before it adopted `prepack`), dist/ is built first if it is missing or older
 * than lib/, so that the tarball holds the code as it is.
 */
export async function packProject(projectDir: string, destination: string): Promise<PackedPackage> {
  const notes: string[] = [];
  const manifest = JSON.parse(fs.readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  if (manifest.scripts?.prepack === undefined) {
    const distDir = path.join(projectDir, 'dist');
    const isStale = !fs.existsSync(distDir) || newestMtime(path.join(projectDir, 'lib')) > newestMtime(distDir);
    if (isStale) {
      notes.push('no prepack script and dist/ missing or older than lib/: ran npm run build');
      const build = await runCommand('npm', ['run', 'build'], { cwd: projectDir, env: childEnvironment(), timeoutMs: BUILD_TIMEOUT_MS });
      if (build.exitCode !== 0) throw new Error(`npm run build failed (exit ${build.exitCode}):\n${build.stdout}\n${build.stderr}`);
    } else {
      notes.push('no prepack script: packed the existing dist/ (newer than lib/)');
    }
  } else {
    notes.push('prepack builds the package');
  }
  fs.mkdirSync(destination, { recursive: true });
  const pack = await runCommand('npm', ['pack', '--pack-destination', destination], { cwd: projectDir, env: childEnvironment(), timeoutMs: PACK_TIMEOUT_MS });
  if (pack.exitCode !== 0) throw new Error(`npm pack failed (exit ${pack.exitCode}):\n${pack.stdout}\n${pack.stderr}`);
  const tarballs = fs.readdirSync(destination).filter((name) => name.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`expected one tarball in ${destination}, found: ${tarballs.join(', ') || 'none'}`);
  return { tarball: path.join(destination, tarballs[0]), notes };
}
