/* Streaming dossier scan: the facts the gateway takes from a body. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_dossier_scan.h"
#include "dvc_utf8.h"

#define FIXTURE "../shared/bench/fixtures/dossier-valid.json"
#define S(x) x, sizeof(x) - 1

static char *
load_fixture(size_t *len)
{
    FILE  *f = fopen(FIXTURE, "rb");
    char  *text;
    long   n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    text = malloc((size_t) n);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t) n, f), (size_t) n);
    fclose(f);
    *len = (size_t) n;
    return text;
}

static void
assert_str(const char *got, size_t got_len, const char *want)
{
    assert_non_null(got);
    assert_string_equal(got, want);        /* also checks the NUL */
    assert_int_equal(got_len, strlen(want));
}

/* What the shared fixture says, checked field by field. */
static void
assert_fixture_facts(const dvc_dossier_scan_t *s)
{
    dvc_dossier_facts_t  f;
    const char          *p;
    size_t               plen;

    p = dvc_dossier_scan_procedure(s, &plen);
    assert_str(p, plen, "1.000001");
    dvc_dossier_scan_facts(s, &f);
    assert_str(f.delivery, f.delivery_len, "online");
    assert_str(f.applicant_name, f.applicant_name_len, "Nguyễn Văn Hùng");
    assert_str(f.applicant_phone, f.applicant_phone_len, "0912345678");
    assert_str(f.applicant_email, f.applicant_email_len,
               "hung.nguyen@example.vn");
    assert_int_equal(f.ndocuments, 2);
    assert_str(f.documents[0].kind, f.documents[0].kind_len,
               "birth_medical_certificate");
    assert_str(f.documents[0].sha256, f.documents[0].sha256_len,
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    assert_int_equal(f.documents[0].size, 284113);
    assert_str(f.documents[0].media_type, f.documents[0].media_type_len,
               "application/pdf");
    assert_str(f.documents[1].kind, f.documents[1].kind_len,
               "parents_marriage_certificate");
    assert_str(f.documents[1].sha256, f.documents[1].sha256_len,
        "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752");
    assert_int_equal(f.documents[1].size, 912044);
    assert_str(f.documents[1].media_type, f.documents[1].media_type_len,
               "image/jpeg");
}

/* Feeds text in pieces of its own heap copy, freed at once, so ASan sees
 * any value that points into the caller's buffer instead of a copy. */
static int
feed_copy(dvc_dossier_scan_t *s, const char *text, size_t len)
{
    char  *copy = malloc(len ? len : 1);
    int    rc;

    assert_non_null(copy);
    memcpy(copy, text, len);
    rc = dvc_dossier_scan_feed(s, copy, len);
    free(copy);
    return rc;
}

static dvc_dossier_scan_t *
scan_text(const char *text, size_t len, int *rc)
{
    dvc_dossier_scan_t  *s = dvc_dossier_scan_new(&dvc_alloc_std);

    assert_non_null(s);
    *rc = feed_copy(s, text, len);
    if (*rc == 0) {
        *rc = dvc_dossier_scan_finish(s);
    }
    return s;
}

/* Scans text whole and expects -1 with this message and offset. */
static void
assert_rejected(const char *text, size_t len, const char *msg, size_t offset)
{
    dvc_dossier_scan_t  *s;
    const char          *e;
    size_t               off = (size_t) -1;
    int                  rc;

    s = scan_text(text, len, &rc);
    assert_int_equal(rc, -1);
    e = dvc_dossier_scan_error(s, &off);
    assert_non_null(e);
    assert_string_equal(e, msg);
    assert_int_equal(off, offset);
    /* sticky: no more input is taken */
    assert_int_equal(dvc_dossier_scan_feed(s, S("{}")), -1);
    assert_int_equal(dvc_dossier_scan_finish(s), -1);
    dvc_dossier_scan_free(s);
}

static void
test_fixture_whole(void **state)
{
    dvc_dossier_scan_t  *s;
    size_t               len;
    char                *text = load_fixture(&len);
    int                  rc;

    (void) state;
    s = scan_text(text, len, &rc);
    assert_int_equal(rc, 0);
    assert_null(dvc_dossier_scan_error(s, NULL));
    assert_fixture_facts(s);
    dvc_dossier_scan_free(s);
    free(text);
}

static void
test_fixture_every_split(void **state)
{
    dvc_dossier_scan_t  *s;
    size_t               len, i;
    char                *text = load_fixture(&len);

    (void) state;
    s = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(s);
    for (i = 0; i <= len; i++) {
        assert_int_equal(feed_copy(s, text, i), 0);
        assert_int_equal(feed_copy(s, text + i, len - i), 0);
        assert_int_equal(dvc_dossier_scan_finish(s), 0);
        assert_fixture_facts(s);
        dvc_dossier_scan_reset(s);
    }
    /* one byte at a time, and three-way splits around the documents */
    for (i = 0; i < len; i++) {
        assert_int_equal(feed_copy(s, text + i, 1), 0);
    }
    assert_int_equal(dvc_dossier_scan_finish(s), 0);
    assert_fixture_facts(s);
    dvc_dossier_scan_reset(s);
    for (i = 1; i + 64 < len; i += 7) {
        assert_int_equal(feed_copy(s, text, i), 0);
        assert_int_equal(feed_copy(s, text + i, 64), 0);
        assert_int_equal(feed_copy(s, text + i + 64, len - i - 64), 0);
        assert_int_equal(dvc_dossier_scan_finish(s), 0);
        assert_fixture_facts(s);
        dvc_dossier_scan_reset(s);
    }
    dvc_dossier_scan_free(s);
    free(text);
}

static void
test_procedure_early(void **state)
{
    dvc_dossier_scan_t  *s;
    size_t               len, i, plen, end;
    char                *text = load_fixture(&len);
    const char          *p, *first = NULL;

    (void) state;
    /* the byte just past the closing quote of the procedure's value */
    p = strstr(text, "\"1.000001\"");
    assert_non_null(p);
    end = (size_t) (p - text) + sizeof("\"1.000001\"") - 1;
    assert_true(end < len / 10);     /* it comes first in the fixture */

    s = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(s);
    for (i = 0; i < len; i++) {
        assert_int_equal(feed_copy(s, text + i, 1), 0);
        p = dvc_dossier_scan_procedure(s, &plen);
        if (i + 1 < end) {
            assert_null(p);
        } else if (i + 1 == end) {
            assert_str(p, plen, "1.000001");
            first = p;
        } else {
            assert_ptr_equal(p, first);     /* stable while more arrives */
        }
    }
    assert_int_equal(dvc_dossier_scan_finish(s), 0);
    assert_ptr_equal(dvc_dossier_scan_procedure(s, NULL), first);
    assert_string_equal(first, "1.000001");
    dvc_dossier_scan_free(s);
    free(text);
}

static void
test_nested_members_ignored(void **state)
{
    static const char    body[] =
        "{\"form\":{\"procedure\":\"2.000488\",\"delivery\":\"postal\","
        "\"documents\":[{\"kind\":\"fake\"}],"
        "\"applicant\":{\"full_name\":\"Kẻ Giả\"}},"
        "\"applicant\":{\"address\":{\"full_name\":\"Phố\",\"phone\":\"1\"},"
        "\"relatives\":[{\"email\":\"x@y.vn\"}]},"
        "\"documents\":[{\"file\":{\"kind\":\"inner\",\"size\":5}}],"
        "\"procedure\":\"1.000001\"}";
    dvc_dossier_scan_t  *s;
    dvc_dossier_facts_t  f;
    const char          *p;
    size_t               plen;
    int                  rc;

    (void) state;
    s = scan_text(body, sizeof(body) - 1, &rc);
    assert_int_equal(rc, 0);
    p = dvc_dossier_scan_procedure(s, &plen);
    assert_str(p, plen, "1.000001");
    dvc_dossier_scan_facts(s, &f);
    assert_null(f.delivery);
    assert_null(f.applicant_name);
    assert_null(f.applicant_phone);
    assert_null(f.applicant_email);
    assert_int_equal(f.ndocuments, 1);
    assert_null(f.documents[0].kind);
    assert_int_equal(f.documents[0].size, -1);
    dvc_dossier_scan_free(s);

    /* after the documents, a "kind" deeper in another member is not the
     * last document's, nor one inside a document's own members or in an
     * array item */
    s = scan_text(S("{\"documents\":[{\"kind\":\"a\",\"meta\":{\"kind\":\"b\"}},"
                    "[{\"kind\":\"c\"}]],"
                    "\"applicant\":{\"address\":{\"kind\":\"evil\",\"size\":9}},"
                    "\"form\":{\"x\":{\"kind\":\"evil\"}}}"), &rc);
    assert_int_equal(rc, 0);
    dvc_dossier_scan_facts(s, &f);
    assert_int_equal(f.ndocuments, 1);
    assert_str(f.documents[0].kind, f.documents[0].kind_len, "a");
    assert_int_equal(f.documents[0].size, -1);
    dvc_dossier_scan_free(s);

    /* a body that is not an object has no members at all */
    s = scan_text(S("[{\"procedure\":\"1.000001\",\"delivery\":\"online\"}]"), &rc);
    assert_int_equal(rc, 0);
    assert_null(dvc_dossier_scan_procedure(s, NULL));
    dvc_dossier_scan_facts(s, &f);
    assert_null(f.delivery);
    dvc_dossier_scan_free(s);
}

static void
test_channel(void **state)
{
    dvc_dossier_scan_t  *s;
    dvc_dossier_facts_t  f;
    int                  rc;

    (void) state;
    s = scan_text(S("{\"procedure\":\"1.000001\",\"channel\":\"counter\","
                    "\"form\":{\"channel\":\"postal\"}}"), &rc);
    assert_int_equal(rc, 0);
    dvc_dossier_scan_facts(s, &f);
    assert_str(f.channel, f.channel_len, "counter");
    dvc_dossier_scan_free(s);

    /* only the top level counts; absent or not a string: NULL */
    s = scan_text(S("{\"form\":{\"channel\":\"postal\"},\"channel\":7}"),
                  &rc);
    assert_int_equal(rc, 0);
    dvc_dossier_scan_facts(s, &f);
    assert_null(f.channel);
    dvc_dossier_scan_free(s);

    /* the channel decides how a dossier is recorded: never twice */
    assert_rejected(S("{\"channel\":\"online\",\"channel\":\"counter\"}"),
                    "duplicate key \"channel\"", 28);
}

static void
test_procedure_not_string(void **state)
{
    static const char *const  bodies[] = {
        "{\"procedure\":1000001}",
        "{\"procedure\":null}",
        "{\"procedure\":true}",
        "{\"procedure\":[\"1.000001\"]}",
        "{\"procedure\":{\"code\":\"1.000001\"}}",
        "{\"delivery\":\"online\"}",
        "\"procedure\"",
        "{}",
    };
    dvc_dossier_scan_t  *s;
    dvc_dossier_facts_t  f;
    size_t               i, plen = 7;
    int                  rc;

    (void) state;
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        s = scan_text(bodies[i], strlen(bodies[i]), &rc);
        assert_int_equal(rc, 0);
        assert_null(dvc_dossier_scan_procedure(s, &plen));
        assert_int_equal(plen, 0);
        dvc_dossier_scan_facts(s, &f);
        assert_int_equal(f.ndocuments, 0);
        assert_null(f.documents);
        dvc_dossier_scan_free(s);
    }
    /* a non-string procedure still counts as the procedure member */
    assert_rejected(S("{\"procedure\":7,\"procedure\":\"1.000001\"}"),
                    "duplicate key \"procedure\"", 25);
}

