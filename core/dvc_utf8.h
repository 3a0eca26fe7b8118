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

/*
 * The same check over a byte stream that arrives in buffers (a request
 * body), for a parser that must read only valid UTF-8: a sequence cut by a
 * buffer's end is held back, and judged (then handed over) when the rest
 * comes.  Zeroed (or dvc_utf8_stream_reset) before the stream's first byte.
 */
typedef struct {
    size_t         lead;       /* stream offset of the cut sequence */
    unsigned char  part[4];    /* its bytes so far */
    unsigned char  have;       /* how many; 0: nothing held */
    unsigned char  joined[4];  /* the cut sequence the last feed completed */
} dvc_utf8_stream_t;

/* What a feed found: the bytes a parser may read now, in the stream's
 * order, are the `joined` bytes of u->joined (a sequence the previous
 * buffer cut, completed by this one's first bytes), then p[from, to). */
typedef struct {
    size_t  joined;
    size_t  from, to;
    size_t  at;        /* on -1: stream offset of the first invalid sequence
                          (before base when it began in an earlier buffer) */
} dvc_utf8_span_t;

void dvc_utf8_stream_reset(dvc_utf8_stream_t *u);
/* Checks the next len bytes at p, which start at stream offset base.
 * 0 if they are valid so far; -1 at the first invalid sequence (the span
 * then ends before it).  A sequence p's end cuts is left out of the span. */
int  dvc_utf8_stream_feed(dvc_utf8_stream_t *u, const unsigned char *p,
                          size_t len, size_t base, dvc_utf8_span_t *span);
/* The stream ended: 0, or -1 with *at the offset of a sequence it cut. */
int  dvc_utf8_stream_end(const dvc_utf8_stream_t *u, size_t *at);

#endif
