/* The streaming validator: verdicts, error paths and messages, limits,
 * buffer-by-buffer feeding, compile errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "dvc_schema.h"

#define S(x) x, sizeof(x) - 1

static dvc_schema_t *
compile(const char *text)
{
    char          err[512];
    dvc_schema_t *s;

    s = dvc_schema_compile(&dvc_alloc_std, text, strlen(text), NULL, err,
                           sizeof(err));
    if (s == NULL) {
        fail_msg("schema: %s", err);
    }
    return s;
}

/* Validates doc fed in pieces of `chunk` bytes (0: whole). */
static int
run(dvc_validate_ctx_t *v, const char *doc, size_t len, size_t chunk)
{
    size_t off = 0, n;
    int    rc = DVC_VALID;

    dvc_validate_reset(v);
    if (chunk == 0) {
        chunk = len ? len : 1;
    }
    while (off < len) {
        n = len - off < chunk ? len - off : chunk;
        rc = dvc_validate_feed(v, doc + off, n);
        if (rc != DVC_VALID) {
            break;
        }
        off += n;
    }
    if (rc == DVC_VALID || rc == DVC_INVALID) {
        rc = dvc_validate_finish(v);
    }
    return rc;
}

static const char *dossier_schema =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"name\",\"id\",\"phones\"],"
    "\"properties\":{"
    "  \"name\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":5,"
    "     \"x-dvc-messages\":{\"vi\":\"Họ tên từ 2 đến 5 ký tự\","
    "                         \"en\":\"Name has 2 to 5 characters\"}},"
    "  \"id\":{\"type\":\"string\",\"pattern\":\"^[0-9]{12}$\"},"
    "  \"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":150},"
    "  \"phones\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
    "              \"uniqueItems\":true},"
    "  \"kind\":{\"enum\":[\"a\",{\"x\":[1,2]}]}"
    "}}";

