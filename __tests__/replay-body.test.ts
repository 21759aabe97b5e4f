import axios, { AxiosError } from 'axios';
import { Readable } from 'node:stream';
import { oauth2 } from '../lib';
import { isReplayableBody, snapshotBody } from '../lib/axios/replay-body';
import { clientOptions, useServers } from './support/servers';

describe('request bodies are replayed intact', () => {
  const servers = useServers();

  /** Sends one request with a revoked token, so it is answered 401 and replayed once. */
  async function sendTwice(data: unknown, headers: Record<string, string> = {}) {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    await api.get('/warm');
    servers.auth.revokeAll();
    servers.api.requests.length = 0;
    const response = await api.post('/upload', data, { headers });
    expect(response.status).toBe(200);
    const [first, replay] = servers.api.requests;
    expect(servers.api.requests.map((r) => r.status)).toEqual([401, 200]);
    return { first, replay };
  }

  it.each<[string, unknown, Record<string, string>, string]>([
    ['a JSON object', { id: 7, tags: ['a', 'b'], nested: { ü: 'ß' } }, {}, '{"id":7,"tags":["a","b"],"nested":{"ü":"ß"}}'],
    ['a JSON string with a JSON content type', '{"raw":true}', { 'Content-Type': 'application/json' }, '{"raw":true}'],
    ['a plain string with a JSON content type', 'not json', { 'Content-Type': 'application/json' }, '"not json"'],
    ['a text string', 'hello, wörld', { 'Content-Type': 'text/plain' }, 'hello, wörld'],
    ['a Buffer', Buffer.from([0, 1, 2, 250, 255]), { 'Content-Type': 'application/octet-stream' }, '\u0000\u0001\u0002\ufffd\ufffd'],
    ['URLSearchParams', new URLSearchParams({ a: '1', b: 'x y' }), {}, 'a=1&b=x+y'],
  ])('%s', async (_name, data, headers, expectedText) => {
    const { first, replay } = await sendTwice(data, headers);
    expect(replay.body.equals(first.body)).toBe(true);
    expect(replay.headers['content-type']).toBe(first.headers['content-type']);
    expect(replay.headers['content-length']).toBe(first.headers['content-length']);
    if (Buffer.isBuffer(data)) expect(replay.body.equals(data)).toBe(true);
    else expect(replay.body.toString('utf8')).toBe(expectedText);
  });

  it('FormData is replayed with the same fields and files', async () => {
    const form = new FormData();
    form.append('name', 'invoice-7');
    form.append('file', new Blob(['%PDF-1.7 content'], { type: 'application/pdf' }), 'invoice.pdf');
    const { first, replay } = await sendTwice(form);
    const fields = (body: Buffer, contentType: string | undefined) => {
      const boundary = /boundary=(.+)$/.exec(contentType ?? '')?.[1] ?? '';
      return body.toString('utf8').split(boundary).slice(1, -1);
    };
    expect(fields(replay.body, replay.headers['content-type'])).toEqual(fields(first.body, first.headers['content-type']));
    expect(replay.body.toString('utf8')).toContain('%PDF-1.7 content');
    expect(replay.body.toString('utf8')).toContain('invoice-7');
  });

  it.each<[string, () => { data: unknown; change: () => void }]>([
    [
      'URLSearchParams',
      () => {
        const params = new URLSearchParams({ amount: '100' });
        return { data: params, change: () => params.set('amount', '999') };
      },
    ],
    [
      'a Buffer',
      () => {
        const buffer = Buffer.from('amount=100');
        return { data: buffer, change: () => buffer.write('amount=999') };
      },
    ],
    [
      'a Uint8Array',
      () => {
        const bytes = new Uint8Array(Buffer.from('amount=100'));
        return { data: bytes, change: () => bytes.set(Buffer.from('999'), 7) };
      },
    ],
  ])('%s the app changes after the first send is replayed as the bytes first sent', async (_name, make) => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    await api.get('/warm');
    servers.auth.revokeAll();
    servers.api.requests.length = 0;
    const { data, change } = make();
    // Changed once the first attempt has reached the server, before its 401 comes back.
    servers.api.once('answered', change);
    await api.post('/orders', data, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(servers.api.requests.map((r) => [r.status, r.body.toString()])).toEqual([
      [401, 'amount=100'],
      [200, 'amount=100'],
    ]);
  });

  it('a Blob is replayed byte for byte', async () => {
    const blob = new Blob([Buffer.from([1, 2, 3, 0, 255])], { type: 'application/octet-stream' });
    const { first, replay } = await sendTwice(blob);
    expect(replay.body.equals(first.body)).toBe(true);
    expect([...replay.body]).toEqual([1, 2, 3, 0, 255]);
  });

  it('a stream body is not replayed: the 401 is returned', async () => {
    const api = servers.newApi();
    oauth2(api, clientOptions(servers));
    await api.get('/warm');
    servers.auth.revokeAll();
    servers.api.requests.length = 0;
    const stream = Readable.from([Buffer.from('chunk-1'), Buffer.from('chunk-2')]);
    await expect(api.post('/upload', stream, { headers: { 'Content-Type': 'application/octet-stream' } })).rejects.toMatchObject({
      response: { status: 401 },
    });
    expect(servers.api.requests).toHaveLength(1);
    expect(servers.api.requests[0].body.toString()).toBe('chunk-1chunk-2');
  });

  it('a 401 answered as a stream (responseType stream) is replayed, even on a one-socket agent', async () => {
    const { default: http } = await import('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const api = servers.newApi();
      oauth2(api, clientOptions(servers));
      await api.get('/warm', { httpAgent: agent });
      servers.auth.revokeAll();
      const response = await api.get<Readable>('/streamed', { httpAgent: agent, responseType: 'stream', timeout: 3_000 });
      expect(response.status).toBe(200);
      response.data.resume();
      expect(servers.api.requests.map((r) => r.status)).toEqual([200, 401, 200]);
    } finally {
      agent.destroy();
    }
  });
});

