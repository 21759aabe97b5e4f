import fs from 'node:fs';
import path from 'node:path';
import type { AppDefinition, Launch } from './apps';
import { copyAppSources, type InstalledFixture } from './fixtures';
import { childEnvironment, runCommand, startService } from './processes';
import type { CheckResult, Verdict } from './results';
import { checkScenario, failAllScenarioChecks, type RunEvidence } from './scenario-checks';
import type { ScenarioReport } from './scenario-report';
import { startScenarioServers, type ScenarioServers } from './servers/scenario-servers';

const SCRIPT_TIMEOUT_MS = 60_000;
const SERVICE_TIMEOUT_MS = 90_000;
const SERVICE_READY_TIMEOUT_MS = 20_000;
const SERVICE_CALL_TIMEOUT_MS = 30_000;
const REPORT_MARKER = /^SCENARIO_REPORT (.*)$/m;

const tail = (text: string, chars = 800): string => (text.length > chars ? `…${text.slice(-chars)}` : text).trim();

/** The line that names a crash (`Error: …`), which a stack trace's tail would cut off. */
const firstErrorLine = (text: string): string | undefined => text.split('\n').find((line) => /^\s*\w*(Error|Exception)\b.*:/.test(line))?.trim();

/** A script app runs the whole scenario and prints its report on one marked line. */
async function runScript(appDir: string, entry: string, env: NodeJS.ProcessEnv): Promise<{ report?: ScenarioReport; problem?: string }> {
  const result = await runCommand(process.execPath, [entry], { cwd: appDir, env, timeoutMs: SCRIPT_TIMEOUT_MS });
  const line = REPORT_MARKER.exec(result.stdout)?.[1];
  if (line !== undefined) return { report: JSON.parse(line) as ScenarioReport };
  const how = result.timedOut ? `killed after ${SCRIPT_TIMEOUT_MS / 1000} s` : `exit code ${result.exitCode}`;
  const crash = firstErrorLine(result.stderr);
  return { problem: `${how}; ${crash ? `${crash}; ` : ''}stderr: ${tail(result.stderr) || '(empty)'}; stdout: ${tail(result.stdout) || '(empty)'}` };
}

async function callService(port: number, method: 'GET' | 'POST', route: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, { method, signal: AbortSignal.timeout(SERVICE_CALL_TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${tail(text, 400)}`);
  return JSON.parse(text);
}

/**
 * A service app is started, asked for its scenario steps, and driven one route per step
 * over HTTP, as a user of the service would call it; then stopped.
 */
async function runService(appDir: string, entry: string, env: NodeJS.ProcessEnv): Promise<{ report?: ScenarioReport; problem?: string }> {
  let service;
  try {
    service = await startService(process.execPath, [entry], { cwd: appDir, env, timeoutMs: SERVICE_TIMEOUT_MS, readyTimeoutMs: SERVICE_READY_TIMEOUT_MS });
  } catch (error) {
    return { problem: `the service did not start: ${(error as Error).message}` };
  }
  try {
    const stepNames = (await callService(service.port, 'GET', '/scenario')) as string[];
    const steps: Record<string, unknown> = {};
    for (const name of stepNames) {
      try {
        steps[name] = await callService(service.port, 'POST', `/scenario/${name}`);
      } catch (error) {
        steps[name] = { crashed: { message: (error as Error).message } };
      }
    }
    return { report: { steps } };
  } catch (error) {
    const { stderr } = service.output();
    return { problem: `${(error as Error).message}; service stderr: ${tail(stderr) || '(empty)'}` };
  } finally {
    await service.stop();
  }
}

async function runWithFreshServers(appDir: string, launch: Launch, outputDir: string): Promise<RunEvidence> {
  let servers: ScenarioServers | undefined;
  try {
    servers = await startScenarioServers();
    const env = childEnvironment(servers.environment(outputDir));
    const { report, problem } = launch.kind === 'script' ? await runScript(appDir, launch.entry, env) : await runService(appDir, launch.entry, env);
    return {
      report,
      problem,
      api: servers.api.records,
      foreign: servers.foreign.records,
      issuedTokens: [...servers.authorization.everIssued],
    };
  } finally {
    await servers?.stop();
  }
}

/**
 * One app on one installed axios: copy its sources in, prepare it (compile, bundle),
 * run the scenario against fresh servers, and check the result.
 */
export async function runApp(app: AppDefinition, installed: InstalledFixture, outputRoot: string): Promise<CheckResult[]> {
  const axios = installed.axiosVersion ?? installed.fixture.axiosSpec;
  const named = (verdicts: Verdict[]): CheckResult[] => verdicts.map((verdict) => ({ app: app.name, axios, ...verdict }));
  if (!installed.isInstalled) return named(failAllScenarioChecks(installed.failure ?? 'not installed'));
  try {
    return named(await prepareAndRun(app, installed, axios, outputRoot));
  } catch (error) {
    // The driver's own failure (a server would not start, say): this app fails, the others go on.
    return named(failAllScenarioChecks(`the driver failed: ${(error as Error).stack ?? String(error)}`));
  }
}

async function prepareAndRun(app: AppDefinition, installed: InstalledFixture, axios: string, outputRoot: string): Promise<Verdict[]> {
  const appDir = copyAppSources(app.sourceFolder, installed.fixture.dir, app.name);
  const prepared = await app.prepare({ fixtureDir: installed.fixture.dir, appDir, axiosVersion: axios });
  if ('missing' in prepared.launch) return [...prepared.verdicts, ...failAllScenarioChecks(prepared.launch.missing)];

  const outputDir = path.join(outputRoot, `${app.name}-axios-${axios}`);
  fs.mkdirSync(outputDir, { recursive: true });
  const evidence = await runWithFreshServers(appDir, prepared.launch, outputDir);
  return [...prepared.verdicts, ...checkScenario(evidence)];
}
