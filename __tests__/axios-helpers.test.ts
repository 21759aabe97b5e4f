import axios, { type AxiosInstance } from 'axios';
import { BearerHeaders, tokenOf } from '../lib/axios/bearer-headers';
import { axiosTimeoutError, isAxiosError } from '../lib/axios/errors';
import { ourHeaderOn } from '../lib/axios/replay';

describe('BearerHeaders: the Authorization values the plugin attached', () => {
  it('one string per token, newest first; nothing else is ours', () => {
    const headers = new BearerHeaders();
    expect(headers.recent).toEqual([]);
    expect(headers.isOurs('Stryker was here')).toBe(false);
    const first = headers.for('t1');
    expect(first).toBe('Bearer t1');
    expect(headers.for('t1')).toBe(first);
    headers.for('t2');
    expect(headers.recent).toEqual(['Bearer t2', 'Bearer t1']);
    expect(headers.isOurs('Bearer t1')).toBe(true);
    expect(headers.isOurs('Bearer t3')).toBe(false);
    expect(headers.isOurs(['Bearer t1'])).toBe(false);
    expect(tokenOf(first)).toBe('t1');
  });

  it('remembers the latest 16 values: the 17th token pushes out the first', () => {
    const headers = new BearerHeaders();
    for (let i = 1; i <= 16; i++) headers.for(`t${i}`);
    expect(headers.isOurs('Bearer t1')).toBe(true);
    expect(headers.recent).toHaveLength(16);
    headers.for('t17');
    expect(headers.isOurs('Bearer t1')).toBe(false);
    expect(headers.isOurs('Bearer t2')).toBe(true);
    expect(headers.recent).toHaveLength(16);
  });
});

describe("axios' errors, told by flag, not by class", () => {
  it.each([
    ['an AxiosError', new axios.AxiosError('x'), true],
    ['a plain object with the flag', { isAxiosError: true }, true],
    ['the flag not exactly true', { isAxiosError: 'yes' }, false],
    ['null', null, false],
    ['undefined', undefined, false],
    ['a string', 'isAxiosError', false],
    ['an Error', new Error('x'), false],
  ])('%s', (_case, value, expected) => {
    expect(isAxiosError(value)).toBe(expected);
  });

  it("a timeout error of the app's own AxiosError class, with axios' code and message", async () => {
    const client = axios.create();
    const error = await axiosTimeoutError(client, { url: '/x' } as object, 250);
    expect(error).toBeInstanceOf(axios.AxiosError);
    expect(error).toMatchObject({ code: 'ECONNABORTED', message: 'timeout of 250ms exceeded', config: { url: '/x' } });
    const clarified = await axiosTimeoutError(
      client,
      { transitional: { clarifyTimeoutError: true }, timeoutErrorMessage: 'too slow' },
      250,
    );
    expect(clarified).toMatchObject({ code: 'ETIMEDOUT', message: 'too slow' });
  });

  it('an axios-like client whose error class cannot be learned: a plain Error flagged as an AxiosError', async () => {
    const client = { request: () => Promise.reject(new Error('no cancel support')) } as unknown as AxiosInstance;
    const config = { url: '/x' } as object;
    const error = await axiosTimeoutError(client, config, 100);
    expect(error.constructor).toBe(Error);
    expect(error).toMatchObject({ name: 'AxiosError', isAxiosError: true, code: 'ECONNABORTED', message: 'timeout of 100ms exceeded' });
    expect((error as unknown as { config: unknown }).config).toBe(config);
  });
});

describe('ourHeaderOn: the Authorization of ours that the answering hop carried', () => {
  const bearer = new BearerHeaders();
  const ours = bearer.for('t1');

  it("read off the last hop's request when it has one, else off the config", () => {
    const lastHop = (value: unknown) => ({ getHeader: (name: string) => (name === 'authorization' ? value : undefined) });
    expect(ourHeaderOn({ headers: { Authorization: ours } }, lastHop(undefined), bearer)).toBeUndefined();
    expect(ourHeaderOn({ headers: {} }, lastHop(ours), bearer)).toBe(ours);
    expect(ourHeaderOn({ headers: { authorization: ours } }, {}, bearer)).toBe(ours);
    expect(ourHeaderOn({ headers: { Authorization: 'Bearer theirs' } }, undefined, bearer)).toBeUndefined();
  });

  it('nothing without a config or a request to read it from', () => {
    for (const config of [undefined, null, 'config']) expect(ourHeaderOn(config, null, bearer)).toBeUndefined();
  });
});
