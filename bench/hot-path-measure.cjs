'use strict';
/**
 * The hot-path measurement shared by the two children, hot-path-require.cjs and
 * hot-path-import.mjs. It loads nothing itself: each child hands over the `axios` and
 * `oauth2` it loaded the way an app in its module system would, so the only difference
 * between the two runs is which build of the plugin and which build of axios is in use.
 * Plain JavaScript, no transpiler: tsx compiles with keepNames, which adds a
 * defineProperty per closure and would distort per-request figures.
 *
 * Modes (the parent, hot-path-modules.ts, picks one per child):
 *   timing      ns per request of each client in interleaved rounds;
 *   allocation  bytes allocated per request, from new-space growth with no GC in
 *               between (the parent starts this child with a large semi-space).
 * No network anywhere: the resource adapter and the token endpoint answer in-process.
 */
const v8 = require('node:v8');
const { PerformanceObserver } = require('node:perf_hooks');

// Types for the linter only (JSDoc): the API of lib/ is the one dist/ was built from.
/** @typedef {Pick<import('axios').AxiosStatic, 'create' | 'VERSION'>} AxiosStatic the part used: either build's default export */
/** @typedef {import('axios').InternalAxiosRequestConfig} RequestConfig */
/** @typedef {import('axios').AxiosResponse} AxiosResponse */
/** @typedef {typeof import('../lib').oauth2} OAuth2 */
/** @typedef {'baseline' | 'plugin' | 'control'} ClientName */
/** @typedef {() => Promise<unknown>} Send */
/** @typedef {{ mode: 'timing' | 'allocation', rounds: number, requests: number, samples: number }} Job */
/** @typedef {{ axios: AxiosStatic, oauth2: OAuth2, moduleSystem: string, loaded: Record<string, string> }} ChildOptions */

const BASE_URL = 'http://127.0.0.1:9'; // never contacted: both adapters answer in-process
const RESOURCE_PATH = '/api/items/42';
const TOKEN = 'hot-path-token-0123456789abcdef';
const OK_BODY = { ok: true, path: RESOURCE_PATH };
/** Requests before anything is recorded, so both clients run optimized code. */
const WARMUP_REQUESTS = 20_000;

/**
 * Reads a header from AxiosHeaders (axios 1.x) or a plain object, whichever axios copy made it.
 * @param {{ get?: (name: string) => unknown, Authorization?: unknown }} headers
 * @returns {unknown}
 */
function authorizationOf(headers) {
  return typeof headers.get === 'function' ? headers.get('Authorization') : headers.Authorization;
}

/**
 * Settles a response the way axios' own adapters do (their `settle`): resolved when
 * `validateStatus` accepts the status, rejected otherwise. Both adapters below use it,
 * so whatever a client hooks into validateStatus runs here as it would over HTTP.
 * @param {RequestConfig} config
 * @param {number} status
 * @param {unknown} data
 * @param {Record<string, string>} headers
 * @returns {Promise<AxiosResponse>}
 */
function settle(config, status, data, headers) {
  const response = { data, status, statusText: status === 200 ? 'OK' : 'Error', headers, config, request: {} };
  const validate = config.validateStatus;
  if (!validate || validate(status)) return Promise.resolve(response);
  return Promise.reject(Object.assign(new Error(`Request failed with status code ${status}`), { config, response }));
}

/**
 * The resource: answers at once without I/O, like noNetworkAdapter in contenders.ts. A
 * request without our bearer token is a broken setup, not a figure: it throws, and the
 * child fails loudly instead of measuring the plugin's 401 path.
 * @param {RequestConfig} config
 * @returns {Promise<AxiosResponse>}
 */
function noNetworkAdapter(config) {
  if (authorizationOf(config.headers) !== `Bearer ${TOKEN}`) {
    return Promise.reject(new Error(`hot path: request sent without the bearer token (${config.url})`));
  }
  return settle(config, 200, OK_BODY, {});
}

/**
 * The clients, each one axios instance through the adapter above:
 *   baseline  a static `Authorization: Bearer` default header, the physical limit;
 *   plugin    `oauth2()` with its token cached;
 *   control   a second baseline (an A/A test): its distance from the baseline is the
 *             noise of the measurement, to judge the plugin's sub-microsecond overhead by.
 */
