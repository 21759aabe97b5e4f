import axios from 'axios';
import { InvalidOptionsError, oauth2, type OAuth2Options } from '../../lib';

/** The InvalidOptionsError that `action` throws; fails the test if it throws none or another. */
export function invalidOptionsErrorOf(action: () => unknown): InvalidOptionsError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return error as InvalidOptionsError;
  }
  throw new Error('expected an InvalidOptionsError');
}

/** The InvalidOptionsError that oauth2() throws for `options`; fails the test if it throws none or another. */
export function rejectionOf(options: unknown): InvalidOptionsError {
  return invalidOptionsErrorOf(() => oauth2(axios.create(), options as OAuth2Options));
}
