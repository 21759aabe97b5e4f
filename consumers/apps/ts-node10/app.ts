// TypeScript, "moduleResolution": "node10" (the classic resolution, no `exports` map:
// the package's `main` and `types`), compiled as CommonJS with
// `tsc --strict`, then run as the emitted app.js.
import axios from 'axios';
import { oauth2, type OAuth2Handle } from 'axios-client-credentials';
import { readEnvironment, clientConfig, addAppInterceptors, runScenario, printReportAndExit, reportCrashAndExit } from './scenario.cjs';

function main() {
  const env = readEnvironment();
  const api = axios.create(clientConfig(env));
  addAppInterceptors(api, 'before-oauth2');
  const auth: OAuth2Handle = oauth2(api, { tokenEndpoint: env.tokenEndpoint, clientId: env.clientId, clientSecret: env.clientSecret });
  addAppInterceptors(api, 'after-oauth2');
  return runScenario({ api, auth, baseline: axios.create(clientConfig(env)), env, apiHasBaseURL: true });
}

Promise.resolve().then(main).then(printReportAndExit, reportCrashAndExit);
