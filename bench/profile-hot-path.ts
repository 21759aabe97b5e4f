/**
 * Profiles the plugin's hot path: a fresh cached token, an allowed origin, an adapter
 * that answers at once (no network). Prints
 *   1. bytes allocated per request, baseline vs plugin, measured exactly from new-space
 *      growth in a child process with a semi-space large enough that no GC runs;
 *   2. CPU time per request spent under each function of lib/ (inclusive), and the
 *      hottest functions overall (self time), from a V8 CPU profile;
 *   3. where the plugin's allocations come from (sampling heap profiler, counting objects
 *      that the young-generation GC collects too).
 *
 *   npx tsx bench/profile-hot-path.ts            (about 20 s)
 *   PROFILE_REQUESTS=500000 npx tsx bench/profile-hot-path.ts
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { findSourceMap } from 'node:module';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { createClient, noNetworkAdapter, type ContenderName, type Endpoints, type Send } from './contenders';
import { collectGarbage } from './load';
import { BenchServers } from './servers';

const REQUESTS = Number(process.env.PROFILE_REQUESTS ?? 200_000);
/** Fewer under the sampling heap profiler, which is slow: axios allocates ~27 KB per request. */
const ALLOCATION_PROFILE_REQUESTS = Math.min(REQUESTS, 100_000);
/** Requests measured for exact allocation: small enough to fit the enlarged young generation. */
const ALLOCATION_REQUESTS = 1_000;
const LIB_DIR = `${path.resolve(__dirname, '..', 'lib')}${path.sep}`;
const ALLOCATION_MODE = 'allocation-child';

async function loop(send: Send, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await send();
}

function post<T>(session: inspector.Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, in the code V8 ran (for lib/, tsx's transform of the .ts file). */
  lineNumber: number;
  columnNumber: number;
}

const sourceLines = new Map<string, string[]>();

/** The text of a line of a .ts source, to name the arrow functions V8 reports as anonymous. */
function sourceLine(file: string, line: number): string {
  let lines = sourceLines.get(file);
  if (lines === undefined) {
    lines = readFileSync(file, 'utf8').split('\n');
    sourceLines.set(file, lines);
  }
  const text = (lines[line - 1] ?? '').trim();
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `name file:line`, with the line mapped back to the .ts source through tsx's source map. */
function frameName({ functionName, url, lineNumber, columnNumber }: CallFrame): string {
  const file = url.startsWith('file://') ? url.slice('file://'.length) : url;
  let line = lineNumber + 1;
  let mapped = false;
  if (file.endsWith('.ts')) {
    // `{}` when the position has no mapping.
    const entry = findSourceMap(file)?.findEntry(lineNumber, columnNumber);
    if (entry !== undefined && 'originalLine' in entry) {
      line = entry.originalLine + 1;
      mapped = true;
    }
  }
  const shortFile = file.includes('/node_modules/')
    ? file.slice(file.lastIndexOf('/node_modules/') + 14)
    : path.relative(process.cwd(), file) || file;
  const name = functionName || (mapped ? `\`${sourceLine(file, line)}\`` : '(anonymous)');
  return `${name} ${shortFile}:${line}`;
}

const isLibFrame = (frame: CallFrame): boolean => frame.url.replace('file://', '').startsWith(LIB_DIR);

function printTop(title: string, entries: Map<string, number>, format: (value: number) => string, limit: number): void {
  console.log(`\n${title}`);
  const sorted = [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit);
  for (const [name, value] of sorted) console.log(`  ${format(value).padStart(12)}  ${name}`);
}

// ---------------------------------------------------------------- 1. exact bytes per request

async function allocationChild(): Promise<void> {
  const endpoints = JSON.parse(process.env.PROFILE_ENDPOINTS ?? '') as Endpoints;
  let collections = 0;
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  const result: Record<string, number> = {};
  for (const name of ['baseline', 'plugin', 'oauth-client', 'auth-refresh'] as ContenderName[]) {
    const send = await createClient(name, endpoints, { adapter: noNetworkAdapter });
    await loop(send, 20_000);
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 20)); // the observer reports that collection
    const before = v8.getHeapStatistics().used_heap_size;
    const collectionsBefore = collections;
    await loop(send, ALLOCATION_REQUESTS);
    const after = v8.getHeapStatistics().used_heap_size;
    await new Promise((resolve) => setTimeout(resolve, 20)); // and any collection during the loop
    if (collections !== collectionsBefore) throw new Error(`a GC ran while measuring ${name}; raise --max-semi-space-size`);
    result[name] = (after - before) / ALLOCATION_REQUESTS;
  }
  observer.disconnect();
  process.send?.(result, () => process.exit(0));
}