/** @type {ClientName[]} */
const CLIENTS = ['baseline', 'plugin', 'control'];

/**
 * `{ baseline: [], plugin: [], control: [] }`, or filled with `value()`.
 * @template [T=number[]]
 * @param {() => T} [value]
 * @returns {Record<ClientName, T>}
 */
function perClient(value = () => []) {
  return Object.fromEntries(CLIENTS.map((name) => [name, value()]));
}

/**
 * Builds the clients from the given axios and oauth2. The plugin's token comes from
 * an in-process token endpoint (the `backend` option's adapter), fetched once by a first
 * request; it lives an hour, so no fetch or renewal happens while measuring, and
 * `tokenRequests()` lets the child prove it.
 * @param {AxiosStatic} axios
 * @param {OAuth2} oauth2
 * @returns {Promise<{ sends: Record<ClientName, Send>, tokenRequests: () => number }>}
 */
async function createClients(axios, oauth2) {
  const staticHeaderClient = () => {
    const instance = axios.create({ baseURL: BASE_URL, adapter: noNetworkAdapter });
    instance.defaults.headers.common.Authorization = `Bearer ${TOKEN}`;
    return instance;
  };
  const baseline = staticHeaderClient();
  const control = staticHeaderClient();

  let tokenRequests = 0;
  // The body as a server sends it, JSON text; the plugin asks for responseType 'text'.
  const tokenBody = JSON.stringify({ access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 });
  /** @type {(config: RequestConfig) => Promise<AxiosResponse>} */
  const tokenEndpointAdapter = (config) => {
    tokenRequests++;
    return settle(config, 200, tokenBody, { 'content-type': 'application/json' });
  };
  const plugin = axios.create({ baseURL: BASE_URL, adapter: noNetworkAdapter });
  oauth2(plugin, {
    tokenEndpoint: `${BASE_URL}/oauth2/token`,
    clientId: 'hot-path',
    clientSecret: 'hot-path-secret',
    backend: { adapter: tokenEndpointAdapter },
  });
  await plugin.get(RESOURCE_PATH); // fetches and caches the token
  return {
    sends: {
      baseline: () => baseline.get(RESOURCE_PATH),
      plugin: () => plugin.get(RESOURCE_PATH),
      control: () => control.get(RESOURCE_PATH),
    },
    tokenRequests: () => tokenRequests,
  };
}

/**
 * @param {Send} send
 * @param {number} count
 */
async function loop(send, count) {
  for (let i = 0; i < count; i++) await send();
}

/**
 * The clients in the order of this turn: rotated, so each takes every position in turn.
 * @param {number} turn
 * @returns {ClientName[]}
 */
function orderOf(turn) {
  const shift = turn % CLIENTS.length;
  return [...CLIENTS.slice(shift), ...CLIENTS.slice(0, shift)];
}

/**
 * Requests per slice. A round alternates the clients slice by slice (~15 ms each),
 * so both see the same machine even when other processes come and go on its two cores;
 * one long run per client and round would put a burst of load on one client only.
 */
const SLICE_REQUESTS = 1_000;

/**
 * Per round and client: wall-clock ns per request, and CPU ns per request (this
 * process's user + system time, GC threads included), which a process preempted by
 * others does not accrue. Round 0 warms up and is not recorded.
 *
 * No forced GC between slices: tried, a full collection before every slice slowed every
 * client down by a third and the plugin most (about +5 µs instead of +0.5), as each slice
 * started by rebuilding what the collection threw away; an app never sees that. In the
 * steady state the young-generation collections fall on the clients in proportion to
 * what they allocate, since they take turns every 1,000 requests.
 * @param {Record<ClientName, Send>} sends
 * @param {{ rounds: number, requests: number }} job
 */
