import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { assertionEncodings, credentialEncodings, privateKeyEncodings } from '../lib/client-auth/secrets';
import { createScrubber } from '../lib/scrub';
import { oauth2 } from '../lib';
import { useServers } from './support/servers';

/**
 * A token endpoint that echoes the client secret back in its error text, in every
 * encoding it plausibly could: none of them may reach the error the app receives.
 */
describe('server text is scrubbed of the client secret in every plausible encoding', () => {
  const CLIENT_ID = 'id:é+x';
  const SECRET = 'sé c/r+t"~Ω';
  const servers = useServers({ clients: { [CLIENT_ID]: SECRET } });

  const percent = (text: string) => encodeURIComponent(text);
  const form = (text: string) => new URLSearchParams([['', text]]).toString().slice(1);
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  const asciiJson = (text: string) => json(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

  const echoes: [string, string][] = [
    ['raw', SECRET],
    ['form-encoded', form(SECRET)],
    ['percent-encoded', percent(SECRET)],
    ['percent-encoded, lower-case hex', lowerHex(percent(SECRET))],
    ['form-encoded, lower-case hex', lowerHex(form(SECRET))],
    ['JSON-escaped', json(SECRET)],
    ['JSON-escaped with \\u escapes', asciiJson(SECRET)],
    [
      'JSON-escaped with upper-case \\u escapes',
      asciiJson(SECRET).replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`),
    ],
    ['base64 without padding', b64(SECRET).replace(/=+$/, '')],
    ['base64 of id:secret without padding', b64(`${CLIENT_ID}:${SECRET}`).replace(/=+$/, '')],
    ['base64', b64(SECRET)],
    ['base64url', b64url(SECRET)],
    ['base64 of id:secret', b64(`${CLIENT_ID}:${SECRET}`)],
    ['base64url of id:secret', b64url(`${CLIENT_ID}:${SECRET}`)],
    ['the Basic credentials as sent', b64(`${form(CLIENT_ID)}:${form(SECRET)}`)],
    ['the Basic credentials without padding', b64(`${form(CLIENT_ID)}:${form(SECRET)}`).replace(/=+$/, '')],
  ];

  it.each(echoes)('%s', async (_name, echoed) => {
    servers.auth.override = (_req, res) => {
      const body = JSON.stringify({
        error: 'invalid_client',
        error_description: `bad secret <${echoed}>`,
        error_uri: `https://auth.test/e?s=${echoed}`,
      });
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(body);
      return true;
    };
    const api = servers.newApi();
    oauth2(api, { tokenEndpoint: servers.auth.tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET });
    const error = (await api.get('/x').catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({
      code: 'ERR_OAUTH2_TOKEN_ENDPOINT',
      errorDescription: expect.stringContaining('bad secret <') as unknown,
    });
    for (const text of [error.message, error.stack ?? '', inspect(error, { depth: Infinity }), JSON.stringify(error)]) {
      expect(text).not.toContain(echoed);
    }
  });
});

describe('createScrubber', () => {
  it('redacts the longest secret first, so no part of it is left around a shorter one', () => {
    const scrub = createScrubber(['abc', 'xxabcxx']);
    expect(scrub('got xxabcxx and abc')).toBe('got [REDACTED] and [REDACTED]');
  });

  it('ignores an empty secret (which would match between every two characters)', () => {
    expect(createScrubber(['', 'key'])('a key here')).toBe('a [REDACTED] here');
    expect(createScrubber([''])('text')).toBe('text');
  });
});

describe('what is listed for scrubbing', () => {
  it('the base64 forms without padding, also when the padding is two characters and the base64 differs from base64url', () => {
    // 'p>?a' is cD4/YQ== in base64 and cD4_YQ in base64url.
    const scrub = createScrubber(credentialEncodings('svc', 'p>?a'));
    expect(scrub('secret cD4/YQ, then')).toBe('secret [REDACTED], then');
    expect(scrub('secret cD4/YQ==')).toBe('secret [REDACTED]');
  });

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const pkcs8 = rsa.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pkcs1 = rsa.export({ type: 'pkcs1', format: 'pem' }).toString();
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey;

  it('a private key: the PEM as given and its PKCS#8 form, each whole, and the one-line body', () => {
    const scrub = createScrubber(privateKeyEncodings(rsa, `  ${pkcs1}\n`));
    expect(scrub(`key (${pkcs1.trim()}) given`)).toBe('key ([REDACTED]) given');
    expect(scrub(`key (${pkcs8.trim()}) exported`)).toBe('key ([REDACTED]) exported');
    const oneLine = pkcs8.replace(/-----[A-Z ]+-----|\s/g, '');
    expect(scrub(`body ${oneLine}.`)).toBe('body [REDACTED].');
  });

  it('a private key: the private JWK members that it has, and no other entry', () => {
    const d = ec.export({ format: 'jwk' }).d;
    const encodings = privateKeyEncodings(ec);
    expect(encodings).toHaveLength(3);
    expect(encodings[2]).toBe(d);
    // Node has no JWK form for RSA-PSS: only the PEM and its body.
    expect(privateKeyEncodings(pss)).toHaveLength(2);
    for (const encoding of [...encodings, ...privateKeyEncodings(rsa), ...privateKeyEncodings(pss)]) {
      expect(typeof encoding === 'string' && encoding.length > 0).toBe(true);
    }
    expect(privateKeyEncodings(rsa)).toHaveLength(2 + 6);
  });

  it('a client assertion: whole, and its signature part once that is 16 characters or more', () => {
    const long = `head.claims.${'s'.repeat(16)}`;
    expect(createScrubber(assertionEncodings(long))(`sig ${'s'.repeat(16)}.`)).toBe('sig [REDACTED].');
    const short = `head.claims.${'t'.repeat(15)}`;
    expect(assertionEncodings(short)).toEqual([short, short, short]);
    expect(createScrubber(assertionEncodings(short))(`sig ${'t'.repeat(15)}`)).toBe(`sig ${'t'.repeat(15)}`);
  });
});
