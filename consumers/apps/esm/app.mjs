// An ES module app: `import`s axios and the plugin by package name and authorizes its own
// instance. No top-level await, so that esbuild can bundle this very file as CommonJS.
import axios from 'axios';
import { oauth2 } from 'axios-client-credentials';
import scenario from './scenario.cjs';

const { readEnvironment, clientConfig, addAppInterceptors, runScenario, printReportAndExit, reportCrashAndExit } = scenario;

function main() {
  const env = readEnvironment();
  const api = axios.create(clientConfig(env));
  addAppInterceptors(api, 'before-oauth2');
  const auth = oauth2(api, { tokenEndpoint: env.tokenEndpoint, clientId: env.clientId, clientSecret: env.clientSecret });
  addAppInterceptors(api, 'after-oauth2');
  const baseline = axios.create(clientConfig(env));
  return runScenario({ api, auth, baseline, env, apiHasBaseURL: true });
}

Promise.resolve().then(main).then(printReportAndExit, reportCrashAndExit);