static void
test_documents_members(void **state)
{
    static const char    body[] =
        "{\"documents\":[{\"kind\":\"cmnd\"}, {}, 5, \"x\", null, true, [1],"
        " {\"sha256\":7,\"size\":\"12\",\"media_type\":null,\"kind\":[\"a\"]},"
        " {\"size\":1e3}, {\"size\":1000.0}, {\"size\":12500E-1},"
        " {\"size\":2.5}, {\"size\":-3}, {\"size\":-0},"
        " {\"size\":9223372036854775807}, {\"size\":9223372036854775808},"
        " {\"size\":1e19}, {\"size\":1e999999999999},"
        " {\"media_type\":\"image/png\",\"sha256\":\"ab\"}]}";
    static const long long  sizes[] = {
        -1, -1, -1, 1000, 1000, 1250, -1, -1, 0,
        9223372036854775807LL, -1, -1, -1, -1
    };
    dvc_dossier_scan_t  *s;
    dvc_dossier_facts_t  f;
    size_t               i;
    int                  rc;

    (void) state;
    s = scan_text(body, sizeof(body) - 1, &rc);
    assert_int_equal(rc, 0);
    dvc_dossier_scan_facts(s, &f);
    /* only objects are documents: 5, "x", null, true, [1] are not */
    assert_int_equal(f.ndocuments, sizeof(sizes) / sizeof(sizes[0]));
    for (i = 0; i < f.ndocuments; i++) {
        assert_int_equal(f.documents[i].size, sizes[i]);
    }
    assert_str(f.documents[0].kind, f.documents[0].kind_len, "cmnd");
    assert_null(f.documents[0].sha256);
    assert_null(f.documents[0].media_type);
    assert_null(f.documents[1].kind);
    assert_null(f.documents[2].kind);        /* ["a"] */
    assert_int_equal(f.documents[2].kind_len, 0);
    assert_null(f.documents[2].sha256);      /* 7 */
    assert_null(f.documents[2].media_type);  /* null */
    assert_null(f.documents[13].kind);
    assert_str(f.documents[13].sha256, f.documents[13].sha256_len, "ab");
    assert_str(f.documents[13].media_type, f.documents[13].media_type_len,
               "image/png");
    dvc_dossier_scan_free(s);

    /* "documents" that is not an array has no items */
    s = scan_text(S("{\"documents\":{\"kind\":\"cmnd\",\"size\":1}}"), &rc);
    assert_int_equal(rc, 0);
    dvc_dossier_scan_facts(s, &f);
    assert_int_equal(f.ndocuments, 0);
    dvc_dossier_scan_free(s);
}