function bytesPerRequest(endpoints: Endpoints): Promise<Record<string, number>> {
  const child = fork(__filename, [ALLOCATION_MODE], {
    execArgv: [...process.execArgv, '--expose-gc', '--min-semi-space-size=128', '--max-semi-space-size=128'],
    env: { ...process.env, PROFILE_ENDPOINTS: JSON.stringify(endpoints) },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: Record<string, number>) => resolve(message));
    child.once('exit', (code) => reject(new Error(`allocation child exited with code ${code}`)));
  });
}

// ---------------------------------------------------------------- 2. CPU profile

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function cpuProfile(session: inspector.Session, send: Send): Promise<void> {
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 20 });
  await post(session, 'Profiler.start');
  await loop(send, REQUESTS);
  const { profile } = await post<{ profile: CpuProfile }>(session, 'Profiler.stop');

  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const inclusiveLib = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((leaf, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    total += micros;
    const leafNode = byId.get(leaf)!;
    const leafName = frameName(leafNode.callFrame);
    self.set(leafName, (self.get(leafName) ?? 0) + micros);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (!isLibFrame(frame)) continue;
      const name = frameName(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusiveLib.set(name, (inclusiveLib.get(name) ?? 0) + micros);
    }
  });
  const nsPerRequest = (micros: number): string => `${((micros * 1000) / REQUESTS).toFixed(0)} ns/req`;
  console.log(
    `\nCPU profile of ${REQUESTS.toLocaleString('en-US')} plugin requests: ${nsPerRequest(total)} in all (profiler overhead included)`,
  );
  printTop('lib/ functions, inclusive (own code + what they call in axios / V8):', inclusiveLib, nsPerRequest, 20);
  printTop('hottest functions overall, self time:', self, nsPerRequest, 25);
}

// ---------------------------------------------------------------- 3. allocation sites

interface SamplingNode {
  callFrame: CallFrame;
  selfSize: number;
  children: SamplingNode[];
}

async function allocationProfile(session: inspector.Session, send: Send): Promise<void> {
  await post(session, 'HeapProfiler.enable');
  await post(session, 'HeapProfiler.startSampling', {
    samplingInterval: 16 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await loop(send, ALLOCATION_PROFILE_REQUESTS);
  const { profile } = await post<{ profile: { head: SamplingNode } }>(session, 'HeapProfiler.stopSampling');

  const bySite = new Map<string, number>();
  const byLibFunction = new Map<string, number>();
  let total = 0;
  const walk = (node: SamplingNode, stack: CallFrame[]): void => {
    const frames = [...stack, node.callFrame];
    if (node.selfSize > 0) {
      total += node.selfSize;
      const site = frameName(node.callFrame);
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      // Charge it to the innermost lib/ function on the stack, if any.
      const owner = [...frames].reverse().find(isLibFrame);
      const key = owner ? frameName(owner) : '(no lib/ frame on the stack)';
      byLibFunction.set(key, (byLibFunction.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, frames);
  };
  walk(profile.head, []);
  const share = (bytes: number): string => `${((bytes / total) * 100).toFixed(1)} %`;
  console.log(`\nSampled allocations of ${ALLOCATION_PROFILE_REQUESTS.toLocaleString('en-US')} plugin requests (share of sampled bytes)`);
  printTop('by innermost lib/ function on the stack:', byLibFunction, share, 12);
  printTop('by allocation site:', bySite, share, 20);
}

// ----------------------------------------------------------------

async function main(): Promise<void> {
  const servers = await BenchServers.start();
  try {
    const endpoints: Endpoints = { resourceUrl: servers.resourceUrl, tokenEndpoint: servers.tokenEndpoint };
    const bytes = await bytesPerRequest(endpoints);
    console.log('Bytes allocated per request (no network, exact, young generation):');
    for (const [name, value] of Object.entries(bytes)) {
      const extra = name === 'baseline' ? '' : ` (${value >= bytes.baseline ? '+' : ''}${(value - bytes.baseline).toFixed(0)} vs baseline)`;
      console.log(`  ${name.padEnd(14)} ${value.toFixed(0).padStart(6)} B${extra}`);
    }

    const plugin = await createClient('plugin', endpoints, { adapter: noNetworkAdapter });
    await loop(plugin, 20_000);
    const session = new inspector.Session();
    session.connect();
    await cpuProfile(session, plugin);
    await allocationProfile(session, plugin);
    session.disconnect();
  } finally {
    servers.stop();
  }
}

const entry = process.argv[2] === ALLOCATION_MODE ? allocationChild : main;
entry().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
