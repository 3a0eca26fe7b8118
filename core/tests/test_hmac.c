/*
 * Event signatures.  The expected MACs were computed independently with the
 * openssl command line, e.g. (KEY = the 64 hex characters of K1 below):
 *
 *   printf '%s' '{"id":"evt-1","type":"accept"}' > ev.json
 *   printf '%s\nPOST\n%s\n' 1795000000 \
 *       /dvc/v1/dossiers/000.00.10.H47-261121-0001/events \
 *     | cat - ev.json | openssl dgst -sha256 -hmac "$KEY"
 *   -> 81ed57a312ef3b032a24c78d45b5bd90bb410c9b941c41aed2763b68438ebd67
 *   same with K2 -> a10fb6594ce8394500a0fef767a60330d263cfa8cb09bd8ee396d7da1d44f8dd
 *   K1, empty body -> 552c120a3ee76718e977fa0447f4fe6b80bd8ecac0b896d5cfe95b0f5aab9ac4
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_hmac.h"

#define S(x) x, sizeof(x) - 1

#define K1     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define K2     "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define K3     "a-third-key-that-signs-nothing-here-0000000000"
#define TS     "1795000000"
#define NOW    INT64_C(1795000000)
#define TARGET "/dvc/v1/dossiers/000.00.10.H47-261121-0001/events"
#define BODY   "{\"id\":\"evt-1\",\"type\":\"accept\"}"
#define SIG1   "v1=81ed57a312ef3b032a24c78d45b5bd90bb410c9b941c41aed2763b68438ebd67"
#define SIG2   "v1=a10fb6594ce8394500a0fef767a60330d263cfa8cb09bd8ee396d7da1d44f8dd"
#define SIGE   "v1=552c120a3ee76718e977fa0447f4fe6b80bd8ecac0b896d5cfe95b0f5aab9ac4"

static void
load(dvc_hmac_key_t *k, const char *text, const char *name)
{
    char  err[256];

    assert_int_equal(dvc_hmac_key_load(&dvc_alloc_std, text, strlen(text),
                                       name, k, err, sizeof(err)), 0);
}

static int
check(dvc_hmac_key_t *keys, size_t n, int64_t now, const char *ts,
      const char *sig, const char *body, size_t *which)
{
    return dvc_sig_check(&dvc_alloc_std, keys, n, now, ts, ts ? strlen(ts) : 0,
                         sig, sig ? strlen(sig) : 0, S("POST"), S(TARGET),
                         body, strlen(body), which);
}

static void
test_vector(void **state)
{
    size_t          which = 99;
    dvc_hmac_key_t  k[3];

    (void) state;
    load(&k[0], K1 "\n", "current");    /* the file's newline is not key */
    load(&k[1], K2, "next");
    load(&k[2], K3, "spare");
    assert_int_equal(k[0].len, 64);

    assert_int_equal(check(k, 1, NOW, TS, SIG1, BODY, &which), DVC_SIG_OK);
    assert_int_equal(which, 0);
    assert_int_equal(check(k, 1, NOW, TS, SIGE, "", &which), DVC_SIG_OK);

    /* rotation: a signature under the second key, with both configured */
    assert_int_equal(check(k, 2, NOW, TS, SIG2, BODY, &which), DVC_SIG_OK);
    assert_int_equal(which, 1);
    assert_int_equal(check(k, 3, NOW, TS, SIG2, BODY, &which), DVC_SIG_OK);
    assert_int_equal(which, 1);
    /* the key was removed: refused */
    assert_int_equal(check(k, 1, NOW, TS, SIG2, BODY, NULL), DVC_SIG_INVALID);
    assert_int_equal(check(&k[2], 1, NOW, TS, SIG1, BODY, NULL),
                     DVC_SIG_INVALID);

    /* one byte of the body, the path, the method or the timestamp changed */
    assert_int_equal(check(k, 2, NOW, TS, SIG1, "{\"id\":\"evt-2\",\"type\":"
                           "\"accept\"}", NULL), DVC_SIG_INVALID);
    assert_int_equal(check(k, 2, NOW, "1795000001", SIG1, BODY, NULL),
                     DVC_SIG_INVALID);
    assert_int_equal(dvc_sig_check(&dvc_alloc_std, k, 1, NOW, S(TS), S(SIG1),
                                   S("PUT"), S(TARGET), S(BODY), NULL),
                     DVC_SIG_INVALID);
    assert_int_equal(dvc_sig_check(&dvc_alloc_std, k, 1, NOW, S(TS), S(SIG1),
                                   S("POST"), S(TARGET "?x=1"), S(BODY), NULL),
                     DVC_SIG_INVALID);

    dvc_hmac_key_free(&dvc_alloc_std, &k[0]);
    dvc_hmac_key_free(&dvc_alloc_std, &k[1]);
    dvc_hmac_key_free(&dvc_alloc_std, &k[2]);
}

