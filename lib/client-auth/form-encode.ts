/**
 * application/x-www-form-urlencoded encoding of one value, over its UTF-8 bytes
 * (RFC 6749 Appendix B): the WHATWG urlencoded serializer, which keeps only
 * ALPHA / DIGIT / "*" / "-" / "." / "_" and turns a space into "+".
 */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