static void
test_duplicate_keys(void **state)
{
    dvc_dossier_scan_t  *s;
    size_t               off;
    int                  rc;

    (void) state;
    /* offsets point at the second key's closing quote */
    assert_rejected(S("{\"procedure\":\"1.000001\",\"procedure\":\"2.000488\"}"),
                    "duplicate key \"procedure\"", 34);
    assert_rejected(S("{\"delivery\":\"online\",\"form\":{},\"delivery\":\"postal\"}"),
                    "duplicate key \"delivery\"", 40);
    assert_rejected(S("{\"documents\":[],\"documents\":[{\"kind\":\"x\"}]}"),
                    "duplicate key \"documents\"", 26);
    assert_rejected(S("{\"applicant\":{},\"applicant\":{\"full_name\":\"A\"}}"),
                    "duplicate key \"applicant\"", 26);
    assert_rejected(S("{\"applicant\":{\"phone\":\"1\",\"phone\":\"2\"}}"),
                    "duplicate key \"phone\" in \"applicant\"", 32);
    assert_rejected(S("{\"documents\":[{\"sha256\":\"a\"},"
                      "{\"sha256\":\"b\",\"size\":1,\"sha256\":\"c\"}]}"),
                    "duplicate key \"sha256\" in documents[1]", 59);
    /* a key spelled with an escape is the same key */
    assert_rejected(S("{\"procedure\":\"a\",\"proc\\u0065dure\":\"b\"}"),
                    "duplicate key \"procedure\"", 32);

    /* the same member in two documents is no duplicate, nor are repeated
     * members the scanner does not read (the validator's business) */
    s = scan_text(S("{\"form\":1,\"form\":2,\"documents\":[{\"kind\":\"a\"},"
                    "{\"kind\":\"b\",\"file_name\":\"x\",\"file_name\":\"y\"}]}"),
                  &rc);
    assert_int_equal(rc, 0);
    dvc_dossier_scan_free(s);

    /* split inside the second key: still refused, at the same quote */
    s = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(s);
    assert_int_equal(feed_copy(s, S("{\"procedure\":\"a\",\"proce")), 0);
    assert_int_equal(feed_copy(s, S("dure\":\"b\"}")), -1);
    assert_string_equal(dvc_dossier_scan_error(s, &off),
                        "duplicate key \"procedure\"");
    assert_int_equal(off, 27);
    dvc_dossier_scan_free(s);
}