static void
test_valid_and_errors(void **state)
{
    dvc_schema_t                 *s = compile(dossier_schema);
    dvc_validate_ctx_t           *v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    const dvc_validation_error_t *e;
    const char                   *ok =
        "{\"name\":\"Lan\",\"id\":\"001203004567\",\"age\":30,"
        "\"phones\":[\"0912\",\"0913\"],\"kind\":{\"x\":[1,2.0]}}";
    const char                   *bad =
        "{\"name\":\"Nguyễn Thị\",\"id\":\"12\",\"age\":1.5,"
        "\"phones\":[\"1\",\"1\"],\"ex/tra\":1,\"kind\":{\"x\":[2,1]}}";

    (void) state;
    assert_int_equal(run(v, ok, strlen(ok), 0), DVC_VALID);
    assert_int_equal(dvc_validate_error_count(v), 0);

    assert_int_equal(run(v, bad, strlen(bad), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 6);
    e = dvc_validate_error(v, 0);
    assert_string_equal(e->path, "/name");
    assert_string_equal(e->code, "maxLength");
    assert_string_equal(e->keyword, "/properties/name/maxLength");
    assert_string_equal(e->message_vi, "Họ tên từ 2 đến 5 ký tự");
    assert_string_equal(e->message_en, "Name has 2 to 5 characters");
    e = dvc_validate_error(v, 1);
    assert_string_equal(e->path, "/id");
    assert_string_equal(e->code, "pattern");
    e = dvc_validate_error(v, 2);
    assert_string_equal(e->path, "/age");
    assert_string_equal(e->code, "type");
    assert_string_equal(e->message_en, "Value has the wrong type");
    e = dvc_validate_error(v, 3);
    assert_string_equal(e->path, "/phones");
    assert_string_equal(e->code, "uniqueItems");
    e = dvc_validate_error(v, 4);
    /* the extra member itself, with its '/' escaped */
    assert_string_equal(e->path, "/ex~1tra");
    assert_string_equal(e->code, "additionalProperties");
    assert_string_equal(e->message_vi, "Trường không được phép có");
    e = dvc_validate_error(v, 5);
    assert_string_equal(e->path, "/kind");
    assert_string_equal(e->code, "enum");

    /* a string member's schema given an object and an array: the value
     * is checked as a container (its type), then its insides by no one */
    assert_int_equal(run(v, S("{\"name\":{\"id\":\"1\"},\"id\":[\"x\"],"
                              "\"phones\":[]}"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 2);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/name");
    assert_string_equal(dvc_validate_error(v, 0)->keyword,
                        "/properties/name/type");
    assert_string_equal(dvc_validate_error(v, 0)->message_en,
                        "Name has 2 to 5 characters");
    assert_string_equal(dvc_validate_error(v, 1)->path, "/id");
    assert_string_equal(dvc_validate_error(v, 1)->code, "type");

    dvc_validate_free(v);
    dvc_schema_free(s);
}

static void
test_required_points_at_member(void **state)
{
    dvc_schema_t       *s = compile(dossier_schema);
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    dvc_buf_t           b;

    (void) state;
    assert_int_equal(run(v, S("{\"name\":\"Lan\",\"phones\":[]}"), 0),
                     DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 1);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/id");
    assert_string_equal(dvc_validate_error(v, 0)->code, "required");
    assert_string_equal(dvc_validate_error(v, 0)->keyword, "/required");
    assert_string_equal(dvc_validate_error(v, 0)->message_vi,
                        "Trường bắt buộc bị thiếu");
    assert_string_equal(dvc_validate_error(v, 0)->message_en,
                        "Required field is missing");

    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_errors_to_json(&b, v);
    assert_non_null(dvc_buf_cstr(&b));
    assert_string_equal(b.data,
        "[{\"path\":\"/id\",\"keyword\":\"/required\",\"code\":\"required\","
        "\"message\":{\"vi\":\"Trường bắt buộc bị thiếu\","
        "\"en\":\"Required field is missing\"}}]");
    dvc_buf_free(&b);
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* The same document split at every byte boundary gets the same verdict and
 * the same errors. */
static void
test_every_split(void **state)
{
    dvc_schema_t       *s = compile(dossier_schema);
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    const char         *docs[] = {
        "{\"name\":\"Lan\",\"id\":\"001203004567\",\"age\":30,"
        "\"phones\":[\"0912\",\"0913\"],\"kind\":{\"x\":[1,2.0]}}",
        "{\"name\":\"Nguyễn Thị\",\"id\":\"12\",\"age\":1.5,"
        "\"phones\":[\"1\",\"1\"],\"ex/tra\":1,\"kind\":{\"x\":[2,1]}}",
        " {\"name\" : \"Lan\" , \"age\": 12345678901234567890123 } ",
    };
    size_t              d, chunk, n, i;
    int                 rc0, rc;
    char                first[4096];
    dvc_buf_t           b;

    (void) state;
    dvc_buf_init(&b, &dvc_alloc_std);
    for (d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
        rc0 = run(v, docs[d], strlen(docs[d]), 0);
        dvc_buf_reset(&b);
        dvc_errors_to_json(&b, v);
        n = b.len < sizeof(first) - 1 ? b.len : sizeof(first) - 1;
        memcpy(first, b.data, n);
        first[n] = '\0';
        for (chunk = 1; chunk < strlen(docs[d]); chunk++) {
            rc = run(v, docs[d], strlen(docs[d]), chunk);
            assert_int_equal(rc, rc0);
            dvc_buf_reset(&b);
            dvc_errors_to_json(&b, v);
            assert_non_null(dvc_buf_cstr(&b));
            assert_string_equal(b.data, first);
        }
        /* two pieces, split at each position */
        for (i = 1; i < strlen(docs[d]); i++) {
            dvc_validate_reset(v);
            rc = dvc_validate_feed(v, docs[d], i);
            assert_true(rc == DVC_VALID || rc == DVC_INVALID);
            rc = dvc_validate_feed(v, docs[d] + i, strlen(docs[d]) - i);
            assert_true(rc == DVC_VALID || rc == DVC_INVALID);
            assert_int_equal(dvc_validate_finish(v), rc0);
        }
    }
    assert_int_equal(run(v, docs[2], strlen(docs[2]), 0), DVC_INVALID);
    dvc_buf_free(&b);
    dvc_validate_free(v);
    dvc_schema_free(s);
}

static void
test_malformed(void **state)
{
    dvc_schema_t       *s = compile("{\"type\":\"object\"}");
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    size_t              i;

    (void) state;
    assert_int_equal(run(v, S("{\"a\":1,}"), 0), DVC_ERR_SYNTAX);
    assert_int_equal(dvc_validate_error_count(v), 1);
    assert_string_equal(dvc_validate_error(v, 0)->code, "json_syntax");
    assert_int_equal(dvc_validate_offset(v), 8);
    assert_int_equal(run(v, S("{\"a\":1,"), 0), DVC_ERR_INCOMPLETE);
    assert_string_equal(dvc_validate_error(v, 0)->code, "json_incomplete");
    assert_int_equal(run(v, S(""), 0), DVC_ERR_INCOMPLETE);
    assert_int_equal(run(v, S("{\"a\":\"\xC3\x28\"}"), 0), DVC_ERR_UTF8);
    assert_string_equal(dvc_validate_error(v, 0)->code, "json_utf8");
    assert_int_equal(run(v, S("{} {}"), 0), DVC_ERR_SYNTAX);
    /* feeding after a fatal error repeats it */
    assert_int_equal(dvc_validate_feed(v, "{}", 2), DVC_ERR_SYNTAX);
    /* the parser kept from one document to the next: each is one value,
     * whatever came before (a valid one, an invalid one, a cut one) */
    assert_int_equal(run(v, S("{\"a\":1}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"a\":1} {}"), 1), DVC_ERR_SYNTAX);
    assert_int_equal(run(v, S("{}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("12"), 0), DVC_INVALID);
    assert_int_equal(run(v, S("3 4"), 0), DVC_ERR_SYNTAX);
    assert_int_equal(run(v, S("{} ]"), 0), DVC_ERR_SYNTAX);
    assert_int_equal(run(v, S("  {}  "), 1), DVC_VALID);
    assert_int_equal(run(v, S(""), 0), DVC_ERR_INCOMPLETE);
    dvc_validate_reset(v);
    assert_int_equal(dvc_validate_feed(v, "{\"a\":[1,", 7), DVC_VALID);
    dvc_validate_reset(v);          /* abandoned mid-document */
    assert_int_equal(run(v, S("{\"b\":2}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"a\":\"\xC3\x28\"}"), 0), DVC_ERR_UTF8);
    assert_int_equal(run(v, S("{\"a\":\"\xC3\xA0\"}"), 3), DVC_VALID);
    /* anything but whitespace after the value, even a token never ended,
     * is a syntax error at its first byte, however the body is cut */
    for (i = 0; i < 5; i++) {
        assert_int_equal(run(v, S("{} \"x"), i), DVC_ERR_SYNTAX);
        assert_int_equal(dvc_validate_offset(v), 3);
        assert_int_equal(run(v, S("1 \"a\" "), i), DVC_ERR_SYNTAX);
        assert_int_equal(dvc_validate_offset(v), 2);
        assert_int_equal(run(v, S("{}\n\t {\"a\":1}"), i), DVC_ERR_SYNTAX);
        assert_int_equal(dvc_validate_offset(v), 5);
        assert_int_equal(run(v, S("{\"a\":1} \r\n"), i), DVC_VALID);
    }
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* A fatal json_utf8 at `at`: the status, the error entry and the offset. */
static void
expect_utf8_at(dvc_validate_ctx_t *v, int rc, size_t at)
{
    assert_int_equal(rc, DVC_ERR_UTF8);
    assert_int_equal(dvc_validate_error_count(v), 1);
    assert_string_equal(dvc_validate_error(v, 0)->code, "json_utf8");
    assert_int_equal(dvc_validate_error(v, 0)->offset, at);
    assert_int_equal(dvc_validate_offset(v), at);
}

/* The same verdict (status and offset) however doc is cut in two, in three
 * and byte by byte. */
static void
every_cut(dvc_validate_ctx_t *v, const char *doc, size_t len, int want,
    size_t at)
{
    size_t i, j, k, cut[3];
    int    rc;

    for (i = 0; i <= len; i++) {
        for (j = i; j <= len; j++) {
            cut[0] = i;
            cut[1] = j;
            cut[2] = len;
            dvc_validate_reset(v);
            rc = DVC_VALID;
            for (k = 0; k < 3 && rc == DVC_VALID; k++) {
                rc = dvc_validate_feed(v, doc + (k ? cut[k - 1] : 0),
                                       cut[k] - (k ? cut[k - 1] : 0));
            }
            if (rc == DVC_VALID || rc == DVC_INVALID) {
                rc = dvc_validate_finish(v);
            }
            assert_int_equal(rc, want);
            if (want > DVC_INVALID) {
                assert_int_equal(dvc_validate_offset(v), at);
            }
        }
    }
    assert_int_equal(run(v, doc, len, 1), want);
    if (want > DVC_INVALID) {
        assert_int_equal(dvc_validate_offset(v), at);
    }
}

/* RFC 3629 strictly, whatever yajl's lexer would let through: json_utf8 at
 * the first byte of the first invalid sequence, however the body is cut. */
static void
test_utf8_strict(void **state)
{
    dvc_schema_t       *s = compile("{\"properties\":{\"name\":{"
                                    "\"type\":\"string\",\"maxLength\":40}}}");
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    char                doc[64];
    unsigned            c, c1;
    int                 n;
    /* "Nguyễn Thị Ánh, Đắk Lắk 𠀀" composed (2- and 3-byte characters, a
     * 4-byte one) and decomposed (combining marks after the letters) */
    const char         *nfc = "{\"name\":\"Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b "
                              "\xc3\x81nh, \xc4\x90\xe1\xba\xaf" "k "
                              "L\xe1\xba\xaf" "k \xf0\xa0\x80\x80\"}";
    const char         *nfd = "{\"name\":\"Nguye\xcc\x82\xcc\x83n Thi\xcc\xa3 "
                              "A\xcc\x81nh, \xc4\x90" "a\xcc\x86\xcc\x81" "k "
                              "La\xcc\x86\xcc\x81" "k \xf0\xa0\x80\x80\"}";

    (void) state;
    every_cut(v, nfc, strlen(nfc), DVC_VALID, 0);
    every_cut(v, nfd, strlen(nfd), DVC_VALID, 0);
    /* 25 and 33 code points (more bytes) within maxLength 40; 41 code
     * points are over it, a combining mark counted as one */
    assert_int_equal(run(v, S("{\"name\":\"a\xcc\x81" "aaaaaaaaaaaaaaaaaaaa"
                              "aaaaaaaaaaaaaaaaaaa\"}"), 0), DVC_INVALID);
    assert_string_equal(dvc_validate_error(v, 0)->code, "maxLength");

    /* overlong forms of '/' (2, 3 and 4 bytes) and of U+07FF, U+FFFF */
    expect_utf8_at(v, run(v, S("{\"name\":\"\xc0\xaf\"}"), 0), 9);
    expect_utf8_at(v, run(v, S("{\"name\":\"x\xc1\xbf\"}"), 0), 10);
    expect_utf8_at(v, run(v, S("{\"name\":\"x\xe0\x80\xaf\"}"), 0), 10);
    expect_utf8_at(v, run(v, S("{\"name\":\"x\xe0\x9f\xbf\"}"), 0), 10);
    expect_utf8_at(v, run(v, S("{\"name\":\"\xf0\x80\x80\xaf\"}"), 0), 9);
    expect_utf8_at(v, run(v, S("{\"name\":\"\xf0\x8f\xbf\xbf\"}"), 0), 9);
    /* every UTF-8-encoded surrogate, ED A0 80 .. ED BF BF */
    for (c1 = 0xA0; c1 <= 0xBF; c1++) {
        n = snprintf(doc, sizeof(doc), "[\"ab\xed%c\x80\", \"\xed%c\xbf\"]",
                     (char) c1, (char) c1);
        expect_utf8_at(v, run(v, doc, (size_t) n, 0), 4);
    }
    /* their neighbours are characters */
    assert_int_equal(run(v, S("[\"\xed\x9f\xbf\xee\x80\x80\"]"), 0),
                     DVC_VALID);
    /* past U+10FFFF: F4 90.., and the leads F5..FF; U+10FFFF itself is
     * fine */
    expect_utf8_at(v, run(v, S("\"ab\xf4\x90\x80\x80\""), 0), 3);
    assert_int_equal(run(v, S("\"ab\xf4\x8f\xbf\xbf\""), 0), DVC_VALID);
    for (c = 0xF5; c <= 0xFF; c++) {
        n = snprintf(doc, sizeof(doc), "{\"name\":\"ok %c\x80\x80\x80\"}",
                     (char) c);
        expect_utf8_at(v, run(v, doc, (size_t) n, 0), 12);
    }
    /* lone continuation bytes, at the start and after a character */
    expect_utf8_at(v, run(v, S("\"\x80\""), 0), 1);
    expect_utf8_at(v, run(v, S("\"\xc3\xa0\xbf\""), 0), 3);
    /* a sequence the document's end cuts: reported at its lead by finish,
     * and one a closing quote cuts */
    every_cut(v, S("\"Nguy\xe1\xbb"), DVC_ERR_UTF8, 5);
    every_cut(v, S("[\"a\xf0\x9f\x98"), DVC_ERR_UTF8, 3);
    every_cut(v, S("\"Nguy\xe1\xbb\""), DVC_ERR_UTF8, 5);
    /* invalid sequences cut at every point: an overlong, a surrogate,
     * past U+10FFFF; the bad byte comes after a valid 4-byte character */
    every_cut(v, S("{\"name\":\"\xf0\x9f\x98\x80\xe0\x80\xaf\"}"),
              DVC_ERR_UTF8, 13);
    every_cut(v, S("{\"name\":\"\xc3\xa0\xed\xb2\x80\"}"), DVC_ERR_UTF8, 11);
    every_cut(v, S("[\"x\",\"\xf4\x90\x80\x80\"]"), DVC_ERR_UTF8, 6);
    /* in a member name, and in a string with escapes before the byte */
    expect_utf8_at(v, run(v, S("{\"na\xc3\x28me\":1}"), 0), 4);
    expect_utf8_at(v, run(v, S("{\"name\":\"a\\n\\u00e0\\\"\xc0\x80\"}"), 0),
                   20);
    every_cut(v, S("{\"x\\t\xed\xa0\x80\":1}"), DVC_ERR_UTF8, 5);
    /* whatever comes first in the document is reported: a syntax error
     * before the bad byte, in the same buffer or an earlier one (at
     * yajl's offset, just past the token it refused) */
    every_cut(v, S("{\"a\":1,,\"b\":\"\xc0\xaf\"}"), DVC_ERR_SYNTAX, 8);
    every_cut(v, S("[1 2 \"\xff\"]"), DVC_ERR_SYNTAX, 4);
    every_cut(v, S("{} x\xff"), DVC_ERR_SYNTAX, 3);
    /* bytes >= 0x80 outside strings: json_utf8 if they are not UTF-8,
     * json_syntax if they are (yajl refuses the character) */
    every_cut(v, S("{\"a\":\xff}"), DVC_ERR_UTF8, 5);
    every_cut(v, S("{} \xc0\xaf"), DVC_ERR_UTF8, 3);
    assert_int_equal(run(v, S("{\"a\":\xc3\xa0}"), 0), DVC_ERR_SYNTAX);
    /* whichever it is, the same however the body is cut: yajl never reads
     * part of a sequence (a lead byte a buffer's end cut waits for the rest) */
    every_cut(v, S("{\"a\":\xe1\x28}"), DVC_ERR_UTF8, 5);
    every_cut(v, S("{\"a\":\xe1\xbb\x85}"), DVC_ERR_SYNTAX, 6);
    every_cut(v, S("{} \xe1\xbb"), DVC_ERR_UTF8, 3);
    every_cut(v, S("{} \xe1\xbb\x85"), DVC_ERR_SYNTAX, 3);
    /* \u escapes of a lone surrogate, which yajl would turn into "?",
     * another character or bytes that are not UTF-8: json_utf8 at the
     * escape's backslash; a pair, and an escaped backslash before "udc00",
     * are fine */
    every_cut(v, S("{\"name\":\"a\\udc00\"}"), DVC_ERR_UTF8, 10);
    every_cut(v, S("{\"name\":\"a\\ud800\"}"), DVC_ERR_UTF8, 10);
    every_cut(v, S("{\"name\":\"a\\ud800\\u0041\"}"), DVC_ERR_UTF8, 10);
    every_cut(v, S("{\"n\\udfffame\":1}"), DVC_ERR_UTF8, 3);
    every_cut(v, S("{\"name\":\"\\ud83d\\ude00 \\\\udc00\"}"), DVC_VALID, 0);
    /* whichever comes first: a bad byte before a bad escape, and after */
    every_cut(v, S("[\"\xc0\xaf\\udc00\"]"), DVC_ERR_UTF8, 2);
    every_cut(v, S("[\"\\udc00\xc0\xaf\"]"), DVC_ERR_UTF8, 2);
    every_cut(v, S("[\"\\ud800\xc3\xa0\"]"), DVC_ERR_UTF8, 2);
    /* outside a string the backslash is yajl's syntax error, whether the
     * escape is known to be bad yet or not (found by fuzz/validate_fuzz.c:
     * json_utf8 whole, json_syntax cut inside the escape) */
    every_cut(v, S("\\ud841\\}_c0n"), DVC_ERR_SYNTAX, 1);
    every_cut(v, S("[1, \\udc00]"), DVC_ERR_SYNTAX, 5);
    dvc_validate_free(v);
    dvc_schema_free(s);
}

static void
test_limits(void **state)
{
    dvc_schema_t          *s = compile("true");
    dvc_validate_limits_t  l;
    dvc_validate_ctx_t    *v;
    char                   deep[200];
    size_t                 i;

    (void) state;
    dvc_validate_limits_default(&l);
    assert_int_equal(l.max_depth, 64);
    assert_int_equal(l.max_errors, 100);
    l.max_depth = 4;
    l.max_string_len = 8;
    l.max_properties = 3;
    l.max_items = 5;
    l.max_total_size = 64;
    v = dvc_validate_new(&dvc_alloc_std, s, &l);

    assert_int_equal(run(v, S("[[[[1]]]]"), 0), DVC_VALID);
    assert_int_equal(run(v, S("[[[[[1]]]]]"), 0), DVC_ERR_DEPTH);
    assert_string_equal(dvc_validate_error(v, 0)->code, "limit_depth");
    assert_string_equal(dvc_validate_error(v, 0)->path, "/0/0/0/0");
    assert_int_equal(run(v, S("[\"12345678\"]"), 0), DVC_VALID);
    assert_int_equal(run(v, S("[\"123456789\"]"), 0), DVC_ERR_STRING);
    assert_int_equal(run(v, S("{\"123456789\":1}"), 0), DVC_ERR_STRING);
    /* a string too long after the document's value: the first error is
     * the byte that follows the value, however the body is cut (found by
     * fuzz/validate_fuzz.c: whole, the string's limit was reported) */
    every_cut(v, S("1 \"123456789\""), DVC_ERR_SYNTAX, 2);
    every_cut(v, S("[] {\"123456789\":1}"), DVC_ERR_SYNTAX, 3);
    assert_int_equal(run(v, S("{\"a\":1,\"b\":2,\"c\":3}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}"), 0),
                     DVC_ERR_PROPERTIES);
    assert_string_equal(dvc_validate_error(v, 0)->code, "limit_properties");
    assert_int_equal(run(v, S("[1,2,3,4,5,6]"), 0), DVC_ERR_ITEMS);
    for (i = 0; i < 80; i++) {
        deep[i] = ' ';
    }
    deep[80] = '1';
    assert_int_equal(run(v, deep, 81, 10), DVC_ERR_SIZE);
    assert_string_equal(dvc_validate_error(v, 0)->code, "limit_size");
    dvc_validate_free(v);
    dvc_schema_free(s);
}

static void
test_error_cap(void **state)
{
    dvc_schema_t          *s = compile("{\"items\":{\"type\":\"string\"}}");
    dvc_validate_limits_t  l;
    dvc_validate_ctx_t    *v;

    (void) state;
    dvc_validate_limits_default(&l);
    l.max_errors = 3;
    v = dvc_validate_new(&dvc_alloc_std, s, &l);
    assert_int_equal(run(v, S("[1,2,3,4,5,6,7]"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 3);
    assert_string_equal(dvc_validate_error(v, 2)->path, "/2");
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* The two errors of v are a's and b's keywords, in either order (they sit
 * at the same offset, the object's end). */
static int
both_keywords(dvc_validate_ctx_t *v, const char *a, const char *b)
{
    const char *k0 = dvc_validate_error(v, 0)->keyword;
    const char *k1 = dvc_validate_error(v, 1)->keyword;

    return (strcmp(k0, a) == 0 && strcmp(k1, b) == 0)
           || (strcmp(k0, b) == 0 && strcmp(k1, a) == 0);
}

/* then/else errors count only for the branch taken, in document order. */
static void
test_conditional_errors(void **state)
{
    dvc_schema_t *s = compile(
        "{\"properties\":{\"kind\":{\"enum\":[\"person\",\"company\"]},"
        "\"tax\":{\"type\":\"string\"}},"
        "\"if\":{\"properties\":{\"kind\":{\"const\":\"company\"}}},"
        "\"then\":{\"required\":[\"tax\"]},"
        "\"else\":{\"properties\":{\"tax\":false}}}");
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);

    (void) state;
    assert_int_equal(run(v, S("{\"kind\":\"company\",\"tax\":\"0101\"}"), 0),
                     DVC_VALID);
    assert_int_equal(run(v, S("{\"kind\":\"person\"}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"kind\":\"company\"}"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 1);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/tax");
    assert_string_equal(dvc_validate_error(v, 0)->keyword, "/then/required");
    assert_int_equal(run(v, S("{\"tax\":5,\"kind\":\"person\"}"), 0),
                     DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 2);
    /* both about /tax, which comes first in the document, though the else
     * branch is only decided at the end of the object: the member's key
     * (else: tax is not allowed) precedes its value (type) */
    assert_string_equal(dvc_validate_error(v, 0)->path, "/tax");
    assert_string_equal(dvc_validate_error(v, 0)->keyword,
                        "/else/properties/tax");
    assert_string_equal(dvc_validate_error(v, 0)->code, "properties");
    assert_string_equal(dvc_validate_error(v, 1)->path, "/tax");
    assert_string_equal(dvc_validate_error(v, 1)->code, "type");
    dvc_validate_free(v);
    dvc_schema_free(s);

    /* required in both branches; the if decided at the object's end by
     * itself, or through a $ref (its outcome known only in finalize) */
    s = compile(
        "{\"$defs\":{\"co\":{\"properties\":{\"kind\":{\"const\":\"co\"}},"
        "\"required\":[\"kind\"]}},"
        "\"allOf\":[{\"if\":{\"$ref\":\"#/$defs/co\"},"
        "\"then\":{\"required\":[\"tax\"]},\"else\":{\"required\":[\"id\"]}},"
        "{\"if\":{\"properties\":{\"kind\":{\"const\":\"co\"}},"
        "\"required\":[\"kind\"]},"
        "\"then\":{\"required\":[\"tax\"]},\"else\":{\"required\":[\"id\"]}}]}");
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, S("{\"kind\":\"co\",\"tax\":1}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"id\":1}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"kind\":\"co\"}"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 2);
    assert_true(both_keywords(v, "/allOf/0/then/required",
                              "/allOf/1/then/required"));
    assert_int_equal(run(v, S("{\"kind\":\"x\"}"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 2);
    assert_true(both_keywords(v, "/allOf/0/else/required",
                              "/allOf/1/else/required"));
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* Members of an object that several schemas apply to (its own properties,
 * an allOf branch, a $ref): each member's schemas check it in schema
 * order, whether the first waits as a plain leaf or meets a container. */
/* Integer bounds are compared as integers when both sides are plain
 * integers (up to 18 digits), by the exact number comparison otherwise:
 * the two must agree at every edge. */
static void
test_integer_bounds(void **state)
{
    static const struct {
        const char *schema, *value;
        int         valid;
    } cases[] = {
        { "{\"maximum\":100}", "100", 1 },
        { "{\"maximum\":100}", "101", 0 },
        { "{\"maximum\":100}", "100.0", 1 },
        { "{\"maximum\":100}", "1e2", 1 },
        { "{\"maximum\":100}", "1.001e2", 0 },
        { "{\"exclusiveMaximum\":100}", "1e2", 0 },
        { "{\"exclusiveMaximum\":100}", "99", 1 },
        { "{\"minimum\":-5}", "-5", 1 },
        { "{\"minimum\":-5}", "-6", 0 },
        { "{\"minimum\":0}", "-0", 1 },
        { "{\"exclusiveMinimum\":0}", "-0", 0 },
        { "{\"exclusiveMinimum\":0}", "1", 1 },
        { "{\"maximum\":999999999999999998}", "999999999999999999", 0 },
        { "{\"maximum\":999999999999999999}", "999999999999999999", 1 },
        /* 19 digits: past plain integers, the exact comparison decides */
        { "{\"maximum\":999999999999999999}", "1000000000000000000", 0 },
        { "{\"maximum\":1000000000000000000}", "999999999999999999", 1 },
        { "{\"maximum\":9007199254740993}", "9007199254740992", 1 },
        { "{\"maximum\":9007199254740992}", "9007199254740993", 0 },
        { "{\"maximum\":2.5}", "2", 1 },
        { "{\"maximum\":2.5}", "3", 0 },
        { "{\"minimum\":1,\"maximum\":1}", "1", 1 },
    };
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dvc_schema_t       *s = compile(cases[i].schema);
        dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);

        if (run(v, cases[i].value, strlen(cases[i].value), 0)
            != (cases[i].valid ? DVC_VALID : DVC_INVALID))
        {
            fail_msg("%s against %s: expected %s", cases[i].value,
                     cases[i].schema, cases[i].valid ? "valid" : "invalid");
        }
        dvc_validate_free(v);
        dvc_schema_free(s);
    }
}

/* Members are first tried against the property after the last one
 * matched (forms send them in the schema's order), then hashed: every
 * order, a skipped optional member, names alike in length and head, and
 * unknown names must come out as by the lookup alone. */
static void
test_members_in_schema_order(void **state)
{
    dvc_schema_t *s = compile(
        "{\"properties\":{\"province_code\":{\"type\":\"string\"},"
        "\"district_code\":{\"type\":\"string\"},"
        "\"ward\":{\"type\":\"integer\"},"
        "\"registration_agency\":{\"maxLength\":2},"
        "\"wards\":{\"type\":\"boolean\"}},"
        "\"required\":[\"province_code\",\"wards\"],"
        "\"additionalProperties\":false}");
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);

    (void) state;
    /* in order; with the optional third and fourth left out */
    assert_int_equal(run(v, S("{\"province_code\":\"01\","
                              "\"district_code\":\"005\",\"ward\":1,"
                              "\"registration_agency\":\"H\","
                              "\"wards\":true}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"province_code\":\"01\","
                              "\"district_code\":\"005\","
                              "\"wards\":true}"), 0), DVC_VALID);
    /* reversed, each member's own schema still applies */
    assert_int_equal(run(v, S("{\"wards\":1,\"registration_agency\":"
                              "\"HNX\",\"ward\":\"x\","
                              "\"district_code\":5,"
                              "\"province_code\":true}"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 5);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/wards");
    assert_string_equal(dvc_validate_error(v, 1)->path,
                        "/registration_agency");
    assert_string_equal(dvc_validate_error(v, 1)->code, "maxLength");
    assert_string_equal(dvc_validate_error(v, 2)->path, "/ward");
    assert_string_equal(dvc_validate_error(v, 3)->path, "/district_code");
    assert_string_equal(dvc_validate_error(v, 4)->path, "/province_code");
    /* names of one length and head (district_code / province_code are
     * both 13 bytes, ward / wards differ by one byte), an unknown name
     * where the next was expected, and a repeated member */
    assert_int_equal(run(v, S("{\"province_code\":\"01\","
                              "\"provinca_code\":\"01\","
                              "\"district_code\":\"005\","
                              "\"ward\":true,\"warde\":1,"
                              "\"wards\":true}"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 3);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/provinca_code");
    assert_string_equal(dvc_validate_error(v, 0)->code,
                        "additionalProperties");
    assert_string_equal(dvc_validate_error(v, 1)->path, "/ward");
    assert_string_equal(dvc_validate_error(v, 1)->code, "type");
    assert_string_equal(dvc_validate_error(v, 2)->path, "/warde");
    assert_int_equal(run(v, S("{\"wards\":true,\"province_code\":\"01\"}"),
                         0), DVC_VALID);
    assert_int_equal(run(v, S("{\"district_code\":\"005\"}"), 0),
                     DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 2);
    assert_string_equal(dvc_validate_error(v, 0)->code, "required");
    assert_string_equal(dvc_validate_error(v, 1)->code, "required");
    dvc_validate_free(v);
    dvc_schema_free(s);
}

static void
test_members_of_several_schemas(void **state)
{
    dvc_schema_t *s = compile(
        "{\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":3},"
        "\"b\":{\"minimum\":1}},"
        "\"allOf\":[{\"properties\":{\"a\":{\"pattern\":\"^[a-z]+$\"}}},"
        "{\"$ref\":\"#/$defs/o\"}],"
        "\"$defs\":{\"o\":{\"properties\":{\"c\":{\"type\":\"integer\"},"
        "\"d\":{\"required\":[\"x\"]}}}}}");
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);

    (void) state;
    assert_int_equal(run(v, S("{\"a\":\"abc\",\"b\":2,\"c\":1,"
                              "\"d\":{\"x\":1}}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"d\":5,\"b\":1.5}"), 0), DVC_VALID);
    /* one member, two schemas: the object's own first */
    assert_int_equal(run(v, S("{\"a\":\"ABCD\"}"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 2);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/a");
    assert_string_equal(dvc_validate_error(v, 0)->keyword,
                        "/properties/a/maxLength");
    assert_string_equal(dvc_validate_error(v, 1)->path, "/a");
    assert_string_equal(dvc_validate_error(v, 1)->keyword,
                        "/allOf/0/properties/a/pattern");
    /* members of one schema each, in document order; d's schema meets an
     * object and needs its instance */
    assert_int_equal(run(v, S("{\"b\":0,\"c\":\"x\",\"d\":{},\"a\":\"A\"}"),
                         0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 4);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/b");
    assert_string_equal(dvc_validate_error(v, 0)->code, "minimum");
    assert_string_equal(dvc_validate_error(v, 1)->path, "/c");
    assert_string_equal(dvc_validate_error(v, 1)->code, "type");
    assert_string_equal(dvc_validate_error(v, 2)->path, "/d/x");
    assert_string_equal(dvc_validate_error(v, 2)->code, "required");
    assert_string_equal(dvc_validate_error(v, 3)->path, "/a");
    assert_string_equal(dvc_validate_error(v, 3)->code, "pattern");
    dvc_validate_free(v);
    dvc_schema_free(s);

    /* a member's schema through a chain of bare $refs (resolved once, at
     * compile time) and through a $ref loop (never a leaf: ref_loop) */
    s = compile(
        "{\"properties\":{\"e\":{\"$ref\":\"#/$defs/s\"},"
        "\"f\":{\"$ref\":\"#/$defs/loop\"}},"
        "\"$defs\":{\"s\":{\"$ref\":\"#/$defs/s2\"},"
        "\"s2\":{\"type\":\"string\",\"maxLength\":2},"
        "\"loop\":{\"$ref\":\"#/$defs/loop\"}}}");
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, S("{\"e\":\"ab\"}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"e\":\"abc\"}"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 1);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/e");
    assert_string_equal(dvc_validate_error(v, 0)->code, "maxLength");
    assert_int_equal(run(v, S("{\"e\":[1]}"), 0), DVC_INVALID);
    assert_string_equal(dvc_validate_error(v, 0)->code, "type");
    assert_int_equal(run(v, S("{\"f\":1}"), 0), DVC_INVALID);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/f");
    assert_string_equal(dvc_validate_error(v, 0)->code, "ref_loop");
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* A compile error's exact message (the part after the resource's URI). */
static void
compile_fails_with(const char *text, const char *want)
{
    char          err[512];
    const char   *msg;
    dvc_schema_t *s;

    s = dvc_schema_compile(&dvc_alloc_std, text, strlen(text), NULL, err,
                           sizeof(err));
    if (s != NULL) {
        dvc_schema_free(s);
        fail_msg("compiled: %s", text);
    }
    msg = strstr(err, want);
    if (msg == NULL || strlen(msg) != strlen(want)) {
        fail_msg("schema %s: got \"%s\", want it to end with \"%s\"", text,
                 err, want);
    }
}

/*
 * Messages name the root as "/" (its JSON Pointer, "", read "type at :")
 * and show the bad value, as nginx -t prints them (t/040-config.t).
 */
static void
test_compile_error_messages(void **state)
{
    (void) state;
    compile_fails_with("{\"type\":\"objekt\"}",
                       "type at /: unknown type \"objekt\" (null, boolean, "
                       "integer, number, string, array, object)");
    compile_fails_with("{\"type\":[\"string\",5]}",
                       "type at /: unknown type 5 (null, boolean, integer, "
                       "number, string, array, object)");
    compile_fails_with("{\"properties\":{\"a\":{\"type\":{}}}}",
                       "type at /properties/a: unknown type an object (null, "
                       "boolean, integer, number, string, array, object)");
    /* a long value is cut at 40 bytes, on a character's boundary: "ồ" is
     * 3 bytes from byte 39 */
    compile_fails_with("{\"type\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "\xe1\xbb\x93 and more\"}",
                       "type at /: unknown type \"aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaaaaaaa\"... (null, boolean, integer, number, "
                       "string, array, object)");
    compile_fails_with("{\"minLength\":-1}",
                       "minLength at /: must be a non-negative integer, "
                       "not -1");
    compile_fails_with("{\"items\":{\"maxItems\":\"3\"}}",
                       "maxItems at /items: must be a non-negative integer, "
                       "not \"3\"");
    compile_fails_with("{\"multipleOf\":0}",
                       "multipleOf at /: must be a positive number, not 0");
    compile_fails_with("{\"uniqueItems\":\"yes\"}",
                       "uniqueItems at /: must be a boolean, not \"yes\"");
    compile_fails_with("{\"not\":5}",
                       "not at /: must be a schema (object or boolean), "
                       "not 5");
    compile_fails_with("null",
                       "schema at /: must be a schema (object or boolean), "
                       "not null");
    compile_fails_with("{\"enum\":3}", "enum at /: must be an array");
    compile_fails_with("{\"required\":[1]}",
                       "required at /: must list strings");
}

static void
test_compile_errors(void **state)
{
    char          err[512];
    dvc_schema_t *s;

    (void) state;
    s = dvc_schema_compile(&dvc_alloc_std, S("{\"type\":"), NULL, err,
                           sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "not JSON"));
    s = dvc_schema_compile(&dvc_alloc_std,
                           S("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/no\"}}}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "/properties/a"));
    s = dvc_schema_compile(&dvc_alloc_std, S("{\"pattern\":\"(\"}"), NULL,
                           err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "pattern"));
    s = dvc_schema_compile(&dvc_alloc_std, S("{\"minLength\":-1}"), NULL,
                           err, sizeof(err));
    assert_null(s);
    s = dvc_schema_compile(&dvc_alloc_std, S("{\"type\":\"strin\"}"), NULL,
                           err, sizeof(err));
    assert_null(s);
    s = dvc_schema_compile(&dvc_alloc_std, S("{\"$ref\":\"other.json\"}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "cannot resolve"));
    /* a schema's text is held to RFC 3629 as a document is: an overlong
     * in a title, a surrogate in an enum value; a syntax error before the
     * bad bytes is the one reported */
    s = dvc_schema_compile(&dvc_alloc_std, S("{\"title\":\"Tr\xc0\xa9\"}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, ": not JSON at byte 12: invalid UTF-8"));
    s = dvc_schema_compile(&dvc_alloc_std, S("{\"enum\":[\"\xed\xa0\x80\"]}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, ": not JSON at byte 10: invalid UTF-8"));
    s = dvc_schema_compile(&dvc_alloc_std, S("{\"enum\":[,\"\xc0\xaf\"]}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "not JSON"));
    assert_null(strstr(err, "UTF-8"));
    s = dvc_schema_compile(&dvc_alloc_std,
                           S("{\"title\":\"H\xe1\xbb\x93 s\xc6\xa1 khai sinh\","
                             "\"enum\":[\"\xf0\xa0\x80\x80\"]}"),
                           NULL, err, sizeof(err));
    assert_non_null(s);
    dvc_schema_free(s);
    /* unknown keywords are annotations */
    s = dvc_schema_compile(&dvc_alloc_std,
                           S("{\"x-dvc\":{\"code\":\"1.000001\"},\"type\":\"object\"}"),
                           NULL, err, sizeof(err));
    assert_non_null(s);
    dvc_schema_free(s);
}

/* Member names are hashed and copied into the path eight bytes at a time:
 * '~' and '/' must be escaped wherever they sit (first word, overlapping
 * tail, short names), and names must still find their properties. */
static void
test_key_escapes(void **state)
{
    static const char *keys[] = {
        "a/", "~", "abcdefg/", "abcdefgh~", "/bcdefghijklmnop",
        "abcdefghijklmnopq/", "a/b~c/d~e/f~g/h~i/j", "abcdefghijklmnop",
    };
    static const char *paths[] = {
        "/a~1", "/~0", "/abcdefg~1", "/abcdefgh~0", "/~1bcdefghijklmnop",
        "/abcdefghijklmnopq~1", "/a~1b~0c~1d~0e~1f~0g~1h~0i~1j",
        "/abcdefghijklmnop",
    };
    dvc_schema_t       *s;
    dvc_validate_ctx_t *v;
    char                doc[512];
    size_t              i, n = 0;

    (void) state;
    s = compile("{\"properties\":{\"abcdefghijklmnop\":{\"type\":\"string\"},"
                "\"a/b~c/d~e/f~g/h~i/j\":{\"type\":\"string\"}},"
                "\"additionalProperties\":{\"type\":\"string\"}}");
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    doc[n++] = '{';
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        n += (size_t) snprintf(doc + n, sizeof(doc) - n, "%s\"%s\":%zu",
                               i ? "," : "", keys[i], i);
    }
    doc[n++] = '}';
    assert_int_equal(run(v, doc, n, 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 8);
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        assert_string_equal(dvc_validate_error(v, i)->path, paths[i]);
        assert_string_equal(dvc_validate_error(v, i)->code, "type");
    }
    assert_non_null(strstr(dvc_validate_error(v, 6)->keyword,
                           "/properties/a~1b~0c~1d~0e~1f~0g~1h~0i~1j/type"));
    assert_non_null(strstr(dvc_validate_error(v, 7)->keyword,
                           "/properties/abcdefghijklmnop/type"));
    assert_non_null(strstr(dvc_validate_error(v, 0)->keyword,
                           "/additionalProperties/type"));
    dvc_validate_free(v);
    dvc_schema_free(s);

    /* nested: names escaped at every depth, items left as they are, for
     * errors at a value, at an object's end (required) and past a
     * container's end (maxItems) */
    s = compile("{\"properties\":{\"a/b\":{\"maxItems\":1,\"items\":"
                "{\"properties\":{\"c~d\":{\"required\":[\"x/y\"],"
                "\"additionalProperties\":{\"type\":\"string\"}}}}}}}");
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, S("{\"a/b\":[{\"c~d\":{\"e/f~\":1}},"
                              "{\"c~d\":{\"x/y\":\"ok\"}}]}"), 3),
                     DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 3);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/a~1b/0/c~0d/e~1f~0");
    assert_string_equal(dvc_validate_error(v, 0)->code, "type");
    assert_string_equal(dvc_validate_error(v, 1)->path, "/a~1b/0/c~0d/x~1y");
    assert_string_equal(dvc_validate_error(v, 1)->code, "required");
    assert_string_equal(dvc_validate_error(v, 2)->path, "/a~1b");
    assert_string_equal(dvc_validate_error(v, 2)->code, "maxItems");
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* enum strings and member names compare by words up to 32 bytes: a
 * difference at any byte of any length must be seen */
static void
test_word_compares(void **state)
{
    static const char base[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char                schema[256], doc[128], name[64];
    dvc_schema_t       *s;
    dvc_validate_ctx_t *v;
    size_t              len, i;

    (void) state;
    for (len = 1; len <= 36; len++) {
        snprintf(schema, sizeof(schema),
                 "{\"properties\":{\"%.*s\":{\"enum\":[\"%.*s\"]}},"
                 "\"additionalProperties\":false}", (int) len, base,
                 (int) len, base);
        s = compile(schema);
        v = dvc_validate_new(&dvc_alloc_std, s, NULL);
        snprintf(doc, sizeof(doc), "{\"%.*s\":\"%.*s\"}", (int) len, base,
                 (int) len, base);
        assert_int_equal(run(v, doc, strlen(doc), 0), DVC_VALID);
        for (i = 0; i < len; i++) {
            memcpy(name, base, len);
            name[i] = '_';
            /* the value differs at byte i: enum */
            snprintf(doc, sizeof(doc), "{\"%.*s\":\"%.*s\"}", (int) len, base,
                     (int) len, name);
            assert_int_equal(run(v, doc, strlen(doc), 0), DVC_INVALID);
            assert_string_equal(dvc_validate_error(v, 0)->code, "enum");
            /* the name differs at byte i: not a property */
            snprintf(doc, sizeof(doc), "{\"%.*s\":\"%.*s\"}", (int) len, name,
                     (int) len, base);
            assert_int_equal(run(v, doc, strlen(doc), 0), DVC_INVALID);
            assert_string_equal(dvc_validate_error(v, 0)->code,
                                "additionalProperties");
        }
        dvc_validate_free(v);
        dvc_schema_free(s);
    }
}

/* $ref loops that branch (found by fuzzing: 2 GB before the depth bound
 * stopped them): the live instances are bounded, the value is refused as
 * a reference loop, quickly and in bounded memory */
static void
test_branching_ref_loop(void **state)
{
    dvc_schema_t       *s;
    dvc_validate_ctx_t *v;
    clock_t             t0 = clock();
    size_t              i, n;

    (void) state;
    s = compile("{\"$defs\":{"
                "\"a\":{\"oneOf\":[{\"$ref\":\"#/$defs/b\"},"
                "                 {\"$ref\":\"#/$defs/b\"},{\"required\":[\"x\"]}]},"
                "\"b\":{\"anyOf\":[{\"$ref\":\"#/$defs/a\"},"
                "                 {\"$ref\":\"#/$defs/a\"},{\"required\":[\"y\"]}]}},"
                "\"$ref\":\"#/$defs/a\"}");
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    /* the loop is cut (a "ref_loop" inside the alternatives), which leaves
     * no alternative of the root's oneOf alone valid */
    assert_int_equal(run(v, S("{\"x\":1}"), 0), DVC_INVALID);
    n = dvc_validate_error_count(v);
    assert_true(n > 0);
    assert_string_equal(dvc_validate_error(v, n - 1)->code, "oneOf");
    /* the same answer split anywhere */
    for (i = 1; i < 7; i++) {
        assert_int_equal(run(v, S("{\"x\":1}"), i), DVC_INVALID);
        assert_int_equal(dvc_validate_error_count(v), n);
    }
    assert_true((double) (clock() - t0) / CLOCKS_PER_SEC < 5.0);
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* A schema and a dossier as files: $ref to another file of the folder. */
static void
test_files(void **state)
{
    char                tmpl[] = "/tmp/dvc-schema-XXXXXX", path[256], err[512];
    FILE               *f;
    dvc_schema_t       *s;
    dvc_validate_ctx_t *v;

    (void) state;
    assert_non_null(mkdtemp(tmpl));
    snprintf(path, sizeof(path), "%s/common.json", tmpl);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"$defs\":{\"phone\":{\"type\":\"string\",\"pattern\":\"^0[0-9]{9}$\"}}}",
          f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/proc.json", tmpl);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"properties\":{\"phone\":{\"$ref\":\"common.json#/$defs/phone\"}}}",
          f);
    fclose(f);
    s = dvc_schema_compile_file(&dvc_alloc_std, path, NULL, err, sizeof(err));
    if (s == NULL) {
        fail_msg("%s", err);
    }
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, S("{\"phone\":\"0912345678\"}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"phone\":\"912345678\"}"), 0), DVC_INVALID);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/phone");
    assert_non_null(strstr(dvc_validate_error(v, 0)->keyword,
                           "common.json#/$defs/phone/pattern"));
    dvc_validate_free(v);
    dvc_schema_free(s);
    unlink(path);
    snprintf(path, sizeof(path), "%s/common.json", tmpl);
    unlink(path);
    rmdir(tmpl);
}

/* opt.maps: a URI prefix read from a folder, an extensionless URI (as the
 * meta-schemas name themselves) from its .json file; an unmapped prefix
 * stays unresolvable. */
static void
test_uri_map(void **state)
{
    char                 tmpl[] = "/tmp/dvc-map-XXXXXX", path[256], err[512];
    const char          *schema = "{\"$ref\":\"https://example.vn/s/meta/id\"}";
    FILE                *f;
    dvc_schema_t        *s;
    dvc_validate_ctx_t  *v;
    dvc_schema_options_t opt;
    dvc_schema_map_t     map;

    (void) state;
    assert_non_null(mkdtemp(tmpl));
    snprintf(path, sizeof(path), "%s/meta", tmpl);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/meta/id.json", tmpl);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"$id\":\"https://example.vn/s/meta/id\",\"$ref\":\"digits\","
          "\"$defs\":{\"d\":{\"$id\":\"digits\",\"pattern\":\"^[0-9]{12}$\"}}}",
          f);
    fclose(f);

    memset(&opt, 0, sizeof(opt));
    s = dvc_schema_compile(&dvc_alloc_std, schema, strlen(schema), &opt, err,
                           sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "https://example.vn/s/meta/id"));

    map.prefix = "https://example.vn/s/";
    map.dir = tmpl;
    opt.maps = &map;
    opt.nmaps = 1;
    s = dvc_schema_compile(&dvc_alloc_std, schema, strlen(schema), &opt, err,
                           sizeof(err));
    if (s == NULL) {
        fail_msg("%s", err);
    }
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, S("\"001099012345\""), 0), DVC_VALID);
    assert_int_equal(run(v, S("\"00109901234\""), 0), DVC_INVALID);
    assert_non_null(strstr(dvc_validate_error(v, 0)->keyword,
                           "https://example.vn/s/meta/id#/$defs/d/pattern"));
    dvc_validate_free(v);
    dvc_schema_free(s);
    unlink(path);
    snprintf(path, sizeof(path), "%s/meta", tmpl);
    rmdir(path);
    rmdir(tmpl);
}

/* Counting allocator: every byte the validator takes it gives back. */
typedef struct {
    long live;
} counter_t;

static void *
c_malloc(void *ud, size_t n)
{
    ((counter_t *) ud)->live++;
    return malloc(n);
}

static void *
c_realloc(void *ud, void *p, size_t o, size_t n)
{
    (void) o;
    if (p == NULL) {
        ((counter_t *) ud)->live++;
    }
    return realloc(p, n);
}

static void
c_free(void *ud, void *p)
{
    if (p != NULL) {
        ((counter_t *) ud)->live--;
    }
    free(p);
}

static void
test_allocator(void **state)
{
    counter_t           cnt = { 0 };
    dvc_alloc_t         a = { c_malloc, c_realloc, c_free, &cnt };
    char                err[256];
    dvc_schema_t       *s;
    dvc_validate_ctx_t *v;

    (void) state;
    s = dvc_schema_compile(&a, dossier_schema, strlen(dossier_schema), NULL,
                           err, sizeof(err));
    assert_non_null(s);
    v = dvc_validate_new(&a, s, NULL);
    assert_non_null(v);
    assert_int_equal(run(v, S("{\"name\":\"x\",\"phones\":[[1],[1]]}"), 1),
                     DVC_INVALID);
    assert_int_equal(run(v, S("{\"name\":[[[[[[\"x\""), 0),
                     DVC_ERR_INCOMPLETE);
    dvc_validate_free(v);
    dvc_schema_free(s);
    assert_int_equal(cnt.live, 0);
}

/* When no alternative fits, the closest one's errors say what to fix; the
 * errors of alternatives that did not matter are recycled, so a long
 * document full of them still gets its real errors reported. */
static void
test_alternatives(void **state)
{
    dvc_schema_t *s = compile(
        "{\"items\":{\"oneOf\":["
        "{\"type\":\"object\",\"required\":[\"cccd\"],"
        " \"properties\":{\"kind\":{\"const\":\"person\"},"
        "                 \"cccd\":{\"pattern\":\"^[0-9]{12}$\"}}},"
        "{\"type\":\"object\",\"required\":[\"tax\",\"name\"],"
        " \"properties\":{\"kind\":{\"const\":\"company\"}}}]}}");
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    dvc_buf_t           b;
    size_t              i;

    (void) state;
    assert_int_equal(run(v, S("[{\"kind\":\"person\",\"cccd\":\"12\"}]"),
                         0), DVC_INVALID);
    /* the person branch (1 error) beats the company one (3) */
    assert_int_equal(dvc_validate_error_count(v), 2);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/0/cccd");
    assert_string_equal(dvc_validate_error(v, 0)->code, "pattern");
    assert_string_equal(dvc_validate_error(v, 0)->keyword,
                        "/items/oneOf/0/properties/cccd/pattern");
    assert_string_equal(dvc_validate_error(v, 1)->path, "/0");
    assert_string_equal(dvc_validate_error(v, 1)->code, "oneOf");

    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_buf_putc(&b, '[');
    for (i = 0; i < 20000; i++) {
        dvc_buf_puts(&b, "{\"kind\":\"company\",\"tax\":\"1\",\"name\":\"A\"},");
    }
    dvc_buf_puts(&b, "{\"kind\":\"company\",\"tax\":\"1\"}]");
    assert_int_equal(run(v, b.data, b.len, 4096), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 2);
    assert_string_equal(dvc_validate_error(v, 0)->path, "/20000/name");
    assert_string_equal(dvc_validate_error(v, 0)->code, "required");
    dvc_buf_free(&b);
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* uniqueItems on big arrays goes through hashes: equal values written
 * differently must still collide, and 100,000 distinct items stay fast. */
static void
test_unique_items_large(void **state)
{
    dvc_schema_t       *s = compile("{\"uniqueItems\":true}");
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    dvc_buf_t           b;
    size_t              i;
    const char         *twins[][2] = {
        { "1", "1.0" }, { "100", "1e2" }, { "0.5", "5e-1" },
        { "-0", "0.0" }, { "12345678901234567890", "1.234567890123456789e19" },
        { "{\"a\":1,\"b\":[2]}", "{\"b\":[2.0],\"a\":1}" },
        { "\"H\xC3\xA0\"", "\"Ha\xCC\x80\"" },
    };

    (void) state;
    dvc_buf_init(&b, &dvc_alloc_std);
    for (i = 0; i < sizeof(twins) / sizeof(twins[0]); i++) {
        size_t k;

        dvc_buf_reset(&b);
        dvc_buf_putc(&b, '[');
        for (k = 0; k < 40; k++) {
            dvc_buf_printf(&b, "%zu,\"s%zu\",{\"k\":%zu},", k + 1000, k, k);
        }
        dvc_buf_puts(&b, twins[i][0]);
        for (k = 40; k < 80; k++) {
            dvc_buf_printf(&b, ",%zu.5", k);
        }
        dvc_buf_putc(&b, ',');
        dvc_buf_puts(&b, twins[i][1]);
        dvc_buf_putc(&b, ']');
        assert_int_equal(run(v, b.data, b.len, 0), DVC_INVALID);
        assert_string_equal(dvc_validate_error(v, 0)->code, "uniqueItems");
        /* without the twin the array is unique */
        dvc_buf_reset(&b);
        dvc_buf_putc(&b, '[');
        for (k = 0; k < 40; k++) {
            dvc_buf_printf(&b, "%zu,\"s%zu\",{\"k\":%zu},", k + 1000, k, k);
        }
        dvc_buf_puts(&b, twins[i][0]);
        dvc_buf_putc(&b, ']');
        assert_int_equal(run(v, b.data, b.len, 0), DVC_VALID);
    }
    dvc_buf_reset(&b);
    dvc_buf_putc(&b, '[');
    for (i = 0; i < 99999; i++) {
        dvc_buf_printf(&b, "%zu,", i);
    }
    dvc_buf_puts(&b, "99999]");
    assert_int_equal(run(v, b.data, b.len, 0), DVC_VALID);
    b.data[b.len - 2] = '8';    /* ..., 99998, 99998] */
    assert_int_equal(run(v, b.data, b.len, 0), DVC_INVALID);
    dvc_buf_free(&b);
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* Our defaults: format asserted, strings compared in NFC; the suite's
 * rules on request. */
static void
test_options(void **state)
{
    /* "Hà Nội" composed (U+00E0, U+1ED9) and decomposed (a U+0300,
     * o U+0323 U+0302) */
    const char          *schema = "{\"properties\":{\"city\":{\"enum\":"
                                  "[\"H\xC3\xA0 N\xE1\xBB\x99i\"]},"
                                  "\"email\":{\"format\":\"email\"}}}";
    const char          *decomposed =
        "{\"city\":\"Ha\xCC\x80 No\xCC\xA3\xCC\x82i\"}";
    dvc_schema_options_t opt;
    dvc_schema_t        *s;
    dvc_validate_ctx_t  *v;
    char                 err[256];

    (void) state;
    s = compile(schema);
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, decomposed, strlen(decomposed), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"email\":\"lan@example.vn\"}"), 0),
                     DVC_VALID);
    assert_int_equal(run(v, S("{\"email\":\"lan@@example.vn\"}"), 0),
                     DVC_INVALID);
    assert_string_equal(dvc_validate_error(v, 0)->code, "format");
    assert_string_equal(dvc_validate_error(v, 0)->keyword,
                        "/properties/email/format");
    assert_string_equal(dvc_validate_error(v, 0)->message_en,
                        "Not a valid e-mail address");
    assert_string_equal(dvc_validate_error(v, 0)->message_vi,
                        "Địa chỉ thư điện tử không hợp lệ");
    dvc_validate_free(v);
    dvc_schema_free(s);

    memset(&opt, 0, sizeof(opt));
    opt.format_annotation = 1;
    opt.exact_strings = 1;
    s = dvc_schema_compile(&dvc_alloc_std, schema, strlen(schema), &opt, err,
                           sizeof(err));
    assert_non_null(s);
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, decomposed, strlen(decomposed), 0), DVC_INVALID);
    assert_string_equal(dvc_validate_error(v, 0)->code, "enum");
    assert_int_equal(run(v, S("{\"email\":\"lan@@example.vn\"}"), 0),
                     DVC_VALID);
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* draft 7's "dependencies" (both forms, beside dependentRequired and
 * dependentSchemas), the same name twice refused; the built-in 2020-12
 * meta-schema, with no file and no option. */
static void
test_dependencies_and_metaschema(void **state)
{
    char                err[512];
    dvc_schema_t       *s;
    dvc_validate_ctx_t *v;

    (void) state;
    s = compile("{\"dependencies\":{\"a\":[\"b\"],"
                "\"c\":{\"required\":[\"d\"]}},"
                "\"dependentRequired\":{\"e\":[\"f\"]}}");
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, S("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}"), 0),
                     DVC_VALID);
    assert_int_equal(run(v, S("{\"b\":1,\"d\":2,\"f\":3}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"a\":1,\"c\":2,\"e\":3}"), 0), DVC_INVALID);
    assert_int_equal(dvc_validate_error_count(v), 3);
    /* the array form's code is dependentRequired (its 2020-12 name), its
     * keyword location the one written */
    assert_string_equal(dvc_validate_error(v, 0)->code, "dependentRequired");
    assert_string_equal(dvc_validate_error(v, 0)->path, "/b");
    assert_string_equal(dvc_validate_error(v, 0)->keyword, "/dependencies");
    assert_string_equal(dvc_validate_error(v, 1)->path, "/f");
    assert_string_equal(dvc_validate_error(v, 1)->keyword, "/dependentRequired");
    assert_string_equal(dvc_validate_error(v, 2)->code, "required");
    assert_string_equal(dvc_validate_error(v, 2)->path, "/d");
    assert_string_equal(dvc_validate_error(v, 2)->keyword,
                        "/dependencies/c/required");
    assert_int_equal(run(v, S("[1]"), 0), DVC_VALID);
    dvc_validate_free(v);
    dvc_schema_free(s);

    s = dvc_schema_compile(&dvc_alloc_std,
                           S("{\"dependencies\":{\"a\":[\"b\"]},"
                             "\"dependentRequired\":{\"a\":[\"c\"]}}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "both list what \"a\" requires"));
    s = dvc_schema_compile(&dvc_alloc_std,
                           S("{\"dependencies\":{\"a\":true},"
                             "\"dependentSchemas\":{\"a\":false}}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "both give \"a\" a schema"));
    s = dvc_schema_compile(&dvc_alloc_std, S("{\"dependencies\":[\"a\"]}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "dependencies at"));

    /* an earlier draft is refused, at the root or in an embedded resource,
     * rather than read by 2020-12's rules */
    s = dvc_schema_compile(&dvc_alloc_std,
                           S("{\"$schema\":\"http://json-schema.org/draft-07/"
                             "schema#\",\"items\":[{\"type\":\"string\"}]}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "draft-07/schema#\" at /: that draft is not "
                                "implemented"));
    s = dvc_schema_compile(&dvc_alloc_std,
                           S("{\"$defs\":{\"a\":{\"$id\":\"https://x.vn/a\","
                             "\"$schema\":\"https://json-schema.org/draft/"
                             "2019-09/schema\"}}}"),
                           NULL, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "at /$defs/a: that draft"));

    s = compile("{\"$ref\":\"https://json-schema.org/draft/2020-12/schema\"}");
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, S("{\"type\":\"object\",\"properties\":"
                              "{\"a\":{\"minLength\":1}}}"), 0), DVC_VALID);
    assert_int_equal(run(v, S("{\"properties\":{\"a\":{\"minLength\":-1}}}"),
                         0), DVC_INVALID);
    assert_string_equal(dvc_validate_error(v, 0)->path,
                        "/properties/a/minLength");
    assert_int_equal(run(v, S("{\"type\":12}"), 0), DVC_INVALID);
    dvc_validate_free(v);
    dvc_schema_free(s);
}

/* A dialect listing the format-assertion vocabulary (true or false: we
 * know it) asserts format even with format_annotation, and refuses a
 * format it does not know (2020-12 validation section 7.2.3). */
static void
test_format_assertion_dialect(void **state)
{
    char                  tmpl[] = "/tmp/dvc-schema-XXXXXX", path[256],
                          text[512], err[512];
    FILE                 *f;
    dvc_schema_options_t  opt;
    dvc_schema_t         *s;
    dvc_validate_ctx_t   *v;

    (void) state;
    assert_non_null(mkdtemp(tmpl));
    snprintf(path, sizeof(path), "%s/meta.json", tmpl);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
          "\"$vocabulary\":{"
          "\"https://json-schema.org/draft/2020-12/vocab/core\":true,"
          "\"https://json-schema.org/draft/2020-12/vocab/validation\":true,"
          "\"https://json-schema.org/draft/2020-12/vocab/format-assertion\":"
          "false}}", f);
    fclose(f);
    memset(&opt, 0, sizeof(opt));
    opt.format_annotation = 1;
    snprintf(text, sizeof(text), "{\"$schema\":\"file://%s\","
             "\"format\":\"ipv4\"}", path);
    s = dvc_schema_compile(&dvc_alloc_std, text, strlen(text), &opt, err,
                           sizeof(err));
    if (s == NULL) {
        fail_msg("%s", err);
    }
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    assert_int_equal(run(v, S("\"192.0.2.1\""), 0), DVC_VALID);
    assert_int_equal(run(v, S("\"not-an-ipv4\""), 0), DVC_INVALID);
    dvc_validate_free(v);
    dvc_schema_free(s);
    snprintf(text, sizeof(text), "{\"$schema\":\"file://%s\","
             "\"format\":\"no-such-format\"}", path);
    s = dvc_schema_compile(&dvc_alloc_std, text, strlen(text), &opt, err,
                           sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, "format \"no-such-format\""));
    /* the standard dialect: an unknown format is an annotation */
    s = compile("{\"format\":\"no-such-format\"}");
    dvc_schema_free(s);
    unlink(path);
    rmdir(tmpl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_and_errors),
        cmocka_unit_test(test_required_points_at_member),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_utf8_strict),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_conditional_errors),
        cmocka_unit_test(test_members_of_several_schemas),
        cmocka_unit_test(test_members_in_schema_order),
        cmocka_unit_test(test_integer_bounds),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_compile_error_messages),
        cmocka_unit_test(test_key_escapes),
        cmocka_unit_test(test_branching_ref_loop),
        cmocka_unit_test(test_word_compares),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_uri_map),
        cmocka_unit_test(test_allocator),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_unique_items_large),
        cmocka_unit_test(test_alternatives),
        cmocka_unit_test(test_dependencies_and_metaschema),
        cmocka_unit_test(test_format_assertion_dialect),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
