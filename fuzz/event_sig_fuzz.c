/*
 * libFuzzer target: a back-end event as the events endpoint sees it.  The
 * input is "TIMESTAMP\nSIGNATURE\nTARGET\nBODY" (the two headers, the
 * request target, the body); it goes to
 *
 *   - dvc_sig_check under two keys at a fixed "now" (1795000000), and the
 *     same MAC fed as the endpoint feeds it: begin, the body in two pieces cut
 *     at a byte the input picks, finish.  Oracles: never an internal failure;
 *     whole and split agree; an accepted signature equals OpenSSL's one-shot
 *     HMAC() of the signed bytes under the key said to match; and the right
 *     signature of these bytes (computed here) is accepted when the timestamp
 *     is fresh, so the OK path is reached whatever the fuzzer wrote.
 *   - dvc_event_parse of the body: a refusal has an HTTP status, a code and
 *     both messages; an accepted event renders its history entry.
 *
 * The seeds (fuzz/corpus/event_sig/) are events signed with key 1 below
 * (the vector of core/tests/test_hmac.c and more types).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dvc_buf.h"
#include "dvc_hmac.h"
#include "dvc_lifecycle.h"

#define NOW  INT64_C(1795000000)

static const char  *secrets[2] = {
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
};

static dvc_hmac_key_t  keys[2];


static void
load(void)
{
    char  err[256];
    int   i;

    for (i = 0; i < 2; i++) {
        if (dvc_hmac_key_load(&dvc_alloc_std, secrets[i], strlen(secrets[i]),
                              i ? "next" : "current", &keys[i], err,
                              sizeof(err)) != 0)
        {
            fprintf(stderr, "key: %s\n", err);
            abort();
        }
    }
}


/* the next line of [*p, end): its start and length; *p moves past it */
static int
line(const char **p, const char *end, const char **s, size_t *len)
{
    const char  *nl = memchr(*p, '\n', end - *p);

    if (nl == NULL) {
        return -1;
    }

    *s = *p;
    *len = nl - *p;
    *p = nl + 1;
    return 0;
}


static void
reference(int k, const char *ts, size_t tl, const char *target, size_t gl,
    const char *body, size_t bl, unsigned char mac[DVC_HMAC_LEN])
{
    unsigned int    n = 0;
    unsigned char  *signed_bytes;
    size_t          len = tl + 6 + gl + 1 + bl, o = 0;

    signed_bytes = malloc(len);
    if (signed_bytes == NULL) {
        abort();
    }

    memcpy(signed_bytes + o, ts, tl); o += tl;
    memcpy(signed_bytes + o, "\nPOST\n", 6); o += 6;
    memcpy(signed_bytes + o, target, gl); o += gl;
    signed_bytes[o++] = '\n';
    memcpy(signed_bytes + o, body, bl);

    if (HMAC(EVP_sha256(), secrets[k], (int) strlen(secrets[k]), signed_bytes,
             len, mac, &n) == NULL || n != DVC_HMAC_LEN)
    {
        abort();
    }

    free(signed_bytes);
}


static void
check_sig(const char *ts, size_t tl, const char *sig, size_t sl,
    const char *target, size_t gl, const char *body, size_t bl, size_t cut)
{
    int             whole, split;
    char            good[3 + 2 * DVC_HMAC_LEN + 1];
    size_t          which = 99, which2 = 99, i;
    int64_t         t;
    unsigned char   mac[DVC_HMAC_LEN], ref[DVC_HMAC_LEN];
    dvc_sig_ctx_t  *c;

    whole = dvc_sig_check(&dvc_alloc_std, keys, 2, NOW, ts, tl, sig, sl,
                          "POST", 4, target, gl, body, bl, &which);
    if (whole < 0) {
        fprintf(stderr, "internal failure\n");
        abort();
    }

    if (dvc_sig_parse(ts, tl, sig, sl, &t, mac) == DVC_SIG_OK
        && dvc_sig_fresh(t, NOW) == DVC_SIG_OK)
    {
        c = dvc_sig_begin(&dvc_alloc_std, keys, 2, ts, tl, "POST", 4, target,
                          gl);
        if (c == NULL) {
            abort();
        }

        cut = bl ? cut % (bl + 1) : 0;
        dvc_sig_update(c, body, cut);
        dvc_sig_update(c, body + cut, bl - cut);
        split = dvc_sig_finish(c, mac, &which2);
        dvc_sig_free(c);

        if (split != whole || (whole == DVC_SIG_OK && which != which2)) {
            fprintf(stderr, "whole %d (key %zu), split at %zu %d (key %zu)\n",
                    whole, which, cut, split, which2);
            abort();
        }

        if (whole == DVC_SIG_OK) {
            reference((int) which, ts, tl, target, gl, body, bl, ref);
            if (memcmp(ref, mac, DVC_HMAC_LEN) != 0) {
                fprintf(stderr, "accepted a MAC that is not HMAC()'s\n");
                abort();
            }
        }

        /* the right signature under key 2 is accepted */
        reference(1, ts, tl, target, gl, body, bl, ref);
        memcpy(good, "v1=", 3);
        for (i = 0; i < DVC_HMAC_LEN; i++) {
            snprintf(good + 3 + 2 * i, 3, "%02x", ref[i]);
        }

        which = 99;
        if (dvc_sig_check(&dvc_alloc_std, keys, 2, NOW, ts, tl, good,
                          sizeof(good) - 1, "POST", 4, target, gl, body, bl,
                          &which) != DVC_SIG_OK || which != 1)
        {
            fprintf(stderr, "a right signature refused\n");
            abort();
        }
    }
}


static void
check_event(const char *body, size_t bl)
{
    dvc_buf_t          b;
    dvc_event_t        ev;
    dvc_event_error_t  err;

    if (dvc_event_parse(&dvc_alloc_std, body, bl, NOW, &ev, &err) != 0) {
        if ((err.http != 400 && err.http != 422 && err.http != 500)
            || err.code == NULL || err.message_vi[0] == '\0'
            || err.message_en[0] == '\0')
        {
            fprintf(stderr, "a refusal without its reason\n");
            abort();
        }
        return;
    }

    if (ev.tr == NULL || ev.id_len == 0 || ev.actor == NULL) {
        fprintf(stderr, "an accepted event without type, id or actor\n");
        abort();
    }

    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_history_entry_json(&b, &ev, ev.tr->to > 0 ? ev.tr->to : 2);
    if (b.failed || b.len < 2 || b.data[0] != '{' || b.data[b.len - 1] != '}')
    {
        fprintf(stderr, "history entry not rendered\n");
        abort();
    }
    dvc_buf_free(&b);
    dvc_event_free(&dvc_alloc_std, &ev);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int   loaded;
    char        *in;
    const char  *p, *end, *ts, *sig, *target;
    size_t       tl, sl, gl, cut;

    if (!loaded) {
        load();
        loaded = 1;
    }

    in = malloc(size ? size : 1);           /* no NUL: overreads show */
    if (in == NULL) {
        return 0;
    }
    memcpy(in, data, size);

    p = in;
    end = in + size;
    cut = size ? (unsigned char) in[size - 1] * 7 : 0;

    if (line(&p, end, &ts, &tl) == 0 && line(&p, end, &sig, &sl) == 0
        && line(&p, end, &target, &gl) == 0)
    {
        check_sig(ts, tl, sig, sl, target, gl, p, end - p, cut);
        check_event(p, end - p);

    } else {
        /* no framing: the whole input is a body */
        check_event(in, size);
    }

    free(in);
    return 0;
}
