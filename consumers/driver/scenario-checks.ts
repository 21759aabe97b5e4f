import fs from 'node:fs';
import { INSTANCE_HEADER, REQUEST_HEADER } from '../apps/shared/scenario.cjs';
import { fail, pass, type Verdict } from './results';
import type { EjectStep, FinalErrorStep, Outcome, OutcomeStep, ReplayStep, ScenarioReport, StepBase, UrlObjectStep } from './scenario-report';
import { hostnameOf, type ApiRecord } from './servers/api-server';
import type { ForeignRecord } from './servers/foreign-server';

/** Everything known about one app run: the app's report and the servers' records. */
export interface RunEvidence {
  report: ScenarioReport | undefined;
  /** Why there is no report (exit code, stderr), when there is none. */
  problem?: string;
  api: ApiRecord[];
  foreign: ForeignRecord[];
  /** Every token the authorization server issued during the run, revoked or not. */
  issuedTokens: string[];
}

/** The checks, by name, in the order they are reported. Every app gets all of them. */
export const CHECK = {
  coldGet: 'cold GET gets a token (exactly 1 token request)',
  replay: 'after revoking every token, concurrent GET and JSON POST succeed through one refresh and replay (exactly 1 more token request)',
  replayBody: 'replayed POST body is byte-identical to the first attempt and to what the app sent',
  headers: 'instance default header and request header arrive intact (first attempt and replay)',
  foreignAbsolute: 'foreign origin, absolute URL string: no token sent, no token request, 401 reaches the app',
  foreignUrlObject: 'foreign origin, URL object: no token sent, no token request, same outcome as axios without the plugin',
  redirectForeign: '302 from the API to a foreign origin: no token sent there, no token request, 401 reaches the app',
  redirectSubdomain: '302 from the API to evil.localhost: no token sent there, no token request, 401 reaches the app',
  inspect: 'final 401: util.inspect(error, { depth: Infinity }) holds no issued token',
  json: 'final 401: JSON.stringify(error) holds no issued token',
  eject: "eject() keeps the app's interceptors (added before and after oauth2()) working and attaches no token",
} as const;

/** A step's report, or why it is not there. */
function stepOf<T extends StepBase>(evidence: RunEvidence, name: string): T | string {
  if (evidence.report === undefined) return `app gave no report: ${evidence.problem ?? 'no output'}`;
  if (evidence.report.crashed) return `app crashed: ${evidence.report.crashed.message}`;
  const step = evidence.report.steps?.[name] as T | undefined;
  if (step === undefined) return `step ${name} did not run`;
  if (step.crashed) return `step ${name} threw: ${step.crashed.message}`;
  return step;
}