async function measureTiming(sends, { rounds, requests }) {
  const wall = perClient();
  const cpu = perClient();
  for (let round = 0; round <= rounds; round++) {
    const slices = Math.max(1, Math.round((round === 0 ? WARMUP_REQUESTS : requests) / SLICE_REQUESTS));
    const wallNs = perClient(() => 0);
    const cpuMicros = perClient(() => 0);
    for (let slice = 0; slice < slices; slice++) {
      for (const name of orderOf(round + slice)) {
        const cpuBefore = process.cpuUsage();
        const started = process.hrtime.bigint();
        await loop(sends[name], SLICE_REQUESTS);
        wallNs[name] += Number(process.hrtime.bigint() - started);
        const used = process.cpuUsage(cpuBefore);
        cpuMicros[name] += used.user + used.system;
      }
    }
    if (round === 0) continue;
    const count = slices * SLICE_REQUESTS;
    for (const name of CLIENTS) {
      wall[name].push(wallNs[name] / count);
      cpu[name].push((cpuMicros[name] * 1000) / count);
    }
  }
  return { figures: wall, cpuFigures: cpu };
}

/** Counts garbage collections; the observer reports them asynchronously, hence `settle`. */
function gcCounter() {
  let collections = 0;
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    count: () => collections,
    settle: () => new Promise((resolve) => setTimeout(resolve, 20)),
    stop: () => observer.disconnect(),
  };
}

/**
 * Bytes in the young generation, where a request's objects are born. The rest of the
 * heap is left out on purpose: old and code space grow with the JIT's own work (code,
 * feedback, up to ~100 B per request of a 1,000-request sample), not with requests.
 */
function youngGenerationBytes() {
  let bytes = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space') bytes += space.space_used_size;
  }
  return bytes;
}

/** Longer than the timing warm-up: the baseline's allocation keeps shrinking for a while as the JIT optimizes axios. */
const ALLOCATION_WARMUP_REQUESTS = 50_000;

/**
 * Bytes allocated per request, exactly: young-generation growth over `requests`
 * requests with no garbage collection in between (checked, since a scavenge would hide
 * the garbage). The parent starts this child with a semi-space large enough for the
 * whole sample. Several samples per client, alternated; the caller takes the median.
 * @param {Record<ClientName, Send>} sends
 * @param {{ samples: number, requests: number }} job
 */
async function measureAllocation(sends, { samples, requests }) {
  const figures = perClient();
  for (const name of CLIENTS) await loop(sends[name], ALLOCATION_WARMUP_REQUESTS);
  const gc = gcCounter();
  for (let sample = 0; sample < samples; sample++) {
    for (const name of orderOf(sample)) {
      globalThis.gc();
      await gc.settle(); // let the observer count that collection before the reading
      const collectionsBefore = gc.count();
      const before = youngGenerationBytes();
      await loop(sends[name], requests);
      const after = youngGenerationBytes();
      await gc.settle(); // and any collection during the loop
      if (gc.count() !== collectionsBefore) {
        gc.stop();
        throw new Error(`a GC ran while measuring ${name}'s allocation; raise --max-semi-space-size or lower the requests per sample`);
      }
      figures[name].push((after - before) / requests);
    }
  }
  gc.stop();
  return { figures };
}

/**
 * The child's whole job: read the job from the parent (HOT_PATH_JOB), measure, check
 * that the token was fetched once, report over IPC, exit. `loaded` names the files the
 * child's module system resolved, so the report shows which builds were measured.
 * @param {ChildOptions} options
 */
async function runChild({ axios, oauth2, moduleSystem, loaded }) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  /** @type {unknown} */
  const parsed = JSON.parse(process.env.HOT_PATH_JOB ?? '');
  const job = /** @type {Job} */ (parsed); // written by hot-path-modules.ts
  const { sends, tokenRequests } = await createClients(axios, oauth2);
  const measured = job.mode === 'allocation' ? await measureAllocation(sends, job) : await measureTiming(sends, job);
  if (tokenRequests() !== 1)
    throw new Error(`expected 1 token request, got ${tokenRequests()}: the measured loop was not the cached-token path`);
  const result = { moduleSystem, mode: job.mode, loaded, axiosVersion: axios.VERSION, node: process.version, ...measured };
  // Started by hot-path-modules.ts: report over IPC. Run by hand (HOT_PATH_JOB=... node
  // --expose-gc bench/hot-path-require.cjs): print the raw figures instead.
  if (process.send) process.send(result, () => process.exit(0));
  else console.log(JSON.stringify(result, null, 2));
}

/**
 * Runs a child to completion; any failure is printed and ends the process with code 1.
 * @param {ChildOptions} options
 */
function startChild(options) {
  runChild(options).catch((/** @type {unknown} */ error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { startChild };
