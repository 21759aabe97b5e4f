// An ES module app that authorizes the global axios default instance, limited to the API's
// origin (it has no baseURL, so without `origins` the token would go everywhere).
import axios from 'axios';
import { oauth2 } from 'axios-client-credentials';
import scenario from './scenario.cjs';

const { INSTANCE_HEADER, readEnvironment, localhostAgent, addAppInterceptors, runScenario, printReportAndExit, reportCrashAndExit } = scenario;

function main() {
  const env = readEnvironment();
  axios.defaults.headers.common[INSTANCE_HEADER.name] = INSTANCE_HEADER.value;
  axios.defaults.httpAgent = localhostAgent();
  axios.defaults.timeout = 10000;
  addAppInterceptors(axios, 'before-oauth2');
  const auth = oauth2(axios, { tokenEndpoint: env.tokenEndpoint, clientId: env.clientId, clientSecret: env.clientSecret, origins: [env.apiOrigin] });
  addAppInterceptors(axios, 'after-oauth2');
  // Made after the defaults were set, so it has the same settings, but no interceptors.
  const baseline = axios.create();
  return runScenario({ api: axios, auth, baseline, env, apiHasBaseURL: false });
}

Promise.resolve().then(main).then(printReportAndExit, reportCrashAndExit);
