'use strict';
// The scenario every consumer app runs, whatever its module system or axios version.
//
// It is plain CommonJS on purpose: an ES module app, a TypeScript app and a bundle can all
// load it. It never imports axios or axios-client-credentials itself: each app loads both
// by package name, its own way, and hands the resulting instance and handle to this file.
// So what is tested is how the app's own `require`/`import` resolved the package.
//
// It observes and reports; it asserts nothing. The driver (consumers/run.ts) decides pass
// or fail from this report together with what its servers recorded.

const crypto = require('node:crypto');
const dns = require('node:dns');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const util = require('node:util');

/** A default header set on the instance (or on the global axios' defaults). */
const INSTANCE_HEADER = { name: 'X-Instance-Default', value: 'instance "default"; a=1, b=2' };
/** A header set on each request by the caller. */
const REQUEST_HEADER = { name: 'X-Request-Custom', value: 'request custom; q="1,2"/x' };
/** Headers the app's own request interceptors add, registered before and after oauth2(). */
const INTERCEPTOR_HEADERS = { 'before-oauth2': 'X-App-Before-OAuth2', 'after-oauth2': 'X-App-After-OAuth2' };
/** The JSON body of the POST that gets replayed. Non-ASCII on purpose: bytes, not characters, must match. */
const JSON_BODY = { invoice: 'INV-42', amount: 12.5, note: 'ünïcødé ✓ "quoted"', lines: [1, 2, 3], nested: { empty: null } };

/** Where the driver's servers are, from the environment it starts the app with. */
function readEnvironment() {
  const required = (name) => {
    const value = process.env[name];
    if (!value) throw new Error(`missing environment variable ${name} (this app is started by consumers/run.ts)`);
    return value;
  };
  return {
    apiOrigin: required('SCENARIO_API_ORIGIN'),
    foreignOrigin: required('SCENARIO_FOREIGN_ORIGIN'),
    tokenEndpoint: required('SCENARIO_TOKEN_ENDPOINT'),
    controlOrigin: required('SCENARIO_CONTROL_ORIGIN'),
    clientId: required('SCENARIO_CLIENT_ID'),
    clientSecret: required('SCENARIO_CLIENT_SECRET'),
    outputDir: required('SCENARIO_OUTPUT_DIR'),
  };
}

/**
 * dns.lookup, except that `localhost` and every `*.localhost` name is 127.0.0.1. The API
 * redirects to evil.localhost (another host on the same port), which this machine's
 * resolver does not know; the apps give this to axios through an http.Agent.
 */
function resolveLocalhost(hostname, options, callback) {
  if (typeof options === 'function') [callback, options] = [options, {}];
  if (typeof options === 'number') options = { family: options };
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    // Node 20's happy-eyeballs connect asks for every address (`all: true`).
    if (options && options.all) return callback(null, [{ address: '127.0.0.1', family: 4 }]);
    return callback(null, '127.0.0.1', 4);
  }
  return dns.lookup(hostname, options, callback);
}

function localhostAgent() {
  return new http.Agent({ lookup: resolveLocalhost });
}

/** The config of the authorized instance: baseURL is the API, plus a default header. */
function clientConfig(env) {
  return {
    baseURL: env.apiOrigin,
    headers: { [INSTANCE_HEADER.name]: INSTANCE_HEADER.value },
    httpAgent: localhostAgent(),
    timeout: 10000,
  };
}

/** Every call an app interceptor saw: which interceptor, for which call, with what outcome. */
const interceptorLog = [];

/** The tag each request carries in its query (`?call=`), so servers and logs can be matched up. */
function callOf(config) {
  if (!config) return null;
  if (config.params && config.params.call) return config.params.call;
  try {
    return new URL(String(config.url), 'http://relative.invalid').searchParams.get('call');
  } catch {
    return null;
  }
}

/**
 * The app's own interceptors, the kind a service has anyway (a marker header, a log of
 * outcomes). Registered once before oauth2() and once after, so eject() can be shown to
 * leave both alone.
 */
