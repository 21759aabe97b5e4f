/**
 * The plugin's in-process hot-path cost on the BUILT package, for `require` and for
 * `import` side by side: a cached token, an allowed origin, an adapter that answers at
 * once (no network), against axios with a static Bearer header, and an A/A control (a
 * second static-header client) that shows the noise.
 *
 *   npx tsx bench/hot-path-modules.ts                 alone, about 1.5 minutes
 *   BENCH_QUICK=1 npx tsx bench/hot-path-modules.ts   smoke run, about 20 s
 *   (part of `npm run bench` too, as the scenario `hotpath`; the BENCH_HOTPATH_*
 *   overrides of settings.ts apply to both)
 *
 * Why children: tsx compiles lib/ with keepNames, which adds a defineProperty per
 * closure and distorts per-request figures, and one process can hold only one module
 * system's view of the package. So each module system gets a plain-Node child that loads
 * dist/ and axios as an app in it would (hot-path-require.cjs: dist/index.js and axios'
 * CJS build; hot-path-import.mjs: dist/index.mjs and axios' ESM build). Timing runs in
 * several children per module system, taking turns: two processes of the same build
 * differed by up to 0.5 µs per request (each settles into its own compiled code), more
 * than the rounds within one process did, so one process alone could not decide. Then
 * one child per module system with a large semi-space measures exact bytes per request.
 * dist/ is built first when it is missing or older than lib/ (ensure-build.ts).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { ensureBuild } from './ensure-build';
import { hotPathSection, hotPathVerdict } from './hot-path-summary';
import { MODULE_SYSTEMS, type ChildReport, type HotPathResults, type ModuleSystem } from './hot-path-types';
import { readSettings, type Settings } from './settings';
import { renderVerdicts } from './verdicts';

const CHILD_FILES: Readonly<Record<ModuleSystem, string>> = {
  require: path.join(__dirname, 'hot-path-require.cjs'),
  import: path.join(__dirname, 'hot-path-import.mjs'),
};

/** Requests per allocation sample: ~30 KB each, well inside the 128 MB semi-space. */
const ALLOCATION_REQUESTS = 1_000;
/** Big enough that no scavenge runs during a sample (the child checks, and fails if one does). */
const ALLOCATION_FLAGS = ['--min-semi-space-size=128', '--max-semi-space-size=128'];
/** A child that has not reported by then is killed; the bench's own watchdog is longer. */
const CHILD_TIMEOUT_MS = 300_000;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Runs one child with plain Node: execArgv is set explicitly, so tsx's loader (which
 * fork would otherwise pass on) is not there, and NODE_OPTIONS is dropped for the same reason.
 */
function runChild(system: ModuleSystem, job: object, extraFlags: readonly string[]): Promise<ChildReport> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = fork(CHILD_FILES[system], [], {
    execArgv: ['--expose-gc', ...extraFlags],
    env: { ...env, HOT_PATH_JOB: JSON.stringify(job) },
    // The child's stdout goes to our stderr: stdout is the Markdown report.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`hot-path child (${system}) did not report within ${CHILD_TIMEOUT_MS / 1000} s`));
    }, CHILD_TIMEOUT_MS);
    child.once('message', (message: ChildReport) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hot-path child (${system}) exited with code ${code} before reporting`));
    });
  });
}

export async function measureHotPathModules(settings: Settings): Promise<HotPathResults> {
  const build = ensureBuild();
  const timingJob = { mode: 'timing', rounds: settings.hotPathRounds, requests: settings.hotPathRequests };
  const allocationJob = { mode: 'allocation', samples: settings.hotPathAllocationSamples, requests: ALLOCATION_REQUESTS };
  const timing: HotPathResults['timing'] = { require: [], import: [] };
  const allocation = {} as HotPathResults['allocation'];
  // One child at a time: on two cores a second one would run on the first one's clock.
  for (let run = 1; run <= settings.hotPathProcesses; run++) {
    for (const system of MODULE_SYSTEMS) {
      progress(
        `hot path (dist/, ${system}), process ${run}/${settings.hotPathProcesses}: ` +
          `${settings.hotPathRounds} rounds of ${settings.hotPathRequests.toLocaleString('en-US')} requests per client`,
      );
      timing[system].push(await runChild(system, timingJob, []));
    }
  }
  for (const system of MODULE_SYSTEMS) {
    progress(`hot path (dist/, ${system}): bytes per request`);
    try {
      allocation[system] = await runChild(system, allocationJob, ALLOCATION_FLAGS);
    } catch (error) {
      // Timing stands on its own; a failed allocation reading is reported, not fatal.
      allocation[system] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  return {
    build,
    processes: settings.hotPathProcesses,
    rounds: settings.hotPathRounds,
    requests: settings.hotPathRequests,
    allocationSamples: settings.hotPathAllocationSamples,
    allocationRequests: ALLOCATION_REQUESTS,
    timing,
    allocation,
  };
}

async function main(): Promise<void> {
  const results = await measureHotPathModules(readSettings());
  process.stdout.write(`${hotPathSection(results)}\n\n${renderVerdicts([hotPathVerdict(results)])}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