static void
test_malformed_json(void **state)
{
    dvc_dossier_scan_t  *s;
    size_t               off;
    int                  rc;

    (void) state;
    /* yajl's offsets: just past the token it refused */
    assert_rejected(S("{\"procedure\":\"1.000001\",}"),
                    "parse error: invalid object key (must be a string)", 25);
    assert_rejected(S("{\"procedure\" \"1.000001\"}"),
                    "parse error: object key and value must be separated by a colon (':')",
                    23);
    assert_rejected(S("{\"a\":01}"),
                    "parse error: after key and value, inside map, I expect ',' or '}'",
                    6);
    assert_rejected(S("{\"a\":-}"),
                    "lexical error: malformed number, a digit is required after the minus sign.",
                    6);
    assert_rejected(S("{} {}"), "parse error: trailing garbage", 4);
    assert_rejected(S("{/* no */}"), "lexical error: probable comment found in input text, comments are not enabled.", 1);
    assert_rejected(S("{\"a\":\"tab\there\"}"),
                    "lexical error: invalid character inside string.", 9);

    /* cut short: feeding is fine, finishing is not; offset = bytes fed */
    s = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(s);
    assert_int_equal(feed_copy(s, S("{\"procedure\":\"1.000001\",")), 0);
    assert_int_equal(feed_copy(s, S("\"documents\":[{\"kind\"")), 0);
    assert_int_equal(dvc_dossier_scan_finish(s), -1);
    assert_string_equal(dvc_dossier_scan_error(s, &off),
                        "parse error: premature EOF");
    assert_int_equal(off, 44);
    dvc_dossier_scan_free(s);

    s = scan_text("", 0, &rc);                 /* empty body */
    assert_int_equal(rc, -1);
    assert_non_null(dvc_dossier_scan_error(s, &off));
    assert_int_equal(off, 0);
    dvc_dossier_scan_free(s);
}