/* The body fed in pieces gives the same MAC as whole. */
static void
test_incremental(void **state)
{
    size_t          i, cut, which;
    int64_t         ts;
    unsigned char   mac[DVC_HMAC_LEN];
    dvc_sig_ctx_t  *c;
    dvc_hmac_key_t  k[2];

    (void) state;
    load(&k[0], K2, "a");
    load(&k[1], K1, "b");
    assert_int_equal(dvc_sig_parse(S(TS), S(SIG1), &ts, mac), DVC_SIG_OK);
    assert_int_equal(ts, NOW);

    for (cut = 0; cut <= sizeof(BODY) - 1; cut++) {
        c = dvc_sig_begin(&dvc_alloc_std, k, 2, S(TS), S("POST"), S(TARGET));
        assert_non_null(c);
        /* a byte at a time up to the cut, then the rest */
        for (i = 0; i < cut; i++) {
            assert_int_equal(dvc_sig_update(c, BODY + i, 1), 0);
        }
        assert_int_equal(dvc_sig_update(c, BODY + cut, sizeof(BODY) - 1 - cut),
                         0);
        which = 99;
        assert_int_equal(dvc_sig_finish(c, mac, &which), DVC_SIG_OK);
        assert_int_equal(which, 1);
        dvc_sig_free(c);
    }

    dvc_hmac_key_free(&dvc_alloc_std, &k[0]);
    dvc_hmac_key_free(&dvc_alloc_std, &k[1]);
}

