/* UTF-8 checks (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF). */
#ifndef DVC_UTF8_H
#define DVC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the valid UTF-8 sequence at s, or 0 if it is not valid. */
size_t dvc_utf8_valid_prefix(const unsigned char *s, size_t len);
/* Offset of the first byte that does not start a valid sequence; len if
 * all of s is valid UTF-8 (the byte an error message points at). */
size_t dvc_utf8_invalid_at(const unsigned char *s, size_t len);
/* 1 if all of s is valid UTF-8. */
int    dvc_utf8_valid(const unsigned char *s, size_t len);
/* Decodes one valid sequence; returns its length, 0 if invalid. */
size_t dvc_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* Number of code points in valid UTF-8 s. */
size_t dvc_utf8_count(const unsigned char *s, size_t len);

#endif
