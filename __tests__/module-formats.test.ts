import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The built package (npm test builds it first), loaded the way users load it. */
const root = path.resolve(__dirname, '..');

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

describe('the package works from CommonJS and from ESM', () => {
  const expectedExports = ['ErrorCode', 'InvalidOptionsError', 'InvalidTokenResponseError', 'OAuth2Error', 'TokenEndpointError', 'TokenRequestError', 'TokenTimeoutError', 'oauth2'];

  it('require() gives the full API', () => {
    const out = runNode(['-e', "const m = require('axios-client-credentials'); console.log(JSON.stringify(Object.keys(m).sort()), typeof m.oauth2)"]);
    expect(out.trim()).toBe(`${JSON.stringify(expectedExports)} function`);
  });

  it('import gives the same API and the same classes as require()', () => {
    const script = [
      "import * as m from 'axios-client-credentials';",
      "import { createRequire } from 'node:module';",
      "const cjs = createRequire(import.meta.url)('axios-client-credentials');",
      'console.log(JSON.stringify(Object.keys(m).sort()), m.OAuth2Error === cjs.OAuth2Error);',
    ].join('\n');
    const out = runNode(['--input-type=module', '-e', script]);
    expect(out.trim()).toBe(`${JSON.stringify(expectedExports)} true`);
  });
});
