import { AxiosHeaders } from 'axios';
import { authorizationOf, copyHeaders, removeAuthorization, removeHeader, setAuthorization } from '../lib/axios/request-headers';
import { freshModule } from './support/fresh-module';

/**
 * The Authorization header read and written on the headers axios hands over: an
 * AxiosHeaders (1.x, flat) or the plain object of axios 0.27, whose defaults sit in
 * `common` and per-method sections until axios flattens them.
 */

const ours = (value: unknown) => value === 'Bearer ours';

describe('authorizationOf', () => {
  it('no headers object: none', () => {
    for (const headers of [undefined, null, 'Authorization: x']) expect(authorizationOf(headers, 'get')).toBeUndefined();
  });

  it('the top level first, in any letter case; null or undefined count as absent, false counts', () => {
    expect(authorizationOf({ AUTHORIZATION: 'Bearer a' }, 'get')).toBe('Bearer a');
    expect(authorizationOf({ Authorization: 'Bearer a', common: { Authorization: 'Bearer b' } }, 'get')).toBe('Bearer a');
    expect(authorizationOf({ Authorization: false }, 'get')).toBe(false);
    expect(authorizationOf({ Authorization: null, common: { Authorization: 'Bearer b' } }, 'get')).toBe('Bearer b');
  });

  it('axios 0.27 before flattening: the method section, then common', () => {
    const headers = { common: { Authorization: 'Bearer common' }, post: { authorization: 'Bearer post' } };
    expect(authorizationOf(headers, 'post')).toBe('Bearer post');
    expect(authorizationOf(headers, 'get')).toBe('Bearer common');
    expect(authorizationOf(headers, undefined)).toBe('Bearer common');
    expect(authorizationOf({ common: 'not a section' }, 'get')).toBeUndefined();
  });

  // On a copy loaded in the test: the header's name and the common section's are module-level constants.
  it("the header's name and axios 0.27's common section, on a fresh copy", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- jest.isolateModules needs a synchronous load of a fresh copy
    const fresh = freshModule(() => require('../lib/axios/request-headers')) as typeof import('../lib/axios/request-headers');
    expect(fresh.authorizationOf({ Authorization: 'Bearer a', '': 'Bearer empty' }, 'get')).toBe('Bearer a');
    expect(fresh.authorizationOf({ common: { Authorization: 'Bearer c' }, '': { Authorization: 'Bearer empty' } }, 'get')).toBe('Bearer c');
  });

  it('an AxiosHeaders is flat: a property named like a section is not read as one', () => {
    const headers = new AxiosHeaders();
    (headers as unknown as Record<string, unknown>).common = { Authorization: 'Bearer stale' };
    expect(authorizationOf(headers, 'get')).toBeUndefined();
    headers.set('Authorization', 'Bearer set');
    expect(authorizationOf(headers, 'get')).toBe('Bearer set');
  });
});

describe('writing it', () => {
  it('setAuthorization replaces a key of another letter case rather than adding a second', () => {
    const headers: Record<string, unknown> = { authorization: 'Basic old', Accept: '*/*' };
    setAuthorization(headers, 'Bearer new');
    expect(headers).toEqual({ authorization: 'Bearer new', Accept: '*/*' });
    const empty: Record<string, unknown> = {};
    setAuthorization(empty, 'Bearer new');
    expect(empty).toEqual({ Authorization: 'Bearer new' });
  });

  it('removeAuthorization removes only an Authorization that is ours, in any letter case', () => {
    const headers: Record<string, unknown> = { AUTHORIZATION: 'Bearer ours', 'X-Copy': 'Bearer ours', Accept: '*/*' };
    removeAuthorization(headers, ours);
    expect(headers).toEqual({ 'X-Copy': 'Bearer ours', Accept: '*/*' });
    const theirs: Record<string, unknown> = { Authorization: 'Bearer theirs' };
    removeAuthorization(theirs, ours);
    expect(theirs).toEqual({ Authorization: 'Bearer theirs' });
    expect(() => removeAuthorization(undefined, ours)).not.toThrow();
  });

  it('removeHeader removes a header in any letter case, and nothing else', () => {
    const headers: Record<string, unknown> = { 'Content-Length': '3', 'content-length': '3', 'Content-Type': 'text/plain' };
    removeHeader(headers, 'content-length');
    expect(headers).toEqual({ 'Content-Type': 'text/plain' });
  });

  it('copyHeaders keeps every value, a suppressed (false) one too, in a new plain object', () => {
    const headers = new AxiosHeaders({ Accept: 'text/plain' });
    headers.set('User-Agent', false);
    const copy = copyHeaders(headers);
    expect(copy).not.toBe(headers);
    expect(copy).toEqual({ Accept: 'text/plain', 'User-Agent': false });
    expect(copyHeaders(undefined)).toEqual({});
  });
});