function addAppInterceptors(instance, position) {
  const header = INTERCEPTOR_HEADERS[position];
  if (!header) throw new Error(`unknown interceptor position ${position}`);
  instance.interceptors.request.use((config) => {
    config.headers[header] = 'ran';
    interceptorLog.push({ interceptor: `request ${position}`, call: callOf(config) });
    return config;
  });
  instance.interceptors.response.use(
    (response) => {
      interceptorLog.push({ interceptor: `response ${position}`, call: callOf(response.config), outcome: response.status });
      return response;
    },
    (error) => {
      const outcome = error && error.response ? error.response.status : String(error && error.message);
      interceptorLog.push({ interceptor: `response ${position}`, call: callOf(error && error.config), outcome });
      return Promise.reject(error);
    },
  );
}

function sha256(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** What a request came to: its status, or the error the app caught (message and code only). */
async function outcomeOf(request) {
  try {
    const response = await request;
    return { status: response.status, data: response.data };
  } catch (error) {
    return {
      status: error && error.response ? error.response.status : null,
      error: { message: String(error && error.message), code: error && error.code, isAxiosError: Boolean(error && error.isAxiosError) },
    };
  }
}

/** The error a request rejects with, or undefined when it succeeds. */
async function errorOf(request) {
  try {
    await request;
    return undefined;
  } catch (error) {
    return error;
  }
}

/** JSON.stringify, or why it threw (a circular structure, say). */
function stringified(value) {
  try {
    return { text: String(JSON.stringify(value)) };
  } catch (error) {
    return { threw: String(error && error.message) };
  }
}

/** The driver's control server, reached with fetch so that no axios interceptor is involved. */
function controlClient(env) {
  const call = async (method, route) => {
    const response = await fetch(`${env.controlOrigin}${route}`, { method, signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`control ${route}: HTTP ${response.status}`);
    return response.json();
  };
  return {
    tokenRequests: async () => (await call('GET', '/token-requests')).count,
    revokeAllTokens: () => call('POST', '/revoke-all'),
  };
}

/**
 * The steps, in order. `api` is the authorized instance (or the global axios), `auth`
 * the handle oauth2() returned, `baseline` a plain instance of the same axios with the
 * same settings and no plugin: it shows what axios itself does with a request (a URL
 * object, say), so that a difference is the plugin's. `apiHasBaseURL` is false for the
 * global instance, whose requests name the API's origin in full.
 */
function createScenario({ api, auth, baseline, env, apiHasBaseURL }) {
  const control = controlClient(env);
  const apiUrl = (route) => (apiHasBaseURL ? route : `${env.apiOrigin}${route}`);
  const withCall = (call) => ({ params: { call }, headers: { [REQUEST_HEADER.name]: REQUEST_HEADER.value } });

  const steps = {
    'cold-get': async () => outcomeOf(api.get(apiUrl('/echo'), withCall('cold-get'))),

    'revoke-all-tokens': async () => control.revokeAllTokens(),

    'get-and-post-after-revocation': async () => {
      const sentBody = Buffer.from(JSON.stringify(JSON_BODY), 'utf8');
      const [get, post] = await Promise.all([
        outcomeOf(api.get(apiUrl('/echo'), withCall('replay-get'))),
        outcomeOf(api.post(apiUrl('/echo'), JSON_BODY, withCall('replay-post'))),
      ]);
      return { get, post, sentBodySha256: sha256(sentBody), sentBodyLength: sentBody.length };
    },

    // The next four steps start with a token cached (see `primed`), so that a token
    // request counted in one of them was caused by that step, not left over from another.
    'foreign-absolute-url': async () => ({
      withoutPlugin: await outcomeOf(baseline.get(`${env.foreignOrigin}/absolute`, withCall('foreign-absolute-url-baseline'))),
      ...(await outcomeOf(api.get(`${env.foreignOrigin}/absolute`, withCall('foreign-absolute-url')))),
    }),

    'foreign-url-object': async () => {
      const target = (call) => new URL(`${env.foreignOrigin}/url-object?call=${call}`);
      const headers = { [REQUEST_HEADER.name]: REQUEST_HEADER.value };
      return {
        withoutPlugin: await outcomeOf(baseline.get(target('foreign-url-object-baseline'), { headers })),
        ...(await outcomeOf(api.get(target('foreign-url-object'), { headers }))),
      };
    },

    // Each redirect is also followed by the plain instance first: proof that the hop is
    // reachable at all (evil.localhost through the app's agent), whatever the plugin does.
    'redirect-to-foreign-origin': async () => ({
      withoutPlugin: await outcomeOf(baseline.get(apiUrl('/redirect/foreign'), withCall('redirect-to-foreign-origin-baseline'))),
      ...(await outcomeOf(api.get(apiUrl('/redirect/foreign'), withCall('redirect-to-foreign-origin')))),
    }),

    'redirect-to-subdomain': async () => ({
      withoutPlugin: await outcomeOf(baseline.get(apiUrl('/redirect/subdomain'), withCall('redirect-to-subdomain-baseline'))),
      ...(await outcomeOf(api.get(apiUrl('/redirect/subdomain'), withCall('redirect-to-subdomain')))),
    }),

    'final-401-error': async () => {
      const caught = await errorOf(api.get(apiUrl('/always-401'), withCall('final-401-error')));
      if (!caught) return { status: 200, error: { message: 'no error: /always-401 succeeded' } };
      // What a logger would print. The driver searches both for every token ever issued.
      const inspectFile = path.join(env.outputDir, 'final-401.inspect.txt');
      fs.writeFileSync(inspectFile, util.inspect(caught, { depth: Infinity }));
      const report = { status: caught.response ? caught.response.status : null, message: String(caught.message), inspectFile };
      const json = stringified(caught);
      if (json.threw === undefined) {
        report.jsonFile = path.join(env.outputDir, 'final-401.json.txt');
        fs.writeFileSync(report.jsonFile, json.text);
      } else {
        // Whether axios' own error (no plugin) can be stringified at all, to tell who threw.
        const plain = await errorOf(baseline.get(apiUrl('/always-401'), withCall('final-401-error-baseline')));
        report.jsonStringifyThrew = json.threw;
        report.withoutPlugin = { status: plain && plain.response ? plain.response.status : null, jsonStringifyThrew: stringified(plain).threw };
      }
      return report;
    },

    'eject-keeps-app-interceptors': async () => {
      auth.eject();
      const logStart = interceptorLog.length;
      const outcome = await outcomeOf(api.get(apiUrl('/echo'), withCall('after-eject')));
      const interceptorsSeen = interceptorLog.slice(logStart).filter((entry) => entry.call === 'after-eject');
      return { ...outcome, interceptorsSeen };
    },
  };

  const primed = new Set(['foreign-absolute-url', 'foreign-url-object', 'redirect-to-foreign-origin', 'redirect-to-subdomain']);

  return {
    stepNames: Object.keys(steps),
    /** Runs one step, with the token-request count around it; a step that throws is reported, not fatal. */
    async runStep(name) {
      const run = steps[name];
      if (!run) return { crashed: { message: `no step named ${name}` } };
      try {
        if (primed.has(name)) await auth.getToken();
      } catch (error) {
        return { crashed: { message: `auth.getToken() before the step threw: ${String(error && error.message)}` } };
      }
      const tokenRequestsBefore = await control.tokenRequests();
      let observed;
      try {
        observed = await run();
      } catch (error) {
        observed = { crashed: { message: String(error && error.stack ? error.stack : error) } };
      }
      const tokenRequestsAfter = await control.tokenRequests();
      return { tokenRequestsBefore, tokenRequestsAfter, ...observed };
    },
  };
}

/** Runs every step in order and returns the report. */
async function runScenario(options) {
  const scenario = createScenario(options);
  const steps = {};
  for (const name of scenario.stepNames) steps[name] = await scenario.runStep(name);
  return { steps };
}

/** Prints the report on one marked line and exits (the plugin may keep sockets open). */
function printReportAndExit(report) {
  process.stdout.write(`SCENARIO_REPORT ${JSON.stringify(report)}\n`, () => process.exit(0));
}

/** For a top-level crash (the import failed, oauth2() threw): reported as such, exit 1. */
function reportCrashAndExit(error) {
  const message = String(error && error.stack ? error.stack : error);
  process.stdout.write(`SCENARIO_REPORT ${JSON.stringify({ crashed: { message } })}\n`, () => process.exit(1));
}

module.exports = {
  INSTANCE_HEADER,
  REQUEST_HEADER,
  readEnvironment,
  localhostAgent,
  clientConfig,
  addAppInterceptors,
  createScenario,
  runScenario,
  printReportAndExit,
  reportCrashAndExit,
};
