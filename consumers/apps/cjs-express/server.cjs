// A legacy CommonJS service on Express 4. It authorizes one axios instance at startup, the
// way a service does, and its routes call the API through it: each scenario step is a
// route, hit over HTTP by the driver. Prints `LISTENING <port>` once it accepts requests.
const axios = require('axios');
const express = require('express');
const { oauth2 } = require('axios-client-credentials');
const { readEnvironment, clientConfig, addAppInterceptors, createScenario } = require('./scenario.cjs');

const env = readEnvironment();
const api = axios.create(clientConfig(env));
addAppInterceptors(api, 'before-oauth2');
const auth = oauth2(api, { tokenEndpoint: env.tokenEndpoint, clientId: env.clientId, clientSecret: env.clientSecret });
addAppInterceptors(api, 'after-oauth2');
const scenario = createScenario({ api, auth, baseline: axios.create(clientConfig(env)), env, apiHasBaseURL: true });

const app = express();
app.get('/scenario', (req, res) => res.json(scenario.stepNames));
app.post('/scenario/:step', async (req, res, next) => {
  try {
    res.json(await scenario.runStep(req.params.step));
  } catch (error) {
    next(error);
  }
});

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`LISTENING ${server.address().port}`);
});
