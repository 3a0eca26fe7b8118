/*
 * Exact arithmetic on JSON number texts (RFC 8259 section 6), for the
 * validator's numeric keywords.  Nothing goes through double: integers past
 * 2^53, long decimals, 1e999 and -0 are all compared exactly, and a hostile
 * exponent (1e1000000000, or one with a thousand digits) costs time linear in
 * the length of the text, never in the magnitude of the number.
 *
 * Every function expects a text that passed dvc_num_valid(); on any other text
 * they return 0 (and dvc_num_cmp treats it as equal), never crash.
 */
#ifndef DVC_NUMBER_H
#define DVC_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* Longest significand (digits without leading or trailing zeros) accepted as
 * a multipleOf divisor.  Schemas use short ones; a compiler should reject a
 * longer one with dvc_num_divisor_ok() rather than let it pass silently. */
#define DVC_NUM_DIVISOR_MAX_DIGITS  1024

/* 1 if s is exactly one JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
int dvc_num_valid(const char *s, size_t len);

/* 1 with *v when s is an integer of at most 18 digits without fraction or
 * exponent (what most bounds and values are), else 0. */
int dvc_num_plain_int(const char *s, size_t len, int64_t *v);

/* -1, 0 or 1 as a < b, a == b, a > b (so -0 == 0 and 1.0 == 1e0 == 10e-1). */
int dvc_num_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* 1 if the value is mathematically an integer: 1.0, 1e2, -0, 1e999 are. */
int dvc_num_is_integer(const char *s, size_t len);

/* 1 if v / d is an integer, exactly (0.0075 multipleOf 0.0001 is true).
 * d must be > 0 and pass dvc_num_divisor_ok(); otherwise 0. */
int dvc_num_multiple_of(const char *v, size_t vlen, const char *d, size_t dlen);

/* 1 if d is a valid, strictly positive number whose significand is short
 * enough for dvc_num_multiple_of() (what `multipleOf` requires of a schema). */
int dvc_num_divisor_ok(const char *d, size_t dlen);

#endif
