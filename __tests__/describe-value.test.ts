import { describeValue } from '../lib/describe-value';

describe('describeValue: what a bad setting was, in an error message', () => {
  it.each([
    ['a string, quoted', 'https://api', '"https://api"'],
    ['an empty string, quoted', '', '""'],
    ['a number as written', 1.5, '1.5'],
    ['NaN', Number.NaN, 'NaN'],
    ['a boolean', false, 'false'],
    ['a bigint', 10n, '10'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an array, by kind only', ['x'], 'an array'],
    ['an object, by kind only', { secret: 'x' }, 'an object'],
    ['a function, by kind only', () => 'x', 'a function'],
    ['a symbol, by kind only', Symbol('x'), 'a symbol'],
  ])('%s', (_case, value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });
});
