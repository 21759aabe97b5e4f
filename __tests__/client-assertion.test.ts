import fsPromises from 'node:fs/promises';
import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { ClientAssertionError, clientAssertionFromFile, InvalidOptionsError, oauth2, type OAuth2Options } from '../lib';
import { CLIENT_ID, useServers } from './support/servers';

/**
 * `clientAssertion`: an assertion signed elsewhere (a workload identity), sent as is with
 * the RFC 7523 client_assertion_type; and `clientAssertionFromFile`, which follows a file
 * rotated in place. The loopback server's answer is taken over, since it cannot verify
 * assertions it did not see signed: these tests are about what is sent.
 */

const ASSERTION_TYPE = 'urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer';
const expectedBody = (assertion: string) =>
  `grant_type=client_credentials&client_id=${CLIENT_ID}&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${assertion}`;

describe('clientAssertion', () => {
  const servers = useServers();

  beforeEach(() => {
    servers.auth.override = (_req, res) => {
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ access_token: `tok-${servers.auth.requests.length}`, token_type: 'Bearer' }));
      return true;
    };
  });

  function connect(options: Partial<OAuth2Options>) {
    const instance = axios.create({ baseURL: servers.api.url });
    return oauth2(instance, { tokenEndpoint: servers.auth.tokenEndpoint, clientId: CLIENT_ID, ...options });
  }

  const bodies = () => servers.auth.requests.map((request) => request.body);

  it('a string is sent as the client assertion of every token request, without a method named (private_key_jwt implied)', async () => {
    const handle = connect({ clientAssertion: 'eyJ.a-b.c_d' });
    await handle.getToken();
    handle.invalidate();
    await handle.getToken();
    expect(bodies()).toEqual([expectedBody('eyJ.a-b.c_d'), expectedBody('eyJ.a-b.c_d')]);
    expect(servers.auth.requests[0].headers.authorization).toBeUndefined();
  });

  it.each([
    ['sync', (n: number) => `assertion.${n}.sig`],
    ['async', async (n: number) => `assertion.${n}.sig`],
  ] as const)('a %s function is called for every token request', async (_kind, make) => {
    let calls = 0;
    const handle = connect({ tokenEndpointAuthMethod: 'private_key_jwt', clientAssertion: () => make((calls += 1)) });
    expect(calls).toBe(0);
    for (let i = 0; i < 3; i += 1) {
      await handle.getToken();
      handle.invalidate();
    }
    expect(calls).toBe(3);
    expect(bodies()).toEqual([1, 2, 3].map((n) => expectedBody(`assertion.${n}.sig`)));
  });

  it('a function that throws fails the token request with ClientAssertionError (the cause kept), and nothing is sent', async () => {
    const failure = new Error('identity agent unreachable');
    const handle = connect({ clientAssertion: () => Promise.reject(failure) });
    const error = await handle.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientAssertionError);
    expect(error).toMatchObject({
      code: 'ERR_OAUTH2_CLIENT_ASSERTION',
      message: 'No client assertion: the clientAssertion function failed',
    });
    expect((error as Error).cause).toBe(failure);
    expect(servers.auth.requests).toHaveLength(0);
  });

  it.each([
    ['an empty string', '  ', /returned an empty string/],
    ['undefined', undefined, /returned undefined; expected the assertion as a non-empty string/],
    ['a number', 42, /returned a number/],
    ['null', null, /returned null; expected/],
  ])('a function returning %s fails with ClientAssertionError', async (_case, value, message) => {
    const handle = connect({ clientAssertion: () => value as string });
    await expect(handle.getToken()).rejects.toThrow(message);
    expect(servers.auth.requests).toHaveLength(0);
  });

  it('what a function returns is sent without the whitespace around it (as a file read is)', async () => {
    const handle = connect({ clientAssertion: () => '  eyJ.a-b.c_d \n' });
    await handle.getToken();
    expect(bodies()).toEqual([expectedBody('eyJ.a-b.c_d')]);
  });

  it('a failed assertion is not cached: the next request asks again', async () => {
    let calls = 0;
    const handle = connect({ clientAssertion: () => ((calls += 1) === 1 ? '' : 'second.try.ok') });
    await expect(handle.getToken()).rejects.toBeInstanceOf(ClientAssertionError);
    await expect(handle.getToken()).resolves.toBe('tok-1');
    expect(bodies()).toEqual([expectedBody('second.try.ok')]);
  });

  describe('clientAssertionFromFile', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'client-assertion-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the file anew after it changed (same size, rewritten in place), and not before', async () => {
      const file = path.join(dir, 'token');
      writeFileSync(file, 'first.assertion.AAAA\n');
      const reads = jest.spyOn(fsPromises, 'readFile');
      try {
        const handle = connect({ clientAssertion: clientAssertionFromFile(file) });
        await handle.getToken();
        handle.invalidate();
        await handle.getToken();
        expect(reads.mock.calls.filter(([read]) => read === file)).toHaveLength(1);
        writeFileSync(file, 'first.assertion.BBBB\n');
        handle.invalidate();
        await handle.getToken();
        expect(reads.mock.calls.filter(([read]) => read === file)).toHaveLength(2);
      } finally {
        reads.mockRestore();
      }
      expect(bodies()).toEqual([
        expectedBody('first.assertion.AAAA'),
        expectedBody('first.assertion.AAAA'),
        expectedBody('first.assertion.BBBB'),
      ]);
    });

    it('follows a Kubernetes-style rotation (the ..data symlink swapped to a new directory)', async () => {
      const version = (name: string, assertion: string) => {
        mkdirSync(path.join(dir, name));
        writeFileSync(path.join(dir, name, 'token'), assertion);
      };
      version('..2024_01', 'k8s.v1.sig');
      symlinkSync('..2024_01', path.join(dir, '..data'));
      symlinkSync(path.join('..data', 'token'), path.join(dir, 'token'));
      const handle = connect({ clientAssertion: clientAssertionFromFile(path.join(dir, 'token')) });
      await handle.getToken();
      version('..2024_02', 'k8s.v2.sig');
      symlinkSync('..2024_02', path.join(dir, '..data_tmp'));
      renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
      handle.invalidate();
      await handle.getToken();
      expect(bodies()).toEqual([expectedBody('k8s.v1.sig'), expectedBody('k8s.v2.sig')]);
    });

    it('a missing file fails with ClientAssertionError naming the path; once it appears, it is used', async () => {
      const file = path.join(dir, 'not-yet');
      const handle = connect({ clientAssertion: clientAssertionFromFile(file) });
      const error = await handle.getToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClientAssertionError);
      expect(error).toMatchObject({
        code: 'ERR_OAUTH2_CLIENT_ASSERTION',
        path: file,
        message: `No client assertion: the client assertion file ${file} does not exist`,
      });
      expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
      writeFileSync(file, 'now.it.exists');
      await handle.getToken();
      expect(bodies()).toEqual([expectedBody('now.it.exists')]);
    });

    it('an empty (or blank) file fails with ClientAssertionError naming the path', async () => {
      const file = path.join(dir, 'empty');
      writeFileSync(file, ' \n');
      const handle = connect({ clientAssertion: clientAssertionFromFile(file) });
      await expect(handle.getToken()).rejects.toMatchObject({
        name: 'ClientAssertionError',
        path: file,
        message: `No client assertion: the client assertion file ${file} is empty`,
      });
      expect(servers.auth.requests).toHaveLength(0);
    });

    it('a directory is refused as a file', async () => {
      const handle = connect({ clientAssertion: clientAssertionFromFile(dir) });
      await expect(handle.getToken()).rejects.toMatchObject({
        name: 'ClientAssertionError',
        path: dir,
        message: expect.stringContaining('could not be read (EISDIR)') as unknown,
      });
    });

    it('refuses a path that is not a non-empty string at once', () => {
      expect(() => clientAssertionFromFile('')).toThrow(InvalidOptionsError);
      expect(() => clientAssertionFromFile('')).toThrow(expect.objectContaining({ option: 'clientAssertion' }) as Error);
      expect(() => clientAssertionFromFile(undefined as never)).toThrow(/expects the path of the assertion file/);
    });
  });
});