static void
test_invalid_utf8(void **state)
{
    static const char   emoji_body[] =
        "{\"applicant\":{\"full_name\":\"An \xf0\x9f\x98\x80\"},"
        "\"delivery\":\"A\\ud83d\\ude00\\u00e9\\\\ud800\"}";
    dvc_dossier_scan_t  *s;
    dvc_dossier_facts_t  f;
    size_t               off, i;
    int                  rc;

    (void) state;
    /* the offset is the first byte of the bad sequence */
    assert_rejected(S("{\"applicant\":{\"full_name\":\"Nguy\xff" "n\"}}"),
                    "invalid UTF-8", 31);
    /* overlong '/', a UTF-16 surrogate, past U+10FFFF: yajl passes these */
    assert_rejected(S("{\"a\":\"..\xc0\xaf..\"}"), "invalid UTF-8", 8);
    assert_rejected(S("{\"a\":\"\xed\xa0\x80\"}"), "invalid UTF-8", 6);
    assert_rejected(S("{\"a\":\"x\xf4\x90\x80\x80\"}"), "invalid UTF-8", 7);
    assert_rejected(S("{\"a\":\"\xe1\xba\"}"), "invalid UTF-8", 6);
    assert_rejected(S("{\"Ng\xe1\xbb\"x:1}"), "invalid UTF-8", 4);
    assert_rejected(S("{\"a\":[1,\"\x80\"]}"), "invalid UTF-8", 9);
    assert_rejected(S("{\"a\":\xff}"), "invalid UTF-8", 5);
    /* valid UTF-8 outside a string is yajl's lexical error */
    assert_rejected(S("{\"a\":\xc3\xa9}"),
                    "lexical error: invalid char in json text.", 6);
    /* whichever fault comes first in the body is the one reported */
    assert_rejected(S("{\"a\":01,\"b\":\"\xff\"}"),
                    "parse error: after key and value, inside map, I expect ',' or '}'",
                    6);
    assert_rejected(S("{\"b\":\"\xff\",\"a\":01}"), "invalid UTF-8", 6);
    assert_rejected(S("{\"procedure\":\"a\",\"procedure\":\"\xff\"}"),
                    "duplicate key \"procedure\"", 27);

    /* \u escapes of half a surrogate pair: yajl would make "?", a wrong
     * code point or bytes that are not UTF-8 of them */
    assert_rejected(S("{\"a\":\"\\ud800\"}"),
                    "\\u escape of an unpaired UTF-16 surrogate", 6);
    assert_rejected(S("{\"a\":\"x\\ud800\\u0041\"}"),
                    "\\u escape of an unpaired UTF-16 surrogate", 7);
    assert_rejected(S("{\"a\":\"\\uD800\\n\"}"),
                    "\\u escape of an unpaired UTF-16 surrogate", 6);
    assert_rejected(S("{\"a\":\"\\udc00\"}"),
                    "\\u escape of an unpaired UTF-16 surrogate", 6);
    assert_rejected(S("{\"a\":\"\\ud800\\ud800\"}"),
                    "\\u escape of an unpaired UTF-16 surrogate", 6);

    /* a pair, an escaped backslash before "ud800", 4-byte UTF-8: all fine,
     * and the same fed a byte at a time */
    s = scan_text(S(emoji_body), &rc);
    assert_int_equal(rc, 0);
    dvc_dossier_scan_facts(s, &f);
    assert_str(f.applicant_name, f.applicant_name_len, "An \xf0\x9f\x98\x80");
    assert_str(f.delivery, f.delivery_len, "A\xf0\x9f\x98\x80\xc3\xa9\\ud800");
    dvc_dossier_scan_reset(s);
    for (i = 0; i < sizeof(emoji_body) - 1; i++) {
        assert_int_equal(feed_copy(s, emoji_body + i, 1), 0);
    }
    assert_int_equal(dvc_dossier_scan_finish(s), 0);
    dvc_dossier_scan_facts(s, &f);
    assert_str(f.delivery, f.delivery_len, "A\xf0\x9f\x98\x80\xc3\xa9\\ud800");
    dvc_dossier_scan_free(s);

    /* a bad sequence cut by a buffer end: still its exact offset */
    s = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(s);
    assert_int_equal(feed_copy(s, S("{\"delivery\":\"on\xe1")), 0);
    assert_int_equal(feed_copy(s, S("\xba" "line\"}")), -1);
    assert_string_equal(dvc_dossier_scan_error(s, &off), "invalid UTF-8");
    assert_int_equal(off, 15);
    dvc_dossier_scan_free(s);

    /* a lone surrogate escape cut by a buffer end */
    s = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(s);
    assert_int_equal(feed_copy(s, S("{\"delivery\":\"on\\ud8")), 0);
    assert_int_equal(feed_copy(s, S("00")), 0);
    assert_int_equal(feed_copy(s, S("\\")), 0);
    assert_int_equal(feed_copy(s, S("t\"}")), -1);
    assert_string_equal(dvc_dossier_scan_error(s, &off),
                        "\\u escape of an unpaired UTF-16 surrogate");
    assert_int_equal(off, 15);
    dvc_dossier_scan_free(s);

    /* the body ends inside a sequence */
    s = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(s);
    assert_int_equal(feed_copy(s, S("{\"a\":\"\xe1\xba")), 0);
    assert_int_equal(dvc_dossier_scan_finish(s), -1);
    assert_string_equal(dvc_dossier_scan_error(s, &off), "invalid UTF-8");
    assert_int_equal(off, 6);
    dvc_dossier_scan_free(s);
}

/*
 * The scanner's UTF-8 check against the core's reference (dvc_utf8_valid):
 * every lead byte with every second byte and a spread of third and fourth
 * bytes (continuation bounds, a non-continuation, ASCII), whole and split
 * after the lead.
 */
static void
test_utf8_matches_reference(void **state)
{
    static const unsigned char  tail[] = { 0x41, 0x80, 0x8F, 0x90, 0xBF, 0xC0 };
    dvc_dossier_scan_t  *s;
    unsigned char        body[16] = "{\"a\":\"";
    unsigned             c0, c1, i2, i3;
    size_t               off;
    int                  rc, want, checked = 0;

    (void) state;
    s = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(s);
    for (c0 = 0x80; c0 <= 0xFF; c0++) {
        for (c1 = 0x20; c1 <= 0xFF; c1++) {
            if (c1 == '"' || c1 == '\\') {
                continue;
            }
            for (i2 = 0; i2 < sizeof(tail); i2++) {
                for (i3 = 0; i3 < sizeof(tail); i3++) {
                    body[6] = (unsigned char) c0;
                    body[7] = (unsigned char) c1;
                    body[8] = tail[i2];
                    body[9] = tail[i3];
                    body[10] = '"';
                    body[11] = '}';
                    want = dvc_utf8_valid(body + 6, 4);
                    dvc_dossier_scan_reset(s);
                    if ((c0 + c1 + i2 + i3) & 1) {
                        rc = dvc_dossier_scan_feed(s, body, 7);
                        rc = rc ? rc : dvc_dossier_scan_feed(s, body + 7, 5);
                    } else {
                        rc = dvc_dossier_scan_feed(s, body, 12);
                    }
                    rc = rc ? rc : dvc_dossier_scan_finish(s);
                    if ((rc == 0) != want) {
                        fail_msg("%02x %02x %02x %02x: scanner %d, reference %d",
                                 c0, c1, tail[i2], tail[i3], rc, want);
                    }
                    if (rc != 0) {
                        assert_string_equal(dvc_dossier_scan_error(s, &off),
                                            "invalid UTF-8");
                        assert_true(off >= 6 && off <= 9);
                    }
                    checked++;
                }
            }
        }
    }
    assert_true(checked > 100000);
    dvc_dossier_scan_free(s);
}

