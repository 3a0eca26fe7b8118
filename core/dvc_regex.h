/*
 * ECMA-262 regular expressions (JSON Schema `pattern`, `patternProperties`,
 * format "regex") run on PCRE2 in UTF mode.  The pattern is translated first,
 * where the two dialects differ: \d \w \s and . get ECMA's meaning, \cX,
 * \uXXXX (surrogate pairs combined), \u{...}, [^] and [] are rewritten, and
 * what ECMA-262 rejects in unicode mode (\a, (?i), (?P<n>), lone braces...)
 * is an error.  `$` matches only at the very end (PCRE2_DOLLAR_ENDONLY), the
 * match is a search (never anchored), JIT is used when PCRE2 has it.
 *
 * Valid ECMA-262 that PCRE2 10.42 refuses (so dvc_regex_compile() fails with
 * PCRE2's message): variable-length lookbehind, group names beyond ASCII
 * letters, digits, "_" and "$", a name used twice (ES2025 allows it in
 * different alternatives), quantifier bounds above 65535.
 *
 * A compiled regex is immutable and may be shared by every validation; each
 * run brings its own scratch (match data, JIT stack, limits).  The allocator
 * given to compile / scratch_new must outlive what it made.
 */
#ifndef DVC_REGEX_H
#define DVC_REGEX_H

#include <stddef.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"

/* Backtracking budget of one search: past it dvc_regex_search() gives -1
 * rather than hold a worker (catastrophic patterns like (a+)+$). */
#define DVC_REGEX_MATCH_LIMIT  1000000
#define DVC_REGEX_DEPTH_LIMIT  10000
#define DVC_REGEX_HEAP_LIMIT   (16 * 1024)   /* KiB */
/* Largest JIT stack, reserved (mmap) only by a search that needs more than
 * PCRE2's 32 KiB default; it bounds backtracking memory with JIT as the heap
 * limit does without. */
#define DVC_REGEX_JIT_STACK_MAX  (8 * 1024 * 1024)

/* Longest PCRE2 translation accepted: "\\S" becomes ~200 bytes, and format
 * "regex" translates instance strings, so the output is bounded. */
#define DVC_REGEX_MAX_TRANSLATION  (256 * 1024)

typedef struct dvc_regex dvc_regex_t;
typedef struct dvc_regex_scratch dvc_regex_scratch_t;

/* NULL and a message in err on a pattern that is not valid ECMA-262 (or that
 * PCRE2 cannot run, such as a variable-length lookbehind). */
dvc_regex_t *dvc_regex_compile(const dvc_alloc_t *a, const char *pat, size_t len,
                               char *err, size_t errlen);
void dvc_regex_free(const dvc_alloc_t *a, dvc_regex_t *re);

dvc_regex_scratch_t *dvc_regex_scratch_new(const dvc_alloc_t *a);
void dvc_regex_scratch_free(const dvc_alloc_t *a, dvc_regex_scratch_t *s);

/* 1 if the pattern matches somewhere in subject (valid UTF-8), 0 if not,
 * -1 when a limit was hit or the subject is not UTF-8. */
int dvc_regex_search(const dvc_regex_t *re, dvc_regex_scratch_t *s,
                     const char *subject, size_t len);

/* The same for a subject already known to be valid UTF-8 (a string yajl
 * checked): no second UTF-8 check. */
int dvc_regex_search_utf8(const dvc_regex_t *re, dvc_regex_scratch_t *s,
                          const char *subject, size_t len);

/* 1 if re is searched without PCRE2 (an anchored run of ASCII classes,
 * dvc_regex.c says which): for tests. */
int dvc_regex_is_simple(const dvc_regex_t *re);

/* The PCRE2 pattern for an ECMA-262 one, appended to out; 0, or -1 with a
 * message in err.  Exposed for tests and for `dvc` diagnostics. */
int dvc_regex_translate(const char *pat, size_t len, dvc_buf_t *out,
                        char *err, size_t errlen);

/* 1 if pat is a valid ECMA-262 pattern (format "regex").  Unlike
 * dvc_regex_compile() it accepts what is valid ECMA-262 but beyond PCRE2
 * (variable-length lookbehind).  Memory is temporary, on a. */
int dvc_regex_valid(const dvc_alloc_t *a, const char *pat, size_t len);

#endif