describe('the body of a refused (401) response, before the replay', () => {
  const servers = useServers();

  /** An API answering 401 once with `body` as the response data, then 200: the adapter is the wire. */
  async function replayAfter(body: unknown) {
    const api = servers.newApi();
    let calls = 0;
    api.defaults.adapter = (config) => {
      calls += 1;
      const response = {
        data: calls === 1 ? body : 'ok',
        status: calls === 1 ? 401 : 200,
        statusText: '',
        headers: {},
        config,
        request: {},
      };
      return calls === 1 ? Promise.reject(new AxiosError('401', 'ERR_BAD_REQUEST', config, {}, response)) : Promise.resolve(response);
    };
    oauth2(api, clientOptions(servers));
    await expect(api.get('/x')).resolves.toMatchObject({ status: 200, data: 'ok' });
    expect(calls).toBe(2);
  }

  it('a Node stream is destroyed, a web stream canceled, and anything else left alone', async () => {
    const nodeStream = { pipe: () => undefined, destroy: jest.fn(), getReader: () => undefined, cancel: jest.fn(() => Promise.resolve()) };
    await replayAfter(nodeStream);
    expect(nodeStream.destroy).toHaveBeenCalledTimes(1);
    expect(nodeStream.cancel).not.toHaveBeenCalled();

    const webStream = { getReader: () => undefined, cancel: jest.fn(() => Promise.reject(new Error('already closed'))) };
    await replayAfter(webStream);
    expect(webStream.cancel).toHaveBeenCalledTimes(1);

    const destroyOnly = { destroy: jest.fn(), cancel: jest.fn(() => Promise.resolve()) };
    const pipeOnly = { pipe: () => undefined, getReader: 'no', cancel: jest.fn(() => Promise.resolve()) };
    const readerOnly = { getReader: () => undefined, destroy: jest.fn() };
    for (const body of [destroyOnly, pipeOnly, readerOnly, 'text', undefined]) await replayAfter(body);
    expect(destroyOnly.destroy).not.toHaveBeenCalled();
    expect(destroyOnly.cancel).not.toHaveBeenCalled();
    expect(pipeOnly.cancel).not.toHaveBeenCalled();
    expect(readerOnly.destroy).not.toHaveBeenCalled();
  });
});