static int
facts_equal(const dvc_dossier_facts_t *a, const dvc_dossier_facts_t *b)
{
#define SAME(p, n) ((a->p == NULL) == (b->p == NULL) && a->n == b->n \
                    && (a->p == NULL || memcmp(a->p, b->p, a->n) == 0))
    size_t  i;

    if (!SAME(delivery, delivery_len) || !SAME(applicant_name, applicant_name_len)
        || !SAME(applicant_phone, applicant_phone_len)
        || !SAME(applicant_email, applicant_email_len)
        || a->ndocuments != b->ndocuments)
    {
        return 0;
    }
    for (i = 0; i < a->ndocuments; i++) {
        const dvc_dossier_doc_t *x = &a->documents[i], *y = &b->documents[i];

        if ((x->kind == NULL) != (y->kind == NULL) || x->kind_len != y->kind_len
            || (x->kind && memcmp(x->kind, y->kind, x->kind_len) != 0)
            || (x->sha256 == NULL) != (y->sha256 == NULL)
            || (x->sha256 && strcmp(x->sha256, y->sha256) != 0)
            || (x->media_type == NULL) != (y->media_type == NULL)
            || (x->media_type && strcmp(x->media_type, y->media_type) != 0)
            || x->size != y->size)
        {
            return 0;
        }
    }
    return 1;
#undef SAME
}

/*
 * Mutated fixtures (bytes replaced, deleted, duplicated; deterministic),
 * each scanned whole and in random pieces: the same verdict, the same
 * message, and on success the same facts.  Under ASan this is also a small
 * fuzz run of the scanner's own code.
 */
static void
test_mutations_split_invariant(void **state)
{
    static const char    pool[] = "{}[]\",:\\u0d8e\xc3\xa9\xed\xff 1-.ea";
    dvc_dossier_scan_t  *whole, *parts;
    dvc_dossier_facts_t  fw, fp;
    size_t               len, n, i, k, at, piece;
    char                *text = load_fixture(&len), *m;
    unsigned long        seed = 20261122;
    int                  rw, rp, round, accepted = 0, refused = 0;

#define RAND() (seed = seed * 6364136223846793005ul + 1442695040888963407ul, \
                (size_t) (seed >> 33))

    (void) state;
    m = malloc(len * 2);
    assert_non_null(m);
    whole = dvc_dossier_scan_new(&dvc_alloc_std);
    parts = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(whole);
    assert_non_null(parts);
    for (round = 0; round < 3000; round++) {
        memcpy(m, text, len);
        n = len;
        for (k = RAND() % 3; k > 0; k--) {
            at = RAND() % n;
            switch (RAND() % 3) {
            case 0:
                m[at] = pool[RAND() % (sizeof(pool) - 1)];
                break;
            case 1:
                memmove(m + at, m + at + 1, n - at - 1);
                n--;
                break;
            default:
                if (n < len * 2) {
                    memmove(m + at + 1, m + at, n - at);
                    n++;
                }
            }
        }
        dvc_dossier_scan_reset(whole);
        dvc_dossier_scan_reset(parts);
        rw = feed_copy(whole, m, n);
        rw = rw ? rw : dvc_dossier_scan_finish(whole);
        rp = 0;
        for (i = 0; i < n && rp == 0; i += piece) {
            piece = 1 + RAND() % 200;
            piece = piece < n - i ? piece : n - i;
            rp = feed_copy(parts, m + i, piece);
        }
        rp = rp ? rp : dvc_dossier_scan_finish(parts);
        assert_int_equal(rw, rp);
        if (rw == 0) {
            dvc_dossier_scan_facts(whole, &fw);
            dvc_dossier_scan_facts(parts, &fp);
            assert_true(facts_equal(&fw, &fp));
            accepted++;
        } else {
            assert_string_equal(dvc_dossier_scan_error(whole, NULL),
                                dvc_dossier_scan_error(parts, NULL));
            refused++;
        }
    }
#undef RAND
    /* both outcomes were exercised */
    assert_true(accepted > 100);
    assert_true(refused > 100);
    dvc_dossier_scan_free(whole);
    dvc_dossier_scan_free(parts);
    free(m);
    free(text);
}

