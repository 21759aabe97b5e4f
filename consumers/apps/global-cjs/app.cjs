// A CommonJS app that authorizes the global axios default instance, limited to the API's
// origin (it has no baseURL, so without `origins` the token would go everywhere).
const axios = require('axios');
const { oauth2 } = require('axios-client-credentials');
const { INSTANCE_HEADER, readEnvironment, localhostAgent, addAppInterceptors, runScenario, printReportAndExit, reportCrashAndExit } = require('./scenario.cjs');

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
