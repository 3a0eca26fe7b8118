/*
 * Unicode normalization for comparisons: Vietnamese text arrives both
 * precomposed (NFC, "ệ" U+1EC7) and decomposed ("e" + U+0323 + U+0302, as some
 * keyboards and macOS produce), and `const`, `enum` and uniqueness must treat
 * the two as the same string.  Data and algorithms from utf8proc.
 */
#ifndef DVC_UNICODE_H
#define DVC_UNICODE_H

#include <stddef.h>

#include "dvc_buf.h"

/* Longest run of combining marks compared with canonical reordering; a
 * longer run (no real text has one) makes strings equal only byte for byte. */
#define DVC_NFC_MAX_MARKS 128

/* 1 if a and b (UTF-8) are canonically equivalent, i.e. NFC(a) == NFC(b);
 * 0 if not or if either is not valid UTF-8.  No allocation; ASCII strings are
 * compared with memcmp. */
int dvc_str_equal_nfc(const char *a, size_t alen, const char *b, size_t blen);

/* Appends NFC(s) to out (memory from out's allocator); 0, or -1 when s is not
 * valid UTF-8 or memory ran out. */
int dvc_nfc(const char *s, size_t len, dvc_buf_t *out);

#endif
