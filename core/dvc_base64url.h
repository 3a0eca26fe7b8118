/*
 * Strict base64url decoding (RFC 4648 section 5, no padding, as RFC 7515
 * section 2 uses it).  Strict because JWS input is untrusted: only the 64
 * alphabet characters, no '=', no whitespace, no length that leaves a lone
 * character, and the unused low bits of the last character must be zero, so
 * every byte string has exactly one accepted encoding.
 */
#ifndef DVC_BASE64URL_H
#define DVC_BASE64URL_H

#include <stddef.h>

/* Bytes that decoding len characters yields (if they are valid). */
#define DVC_BASE64URL_DECODED_LEN(len)  ((len) / 4 * 3 + ((len) % 4 ? (len) % 4 - 1 : 0))

/*
 * Decodes s[0..len) into out (room for DVC_BASE64URL_DECODED_LEN(len)
 * bytes).  Returns the number of bytes written, or -1 if s is not canonical
 * base64url; *bad (if not NULL) gets the offset of the first offending
 * character (len for a bad length).
 */
long dvc_base64url_decode(const char *s, size_t len, unsigned char *out,
    size_t *bad);

#endif
