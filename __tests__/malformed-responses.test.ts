import { InvalidTokenResponseError, oauth2 } from '../lib';
import { useFakeClock } from './support/fake-clock';
import { clientOptions, useServers } from './support/servers';

describe('malformed token responses', () => {
  const servers = useServers();

  /** The authorization server answers 200 with exactly `body`. */
  function answer200(body: string, contentType = 'application/json') {
    servers.auth.override = (_req, res) => {
      res.writeHead(200, { 'Content-Type': contentType }).end(body);
      return true;
    };
  }

  it.each([
    ['an HTML page', '<html><body>Login</body></html>', 'text/html', /not a JSON object/],
    ['truncated JSON', '{"access_token":"abc","token_ty', 'application/json', /not a JSON object/],
    ['an empty body', '', 'application/json', /not a JSON object/],
    ['a JSON array', '[{"access_token":"abc","token_type":"Bearer"}]', 'application/json', /not a JSON object/],
    ['a JSON string', '"abc"', 'application/json', /not a JSON object/],
    ['JSON null', 'null', 'application/json', /not a JSON object/],
    ['a missing access_token', '{"token_type":"Bearer"}', 'application/json', /access_token is missing/],
    ['an empty access_token', '{"access_token":"","token_type":"Bearer"}', 'application/json', /access_token is missing, empty/],
    ['a numeric access_token', '{"access_token":12345,"token_type":"Bearer"}', 'application/json', /not a string/],
    ['an object access_token', '{"access_token":{"v":1},"token_type":"Bearer"}', 'application/json', /not a string/],
    ['token_type "MAC"', '{"access_token":"abc","token_type":"MAC"}', 'application/json', /token_type must be "Bearer"/],
    ['token_type "DPoP"', '{"access_token":"abc","token_type":"DPoP"}', 'application/json', /token_type must be "Bearer"/],
    [
      'a CRLF in access_token',
      '{"access_token":"abc\\r\\nX-Injected: 1","token_type":"Bearer"}',
      'application/json',
      /not allowed in an HTTP header/,
    ],
    [
      'a NUL in access_token',
      '{"access_token":"abc\\u0000def","token_type":"Bearer"}',
      'application/json',
      /not allowed in an HTTP header/,
    ],
    ['a space in access_token', '{"access_token":"abc def","token_type":"Bearer"}', 'application/json', /not allowed in an HTTP header/],
    ['a tab in access_token', '{"access_token":"abc\\tdef","token_type":"Bearer"}', 'application/json', /not allowed in an HTTP header/],
    ['non-ASCII in access_token', '{"access_token":"abcé","token_type":"Bearer"}', 'application/json', /not allowed in an HTTP header/],
  ])('%s is rejected with a typed error and the resource is never called', async (_name, body, contentType, message) => {
    answer200(body, contentType);
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    const error = await api.get('/resource').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTokenResponseError);
    expect(error).toMatchObject({ code: 'ERR_OAUTH2_INVALID_TOKEN_RESPONSE', status: 200 });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('abc');
    expect(servers.api.requests).toHaveLength(0);
  });

  describe('expires_in', () => {
    /** Issues valid tokens with `expires_in` set to the raw JSON `value`. */
    function issueWithExpiresIn(value: string) {
      servers.auth.override = (_req, res) => {
        const token = `t${servers.auth.everIssued.length}x`;
        servers.auth.issued.add(token);
        servers.auth.everIssued.push(token);
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(`{"access_token":"${token}","token_type":"Bearer","expires_in":${value}}`);
        return true;
      };
    }

    it.each([
      ['the number 60', '60'],
      ['the numeric string "60"', '"60"'],
      ['the fractional 60.0', '60.0'],
    ])('%s gives a 60 s lifetime: reused at 56 s, refreshed at 58.5 s', async (_name, value) => {
      const clock = useFakeClock();
      issueWithExpiresIn(value);
      const api = servers.newApi();
      oauth2(api, clientOptions(servers));
      await api.get('/a');
      clock.advanceSeconds(56);
      await api.get('/b');
      expect(servers.auth.requests).toHaveLength(1);
      clock.advanceSeconds(2.5);
      await api.get('/c');
      expect(servers.auth.requests).toHaveLength(2);
    });

    it.each([
      ['negative', '-30'],
      ['zero', '0'],
      ['a non-numeric string', '"soon"'],
      ['a numeric string with junk', '"60s"'],
      ['null', 'null'],
      ['an object', '{"seconds":60}'],
      ['a boolean', 'true'],
    ])('%s is treated as absent: the token is kept until a 401, and nothing crashes', async (_name, value) => {
      const clock = useFakeClock();
      issueWithExpiresIn(value);
      const api = servers.newApi();
      oauth2(api, clientOptions(servers));
      await api.get('/a');
      clock.advanceSeconds(30 * 86_400);
      await api.get('/b');
      expect(servers.auth.requests).toHaveLength(1);
      servers.auth.revokeAll();
      await expect(api.get('/c')).resolves.toMatchObject({ status: 200 });
      expect(servers.auth.requests).toHaveLength(2);
    });

    it.each([['1e300'], ['1e400 (Infinity once parsed)', '1e400'], ['"1e6"', '"1e6"']])(
      'an absurdly large %s is capped at one day',
      async (name, raw = name) => {
        const clock = useFakeClock();
        issueWithExpiresIn(raw);
        const api = servers.newApi();
        oauth2(api, clientOptions(servers));
        await api.get('/a');
        clock.advanceSeconds(86_400 - 120);
        await api.get('/b');
        expect(servers.auth.requests).toHaveLength(1);
        clock.advanceSeconds(120);
        await api.get('/c');
        expect(servers.auth.requests).toHaveLength(2);
      },
    );

    it('defaultLifetime applies when expires_in is unusable', async () => {
      const clock = useFakeClock();
      issueWithExpiresIn('"never"');
      const api = servers.newApi();
      oauth2(api, { ...clientOptions(servers), defaultLifetime: 300 });
      await api.get('/a');
      clock.advanceSeconds(300);
      await api.get('/b');
      expect(servers.auth.requests).toHaveLength(2);
    });
  });
});
