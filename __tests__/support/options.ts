import axios from 'axios';
import { InvalidOptionsError, oauth2, type OAuth2Options } from '../../lib';

/** The InvalidOptionsError that oauth2() throws for `options`; fails the test if it throws none or another. */
export function rejectionOf(options: unknown): InvalidOptionsError {
  try {
    oauth2(axios.create(), options as OAuth2Options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return error as InvalidOptionsError;
  }
  throw new Error('expected oauth2() to throw');
}