static char *
nested(size_t depth, size_t *len)
{
    char   *t = malloc(depth * 2 + 16);
    size_t  i, n = 0;

    assert_non_null(t);
    n += (size_t) sprintf(t, "{\"form\":");
    for (i = 1; i < depth; i++) {
        t[n++] = '[';
    }
    for (i = 1; i < depth; i++) {
        t[n++] = ']';
    }
    t[n++] = '}';
    *len = n;
    return t;
}

static void
test_depth_limit(void **state)
{
    dvc_dossier_scan_t  *s;
    size_t               len;
    char                *t;
    int                  rc;

    (void) state;
    t = nested(DVC_DOSSIER_MAX_DEPTH, &len);
    s = scan_text(t, len, &rc);
    assert_int_equal(rc, 0);
    dvc_dossier_scan_free(s);
    free(t);

    /* one more is refused at its bracket (the 65th container opened) */
    t = nested(DVC_DOSSIER_MAX_DEPTH + 1, &len);
    assert_rejected(t, len, "nesting deeper than 64", 8 + 63);
    free(t);

    /* a hostile body far deeper is stopped just as early */
    t = nested(100000, &len);
    assert_rejected(t, len, "nesting deeper than 64", 8 + 63);
    free(t);
}

static void
test_documents_cap(void **state)
{
    dvc_dossier_scan_t  *s;
    dvc_dossier_facts_t  f;
    char                *t;
    size_t               n, i, len;
    int                  rc;

    (void) state;
    for (n = DVC_DOSSIER_MAX_DOCUMENTS; n <= DVC_DOSSIER_MAX_DOCUMENTS + 1; n++) {
        t = malloc(32 + n * 16);
        assert_non_null(t);
        len = (size_t) sprintf(t, "{\"documents\":[");
        for (i = 0; i < n; i++) {
            len += (size_t) sprintf(t + len, "%s{\"size\":%zu}", i ? "," : "",
                                    i + 1);
        }
        len += (size_t) sprintf(t + len, "]}");
        s = scan_text(t, len, &rc);
        if (n == DVC_DOSSIER_MAX_DOCUMENTS) {
            assert_int_equal(rc, 0);
            dvc_dossier_scan_facts(s, &f);
            assert_int_equal(f.ndocuments, n);
            assert_int_equal(f.documents[0].size, 1);
            assert_int_equal(f.documents[n - 1].size, (long long) n);
        } else {
            assert_int_equal(rc, -1);
            assert_string_equal(dvc_dossier_scan_error(s, NULL),
                                "more than 1000 documents");
        }
        dvc_dossier_scan_free(s);
        free(t);
    }
    /* items that are not objects count too */
    t = malloc(32 + 2 * (DVC_DOSSIER_MAX_DOCUMENTS + 1));
    assert_non_null(t);
    len = (size_t) sprintf(t, "{\"documents\":[");
    for (i = 0; i <= DVC_DOSSIER_MAX_DOCUMENTS; i++) {
        len += (size_t) sprintf(t + len, "%s0", i ? "," : "");
    }
    len += (size_t) sprintf(t + len, "]}");
    assert_rejected(t, len, "more than 1000 documents", len - 3);
    free(t);
}

static void
test_reset_and_reuse(void **state)
{
    dvc_dossier_scan_t  *s;
    dvc_dossier_facts_t  f;
    size_t               len, big = 20000, n, plen;
    char                *text = load_fixture(&len), *t;

    (void) state;
    s = dvc_dossier_scan_new(&dvc_alloc_std);
    assert_non_null(s);

    /* a body with long values: more than the inline arena holds */
    t = malloc(big * 3 + 128);
    assert_non_null(t);
    n = (size_t) sprintf(t, "{\"procedure\":\"");
    memset(t + n, 'p', big);
    n += big;
    n += (size_t) sprintf(t + n, "\",\"applicant\":{\"full_name\":\"");
    memset(t + n, 'n', big);
    n += big;
    n += (size_t) sprintf(t + n, "\",\"email\":\"");
    memset(t + n, 'e', big);
    n += big;
    n += (size_t) sprintf(t + n, "\"}}");
    assert_int_equal(feed_copy(s, t, n), 0);
    assert_int_equal(dvc_dossier_scan_finish(s), 0);
    dvc_dossier_scan_facts(s, &f);
    assert_non_null(dvc_dossier_scan_procedure(s, &plen));
    assert_int_equal(plen, big);
    assert_int_equal(f.applicant_name_len, big);
    assert_int_equal(f.applicant_email_len, big);
    assert_int_equal(f.applicant_email[big - 1], 'e');
    assert_int_equal(f.applicant_email[big], '\0');
    assert_true(dvc_dossier_scan_procedure(s, NULL)[0] == 'p');
    free(t);

    /* feed after finish is refused */
    assert_int_equal(dvc_dossier_scan_feed(s, S(" ")), -1);
    assert_string_equal(dvc_dossier_scan_error(s, NULL), "body already finished");

    dvc_dossier_scan_reset(s);
    assert_null(dvc_dossier_scan_procedure(s, NULL));
    assert_null(dvc_dossier_scan_error(s, NULL));
    assert_int_equal(feed_copy(s, text, len), 0);
    assert_int_equal(dvc_dossier_scan_finish(s), 0);
    assert_fixture_facts(s);

    /* after a failed body, reset gives a clean start */
    dvc_dossier_scan_reset(s);
    assert_int_equal(feed_copy(s, S("{\"delivery\":\"a\",\"delivery\":\"b\"}")), -1);
    dvc_dossier_scan_reset(s);
    assert_int_equal(feed_copy(s, S("{\"delivery\":\"counter\"}")), 0);
    assert_int_equal(dvc_dossier_scan_finish(s), 0);
    dvc_dossier_scan_facts(s, &f);
    assert_str(f.delivery, f.delivery_len, "counter");
    assert_int_equal(f.ndocuments, 0);
    assert_null(f.documents);
    assert_null(f.applicant_name);
    assert_null(dvc_dossier_scan_procedure(s, NULL));

    dvc_dossier_scan_reset(s);
    assert_int_equal(feed_copy(s, text, len), 0);
    assert_int_equal(dvc_dossier_scan_finish(s), 0);
    assert_fixture_facts(s);
    dvc_dossier_scan_free(s);
    free(text);
}