function describe(outcome: Outcome | undefined): string {
  if (!outcome) return 'nothing';
  if (outcome.status !== null) return `HTTP ${outcome.status}`;
  return `an error without a response (${outcome.error?.code ?? ''} ${outcome.error?.message ?? ''})`.replace(/\( /, '(');
}

const tokenRequestsMade = (step: StepBase): number => step.tokenRequestsAfter - step.tokenRequestsBefore;

/** An Authorization value for a message: which issued token it is, never the token itself. */
function nameAuthorization(authorization: string | undefined, issuedTokens: readonly string[]): string {
  if (authorization === undefined) return 'none';
  const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
  const index = token === undefined ? -1 : issuedTokens.indexOf(token);
  return index >= 0 ? `Bearer <issued token #${index + 1}>` : `${authorization.split(' ')[0]} <not an issued token>`;
}

const apiRecordsFor = (evidence: RunEvidence, call: string): ApiRecord[] =>
  evidence.api.filter((record) => record.call === call && hostnameOf(record.host) === 'localhost');

/** Turns a list of problems into a verdict. */
function verdict(name: string, problems: string[], note?: string): Verdict {
  return problems.length === 0 ? pass(name, note) : fail(name, problems.join('; '));
}

function checkColdGet(evidence: RunEvidence): Verdict {
  const step = stepOf<OutcomeStep>(evidence, 'cold-get');
  if (typeof step === 'string') return fail(CHECK.coldGet, step);
  const problems: string[] = [];
  if (step.status !== 200) problems.push(`app got ${describe(step)}`);
  if (step.tokenRequestsBefore !== 0 || tokenRequestsMade(step) !== 1) {
    problems.push(`token requests went from ${step.tokenRequestsBefore} to ${step.tokenRequestsAfter}`);
  }
  const records = apiRecordsFor(evidence, 'cold-get');
  if (records.length !== 1) problems.push(`API received ${records.length} requests`);
  for (const record of records) {
    if (!record.authorization || !evidence.issuedTokens.some((token) => record.authorization === `Bearer ${token}`)) {
      problems.push(`API received Authorization: ${nameAuthorization(record.authorization, evidence.issuedTokens)}`);
    }
  }
  return verdict(CHECK.coldGet, problems);
}

/** A replayed call reached the API twice: refused with the revoked token, then served with a new one. */
function replayProblems(evidence: RunEvidence, call: string, outcome: Outcome): string[] {
  const problems: string[] = [];
  if (outcome.status !== 200) problems.push(`${call}: app got ${describe(outcome)}`);
  const records = apiRecordsFor(evidence, call);
  const statuses = records.map((record) => `${record.status} (${nameAuthorization(record.authorization, evidence.issuedTokens)})`);
  if (records.length !== 2 || records[0].status !== 401 || records[1].status !== 200) {
    problems.push(`${call}: API answered ${statuses.join(', ') || 'nothing'}; expected 401 then 200`);
  } else if (records[0].authorization === records[1].authorization) {
    problems.push(`${call}: the replay carried the refused token`);
  }
  return problems;
}

function checkReplay(evidence: RunEvidence): Verdict {
  const step = stepOf<ReplayStep>(evidence, 'get-and-post-after-revocation');
  if (typeof step === 'string') return fail(CHECK.replay, step);
  const problems = [...replayProblems(evidence, 'replay-get', step.get), ...replayProblems(evidence, 'replay-post', step.post)];
  if (tokenRequestsMade(step) !== 1) problems.push(`${tokenRequestsMade(step)} token requests`);
  return verdict(CHECK.replay, problems);
}

function checkReplayBody(evidence: RunEvidence): Verdict {
  const step = stepOf<ReplayStep>(evidence, 'get-and-post-after-revocation');
  if (typeof step === 'string') return fail(CHECK.replayBody, step);
  const records = apiRecordsFor(evidence, 'replay-post');
  const problems: string[] = [];
  if (records.length < 2) problems.push(`no replay reached the API (${records.length} POST request${records.length === 1 ? '' : 's'})`);
  records.forEach((record, index) => {
    if (record.bodySha256 !== step.sentBodySha256) {
      problems.push(`attempt ${index + 1} body differs from what the app sent (${record.bodyLength} bytes vs ${step.sentBodyLength})`);
    }
  });
  if (step.post.status === 200 && step.post.data?.bodySha256 !== step.sentBodySha256) problems.push("the API's echo to the app names another body");
  return verdict(CHECK.replayBody, problems);
}

function checkHeaders(evidence: RunEvidence): Verdict {
  const expected = { [INSTANCE_HEADER.name.toLowerCase()]: INSTANCE_HEADER.value, [REQUEST_HEADER.name.toLowerCase()]: REQUEST_HEADER.value };
  const problems: string[] = [];
  for (const call of ['cold-get', 'replay-get', 'replay-post']) {
    const records = apiRecordsFor(evidence, call);
    if (records.length === 0) problems.push(`${call}: no request reached the API`);
    if (call !== 'cold-get' && records.length === 1) problems.push(`${call}: no replay reached the API, so its headers could not be checked`);
    records.forEach((record, index) => {
      for (const [name, value] of Object.entries(expected)) {
        if (record.headers[name] !== value) problems.push(`${call} attempt ${index + 1}: ${name} was ${JSON.stringify(record.headers[name] ?? null)}`);
      }
    });
  }
  return verdict(CHECK.headers, problems);
}

interface ElsewhereCase {
  check: string;
  step: string;
  call: string;
  target: 'foreign' | 'evil.localhost';
  /** A redirect: its first hop goes to the API, which must get the token, or confinement was not put to the test. */
  isRedirectFromApi?: boolean;
}

function recordsAt(evidence: RunEvidence, target: ElsewhereCase['target'], call: string): Array<{ authorization: string | undefined }> {
  if (target === 'foreign') return evidence.foreign.filter((record) => record.call === call);
  return evidence.api.filter((record) => record.call === call && hostnameOf(record.host) === 'evil.localhost');
}

/** No token where it does not belong, and that origin's 401 is not taken for ours. */
function elsewhereProblems(evidence: RunEvidence, { call, target }: ElsewhereCase, step: OutcomeStep, expectReached: boolean): string[] {
  const problems: string[] = [];
  const records = recordsAt(evidence, target, call);
  if (expectReached && records.length === 0) {
    const reachedWithoutPlugin = recordsAt(evidence, target, `${call}-baseline`).length > 0;
    problems.push(`no request reached ${target} (without the plugin it ${reachedWithoutPlugin ? 'did' : 'did not either'})`);
  }
  const withToken = records.filter((record) => record.authorization !== undefined);
  if (withToken.length > 0) {
    problems.push(`${target} received Authorization in ${withToken.length} of ${records.length} requests: ${nameAuthorization(withToken[0].authorization, evidence.issuedTokens)}`);
  }
  if (tokenRequestsMade(step) !== 0) problems.push(`${tokenRequestsMade(step)} token request(s) during the step`);
  return problems;
}

function checkElsewhere(evidence: RunEvidence, elsewhere: ElsewhereCase): Verdict {
  const step = stepOf<OutcomeStep>(evidence, elsewhere.step);
  if (typeof step === 'string') return fail(elsewhere.check, step);
  const problems = elsewhereProblems(evidence, elsewhere, step, true);
  if (elsewhere.isRedirectFromApi) {
    const firstHops = apiRecordsFor(evidence, elsewhere.call);
    if (!firstHops.some((record) => evidence.issuedTokens.some((token) => record.authorization === `Bearer ${token}`))) {
      problems.push(`the API (first hop) received no issued token (${firstHops.length} request(s)), so the redirect did not test where the token goes`);
    }
  }
  if (step.status !== 401) problems.push(`app got ${describe(step)}`);
  return verdict(elsewhere.check, problems);
}

/**
 * A URL object as `url`. Some axios versions cannot send one at all (0.27 hands it to
 * url.parse; 1.21 with a baseURL calls .replace on it): then the plugin must not change
 * that outcome, and must still send no token and make no token request.
 */
function checkUrlObject(evidence: RunEvidence): Verdict {
  const elsewhere: ElsewhereCase = { check: CHECK.foreignUrlObject, step: 'foreign-url-object', call: 'foreign-url-object', target: 'foreign' };
  const step = stepOf<UrlObjectStep>(evidence, elsewhere.step);
  if (typeof step === 'string') return fail(elsewhere.check, step);
  const axiosCanSendIt = step.withoutPlugin.status !== null;
  const problems = elsewhereProblems(evidence, elsewhere, step, axiosCanSendIt);
  if (axiosCanSendIt) {
    if (step.status !== 401) problems.push(`app got ${describe(step)}; without the plugin ${describe(step.withoutPlugin)}`);
    return verdict(elsewhere.check, problems);
  }
  if (step.status !== null || step.error?.message !== step.withoutPlugin.error?.message) {
    problems.push(`app got ${describe(step)}; without the plugin ${describe(step.withoutPlugin)}`);
  }
  return verdict(elsewhere.check, problems, `this axios cannot send a URL object here, with or without the plugin: ${step.withoutPlugin.error?.message}`);
}

/** Every issued token found in `text`, as "#n" labels. */
function tokensIn(text: string, issuedTokens: readonly string[]): string[] {
  return issuedTokens.flatMap((token, index) => (text.includes(token) ? [`#${index + 1}`] : []));
}

function checkErrorOutput(evidence: RunEvidence, check: string, file: (step: FinalErrorStep) => string | undefined): Verdict {
  const step = stepOf<FinalErrorStep>(evidence, 'final-401-error');
  if (typeof step === 'string') return fail(check, step);
  if (step.status !== 401) return fail(check, `app got ${step.status === null ? step.error?.message ?? step.message : `HTTP ${step.status}`} instead of the final 401`);
  if (check === CHECK.json && step.jsonStringifyThrew !== undefined) {
    // axios 0.27's toJSON() returns the config, whose httpAgent holds sockets: circular.
    // Then it is axios' doing, and what matters is that nothing got printed.
    const alsoWithoutPlugin = step.withoutPlugin?.jsonStringifyThrew;
    if (alsoWithoutPlugin === undefined) return fail(check, `JSON.stringify(error) threw, and does not without the plugin: ${step.jsonStringifyThrew}`);
    return pass(check, `JSON.stringify throws on this axios' error with or without the plugin, printing nothing: ${alsoWithoutPlugin}`);
  }
  const path = file(step);
  if (path === undefined || !fs.existsSync(path)) return fail(check, 'the app wrote no output to search');
  const text = fs.readFileSync(path, 'utf8');
  const found = tokensIn(text, evidence.issuedTokens);
  if (found.length > 0) return fail(check, `holds issued token(s) ${found.join(', ')} of ${evidence.issuedTokens.length} (${text.length} chars searched)`);
  if (evidence.issuedTokens.length === 0) return pass(check, 'no token was ever issued, so none could leak');
  return pass(check, `${evidence.issuedTokens.length} issued tokens searched in ${text.length} chars`);
}

function checkEject(evidence: RunEvidence): Verdict {
  const step = stepOf<EjectStep>(evidence, 'eject-keeps-app-interceptors');
  if (typeof step === 'string') return fail(CHECK.eject, step);
  const problems: string[] = [];
  // No token, so the API refuses: the request went out exactly as plain axios sends it.
  if (step.status !== 401) problems.push(`app got ${describe(step)}, expected the API's 401 to a request without a token`);
  for (const interceptor of ['request before-oauth2', 'request after-oauth2', 'response before-oauth2', 'response after-oauth2']) {
    const times = step.interceptorsSeen.filter((entry) => entry.interceptor === interceptor).length;
    if (times !== 1) problems.push(`the app's ${interceptor} interceptor ran ${times} times`);
  }
  const records = apiRecordsFor(evidence, 'after-eject');
  if (records.length !== 1) problems.push(`API received ${records.length} requests`);
  for (const record of records) {
    if (record.authorization !== undefined) problems.push(`API received Authorization: ${nameAuthorization(record.authorization, evidence.issuedTokens)}`);
    if (record.headers['x-app-before-oauth2'] !== 'ran') problems.push('the header of the interceptor added before oauth2() is missing');
    if (record.headers['x-app-after-oauth2'] !== 'ran') problems.push('the header of the interceptor added after oauth2() is missing');
  }
  if (tokenRequestsMade(step) !== 0) problems.push(`${tokenRequestsMade(step)} token request(s)`);
  return verdict(CHECK.eject, problems);
}

/** Every scenario check, from the app's report and the servers' records. */
export function checkScenario(evidence: RunEvidence): Verdict[] {
  return [
    checkColdGet(evidence),
    checkReplay(evidence),
    checkReplayBody(evidence),
    checkHeaders(evidence),
    checkElsewhere(evidence, { check: CHECK.foreignAbsolute, step: 'foreign-absolute-url', call: 'foreign-absolute-url', target: 'foreign' }),
    checkUrlObject(evidence),
    checkElsewhere(evidence, { check: CHECK.redirectForeign, step: 'redirect-to-foreign-origin', call: 'redirect-to-foreign-origin', target: 'foreign', isRedirectFromApi: true }),
    checkElsewhere(evidence, { check: CHECK.redirectSubdomain, step: 'redirect-to-subdomain', call: 'redirect-to-subdomain', target: 'evil.localhost', isRedirectFromApi: true }),
    checkErrorOutput(evidence, CHECK.inspect, (step) => step.inspectFile),
    checkErrorOutput(evidence, CHECK.json, (step) => step.jsonFile),
    checkEject(evidence),
  ];
}

/** The same checks, all failed for one reason (the app could not be installed, say). */
export function failAllScenarioChecks(reason: string): Verdict[] {
  return Object.values(CHECK).map((name) => fail(name, reason));
}
