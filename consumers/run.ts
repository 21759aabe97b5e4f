// The consumer matrix: the package as users get it. `npm pack` the project, install the
// tarball into throwaway apps outside the repo (CommonJS, ESM, TypeScript in three module
// modes, an esbuild bundle, the global axios instance; axios 0.27.2, 1.6.0, 1.8.4 and the
// newest 1.x), run the same scenario in each against fresh loopback servers, and print one
// line per check. See consumers/README.md.
//
//   npx tsx consumers/run.ts
//   CONSUMERS_ONLY=esm,cjs CONSUMERS_AXIOS=1.6.0 npx tsx consumers/run.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APPS, type AppDefinition } from './driver/apps';
import { mapConcurrently } from './driver/concurrency';
import { installFixture, type Fixture } from './driver/fixtures';
import { packProject } from './driver/pack';
import { killAllChildren } from './driver/processes';
import { formatCheck, type CheckResult } from './driver/results';
import { runApp } from './driver/run-app';
import { AXIOS_VERSIONS, isAppSelected, isAxiosSelected, readSettings, type AxiosLabel } from './driver/settings';

interface PlannedRun {
  app: AppDefinition;
  axiosLabel: AxiosLabel;
}

const log = (line: string): void => console.log(`# ${line}`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function planRuns(settings: ReturnType<typeof readSettings>): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const { label } of AXIOS_VERSIONS) {
    if (!isAxiosSelected(settings, label)) continue;
    for (const app of APPS) {
      if (isAppSelected(settings, app.name) && (app.axios === 'every' || label === 'latest')) runs.push({ app, axiosLabel: label });
    }
  }
  return runs;
}

/** One fixture dir per axios version, holding every app of that version. */
function planFixtures(runs: readonly PlannedRun[], tempRoot: string): Map<AxiosLabel, Fixture> {
  const fixtures = new Map<AxiosLabel, Fixture>();
  for (const { app, axiosLabel } of runs) {
    const spec = AXIOS_VERSIONS.find((version) => version.label === axiosLabel)!.spec;
    const fixture = fixtures.get(axiosLabel) ?? { axiosLabel, axiosSpec: spec, dir: path.join(tempRoot, `axios-${axiosLabel}`), needsExpress: false, needsBuildTools: false };
    fixture.needsExpress ||= app.needsExpress === true;
    fixture.needsBuildTools ||= app.needsBuildTools === true;
    fixtures.set(axiosLabel, fixture);
  }
  return fixtures;
}

function printSummary(results: readonly CheckResult[], started: number): void {
  const failed = results.filter((result) => !result.ok).length;
  log(`took ${seconds(Date.now() - started)}`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
}

async function main(): Promise<number> {
  const started = Date.now();
  const settings = readSettings();
  const runs = planRuns(settings);
  if (runs.length === 0) {
    console.error(`no app matches CONSUMERS_ONLY=${process.env.CONSUMERS_ONLY ?? ''} CONSUMERS_AXIOS=${process.env.CONSUMERS_AXIOS ?? ''}; apps: ${APPS.map((app) => app.name).join(', ')}`);
    return 2;
  }
  const results: CheckResult[] = [];
  const report = (checks: readonly CheckResult[]): void => {
    for (const check of checks) console.log(formatCheck(check));
    results.push(...checks);
  };

  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'axios-client-credentials-consumers-'));
  const removeTempRoot = (): void => {
    if (settings.keepTempDir) return log(`kept ${tempRoot}`);
    try {
      fs.rmSync(tempRoot, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      log(`could not remove ${tempRoot}: ${(error as Error).message}`);
    }
  };

  // The whole run is bounded: past the deadline every child is killed and the run fails.
  const deadline = setTimeout(() => {
    killAllChildren();
    removeTempRoot();
    report([{ app: 'matrix', axios: '*', name: `finishes within ${seconds(settings.deadlineMs)}`, ok: false, reason: 'deadline passed; every child process was killed' }]);
    printSummary(results, started);
    process.exit(1);
  }, settings.deadlineMs);
  deadline.unref();

  try {
    log(`packing ${settings.projectDir}`);
    let tarball: string;
    try {
      const packed = await packProject(settings.projectDir, path.join(tempRoot, 'pack'));
      tarball = packed.tarball;
      log(`packed ${path.basename(tarball)} (${packed.notes.join('; ')}) at ${seconds(Date.now() - started)}`);
    } catch (error) {
      report([{ app: 'pack', axios: '*', name: 'npm pack of the project', ok: false, reason: (error as Error).message }]);
      return 1;
    }

    const fixtures = [...planFixtures(runs, tempRoot).values()];
    log(`installing ${fixtures.length} fixture dir(s) under ${tempRoot}, ${settings.concurrency} at a time`);
    const installed = await mapConcurrently(fixtures, settings.concurrency, async (fixture) => {
      const result = await installFixture(fixture, tarball);
      report(result.checks);
      return result;
    });
    log(`installed at ${seconds(Date.now() - started)}; running ${runs.length} app(s), ${settings.concurrency} at a time`);

    const outputRoot = path.join(tempRoot, 'outputs');
    await mapConcurrently(runs, settings.concurrency, async ({ app, axiosLabel }) => {
      const fixture = installed.find((candidate) => candidate.fixture.axiosLabel === axiosLabel)!;
      report(await runApp(app, fixture, outputRoot));
    });
    return results.some((result) => !result.ok) ? 1 : 0;
  } catch (error) {
    report([{ app: 'matrix', axios: '*', name: 'the driver runs to the end', ok: false, reason: (error as Error).stack ?? String(error) }]);
    return 1;
  } finally {
    killAllChildren();
    removeTempRoot();
    printSummary(results, started);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    killAllChildren();
    console.error(error);
    process.exit(1);
  },
);