static void
test_headers(void **state)
{
    int64_t         ts;
    unsigned char   mac[DVC_HMAC_LEN];
    dvc_hmac_key_t  k;

    (void) state;
    load(&k, K1, "k");

    /* missing or malformed: signature_missing, before any MAC */
    assert_int_equal(check(&k, 1, NOW, NULL, SIG1, BODY, NULL), DVC_SIG_MISSING);
    assert_int_equal(check(&k, 1, NOW, TS, NULL, BODY, NULL), DVC_SIG_MISSING);
    assert_int_equal(check(&k, 1, NOW, "", SIG1, BODY, NULL), DVC_SIG_MISSING);
    assert_int_equal(check(&k, 1, NOW, "-1795000000", SIG1, BODY, NULL),
                     DVC_SIG_MISSING);
    assert_int_equal(check(&k, 1, NOW, "1795000000.5", SIG1, BODY, NULL),
                     DVC_SIG_MISSING);
    assert_int_equal(check(&k, 1, NOW, "9999999999999999999", SIG1, BODY,
                           NULL), DVC_SIG_MISSING);
    assert_int_equal(check(&k, 1, NOW, TS, SIG1 + 3, BODY, NULL),
                     DVC_SIG_MISSING);   /* no "v1=" */
    assert_int_equal(check(&k, 1, NOW, TS, "v2=81ed57a312ef3b032a24c78d45b5bd"
                           "90bb410c9b941c41aed2763b68438ebd67", BODY, NULL),
                     DVC_SIG_MISSING);
    assert_int_equal(check(&k, 1, NOW, TS, "v1=81ED57A312EF3B032A24C78D45B5BD"
                           "90BB410C9B941C41AED2763B68438EBD67", BODY, NULL),
                     DVC_SIG_MISSING);   /* lowercase hex only */
    assert_int_equal(check(&k, 1, NOW, TS, "v1=81ed57a3", BODY, NULL),
                     DVC_SIG_MISSING);
    assert_int_equal(check(&k, 1, NOW, TS, SIG1 "00", BODY, NULL),
                     DVC_SIG_MISSING);
    assert_int_equal(dvc_sig_parse(S(TS), S("v1=81ed57a312ef3b032a24c78d45b5bd"
                     "90bb410c9b941c41aed2763b68438ebd6g"), &ts, mac),
                     DVC_SIG_MISSING);

    /* the window: 300 s either side, inclusive */
    assert_int_equal(check(&k, 1, NOW + 300, TS, SIG1, BODY, NULL), DVC_SIG_OK);
    assert_int_equal(check(&k, 1, NOW - 300, TS, SIG1, BODY, NULL), DVC_SIG_OK);
    assert_int_equal(check(&k, 1, NOW + 301, TS, SIG1, BODY, NULL),
                     DVC_SIG_STALE);
    assert_int_equal(check(&k, 1, NOW - 301, TS, SIG1, BODY, NULL),
                     DVC_SIG_STALE);
    /* stale is said before the MAC is looked at */
    assert_int_equal(check(&k, 1, NOW + 3600, TS, SIGE, BODY, NULL),
                     DVC_SIG_STALE);

    assert_string_equal(dvc_sig_result_code(DVC_SIG_MISSING),
                        "signature_missing");
    assert_string_equal(dvc_sig_result_code(DVC_SIG_STALE), "signature_stale");
    assert_string_equal(dvc_sig_result_code(DVC_SIG_INVALID),
                        "signature_invalid");
    assert_string_equal(dvc_sig_result_code(DVC_SIG_AMBIGUOUS),
                        "signature_ambiguous");

    dvc_hmac_key_free(&dvc_alloc_std, &k);
}

static void
test_key_load(void **state)
{
    char            err[256];
    dvc_hmac_key_t  k;

    (void) state;
    /* 31 bytes: too short, with the command that makes a good one */
    assert_int_equal(dvc_hmac_key_load(&dvc_alloc_std,
                     S("0123456789abcdef0123456789abcde"), "k", &k, err,
                     sizeof(err)), -1);
    assert_non_null(strstr(err, "openssl rand -hex 32"));
    /* trailing whitespace does not count towards the 32 */
    assert_int_equal(dvc_hmac_key_load(&dvc_alloc_std,
                     S("0123456789abcdef0123456789abcde \r\n\t"), "k", &k, err,
                     sizeof(err)), -1);
    assert_int_equal(dvc_hmac_key_load(&dvc_alloc_std,
                     S("0123456789abcdef0123456789abcdef"), "k", &k, err,
                     sizeof(err)), 0);
    assert_int_equal(k.len, 32);
    assert_string_equal(k.name, "k");
    dvc_hmac_key_free(&dvc_alloc_std, &k);
    /* leading whitespace is the key's own */
    assert_int_equal(dvc_hmac_key_load(&dvc_alloc_std,
                     S(" 0123456789abcdef0123456789abcdef\n"), "k", &k, err,
                     sizeof(err)), 0);
    assert_int_equal(k.len, 33);
    dvc_hmac_key_free(&dvc_alloc_std, &k);
    assert_int_equal(dvc_hmac_key_load(&dvc_alloc_std,
                     "0123456789abcdef\0" "0123456789abcdef0", 34, "k", &k, err,
                     sizeof(err)), -1);
    assert_int_equal(dvc_hmac_key_load(&dvc_alloc_std, S(K1), "bad name", &k,
                     err, sizeof(err)), -1);
    assert_int_equal(dvc_hmac_key_load(&dvc_alloc_std, S(K1), "", &k, err,
                     sizeof(err)), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_key_load),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