/** axios 1.7 and later have a fetch adapter; the lowest supported axios has none. */
const hasFetchAdapter = (() => {
  try {
    return typeof axios.getAdapter === 'function' && typeof axios.getAdapter('fetch') === 'function';
  } catch {
    return false;
  }
})();

if (hasFetchAdapter) {
  describe('a 401 answered as a web stream (fetch adapter)', () => {
    const servers = useServers();

    it('is canceled before the replay, so its connection is released', async () => {
      const api = servers.newApi();
      api.defaults.adapter = 'fetch';
      let refused: ReadableStream<Uint8Array> | undefined;
      // Registered before oauth2(): it sees the 401 before the plugin replays it.
      api.interceptors.response.use(undefined, (error: unknown) => {
        const { response } = error as { response?: { status?: number; data?: ReadableStream<Uint8Array> } };
        if (response?.status === 401) refused = response.data;
        return Promise.reject(error);
      });
      oauth2(api, clientOptions(servers));
      await api.get('/warm');
      servers.auth.revokeAll();
      const response = await api.get('/streamed', { responseType: 'stream' });
      expect(response.status).toBe(200);
      expect(refused).toBeDefined();
      // A canceled stream reads as done at once, without the 401's body.
      await expect(refused!.getReader().read()).resolves.toMatchObject({ done: true });
    });
  });
}

describe('with retries: 0', () => {
  const servers = useServers();

  it('the body is sent as given, not copied: no replay will need it', async () => {
    const api = servers.newApi();
    oauth2(api, { ...clientOptions(servers), retries: 0 });
    const body = Buffer.from('large upload');
    const response = await api.post('/upload', body, { headers: { 'Content-Type': 'application/octet-stream' } });
    expect(response.config.data).toBe(body);
  });
});

describe('which bodies can be sent again, and the copy kept for it', () => {
  it('anything with pipe, getReader or an async iterator is consumed by the first send: not replayable', () => {
    expect(isReplayableBody({ pipe: () => undefined })).toBe(false);
    expect(isReplayableBody({ getReader: () => undefined })).toBe(false);
    expect(isReplayableBody({ [Symbol.asyncIterator]: () => undefined })).toBe(false);
    expect(isReplayableBody({ pipe: 'not a function', getReader: 1, [Symbol.asyncIterator]: null })).toBe(true);
    for (const data of ['text', null, undefined, 7, Buffer.from('b'), new URLSearchParams('a=1'), new FormData(), { a: 1 }]) {
      expect(isReplayableBody(data)).toBe(true);
    }
  });

  it('URLSearchParams and FormData are copied: a change after the first send is not replayed', () => {
    const params = new URLSearchParams('a=1');
    const keptParams = snapshotBody(params) as URLSearchParams;
    params.set('a', 'changed');
    expect(keptParams).not.toBe(params);
    expect(keptParams.toString()).toBe('a=1');

    const form = new FormData();
    form.append('field', 'one');
    const keptForm = snapshotBody(form) as FormData;
    form.set('field', 'changed');
    expect(keptForm).toBeInstanceOf(FormData);
    expect([...keptForm.entries()]).toEqual([['field', 'one']]);
  });

  it('a FormData lookalike without the spec methods, or without the tag, is kept as it is', () => {
    const tagged = { [Symbol.toStringTag]: 'FormData', append: () => undefined };
    expect(snapshotBody(tagged)).toBe(tagged);
    const untagged = { append: () => undefined, entries: () => [][Symbol.iterator]() };
    expect(snapshotBody(untagged)).toBe(untagged);
  });
});