/*
 * An allocator that fails once a budget of allocations is spent, for the
 * scanner's own allocations only (the scanner, the documents array, arena
 * chunks).  yajl 2.1 writes through its allocations unchecked
 * (yajl_buf_alloc, the state stack, its 2 KiB lexer and decode buffers), so
 * those must succeed: its small blocks (under 512 bytes here) and its
 * buffers (2048 << n bytes, plus the max_align_t-sized header in which the
 * scanner keeps each yajl block's size) are never failed.
 */
typedef struct {
    long  budget;
} budget_t;

static int
budget_spent(budget_t *b, size_t size)
{
    size_t  n;

    if (size < 512) {
        return 0;
    }
    for (n = 2048; n && n <= size; n <<= 1) {
        if (size == n + sizeof(max_align_t)) {
            return 0;
        }
    }
    return b->budget-- <= 0;
}

static void *
budget_malloc(void *ud, size_t size)
{
    return budget_spent(ud, size) ? NULL : malloc(size);
}

static void *
budget_realloc(void *ud, void *p, size_t old, size_t size)
{
    (void) old;
    return budget_spent(ud, size) ? NULL : realloc(p, size);
}

static void
budget_free(void *ud, void *p)
{
    (void) ud;
    free(p);
}

static void
test_out_of_memory(void **state)
{
    budget_t             b;
    dvc_alloc_t          a = { budget_malloc, budget_realloc, budget_free, &b };
    dvc_dossier_scan_t  *s;
    size_t               len, i;
    char                *text = load_fixture(&len), *big;
    long                 n;
    int                  rc, done = 0, refused = 0;

    (void) state;
    /* the fixture plus a long name (an arena chunk) and 20 documents */
    big = malloc(len + 8000);
    assert_non_null(big);
    i = (size_t) sprintf(big, "{\"applicant\":{\"full_name\":\"");
    memset(big + i, 'a', 5000);
    i += 5000;
    i += (size_t) sprintf(big + i, "\"},\"documents\":[");
    for (n = 0; n < 20; n++) {
        i += (size_t) sprintf(big + i, "%s{\"kind\":\"k%ld\"}", n ? "," : "", n);
    }
    i += (size_t) sprintf(big + i, "]}");

    for (n = 0; !done && n < 1000; n++) {
        b.budget = n;
        s = dvc_dossier_scan_new(&a);
        if (s == NULL) {
            continue;
        }
        rc = dvc_dossier_scan_feed(s, big, i);
        rc = rc == 0 ? dvc_dossier_scan_finish(s) : rc;
        if (rc == 0) {
            dvc_dossier_scan_reset(s);
            rc = dvc_dossier_scan_feed(s, text, len);
            rc = rc == 0 ? dvc_dossier_scan_finish(s) : rc;
        }
        if (rc == 0) {
            assert_fixture_facts(s);
            done = 1;
        } else {
            assert_string_equal(dvc_dossier_scan_error(s, NULL), "out of memory");
            refused++;
        }
        dvc_dossier_scan_free(s);
    }
    assert_true(done);
    /* the arena chunk and two growths of the documents array failed
     * cleanly before a budget was large enough */
    assert_true(refused >= 3);
    free(big);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_whole),
        cmocka_unit_test(test_fixture_every_split),
        cmocka_unit_test(test_procedure_early),
        cmocka_unit_test(test_nested_members_ignored),
        cmocka_unit_test(test_procedure_not_string),
        cmocka_unit_test(test_documents_members),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_utf8_matches_reference),
        cmocka_unit_test(test_mutations_split_invariant),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_documents_cap),
        cmocka_unit_test(test_reset_and_reuse),
        cmocka_unit_test(test_channel),
        cmocka_unit_test(test_out_of_memory),
    };

    return cmocka_run_group_tests_name("dossier_scan", tests, NULL, NULL);
}
