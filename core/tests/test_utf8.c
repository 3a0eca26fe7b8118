/* UTF-8 checks (RFC 3629): where the first bad byte is, for error offsets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_utf8.h"

#define U(x) (const unsigned char *) (x), sizeof(x) - 1

static void
test_invalid_at(void **state)
{
    (void) state;
    assert_int_equal(dvc_utf8_invalid_at(U("")), 0);
    assert_int_equal(dvc_utf8_invalid_at(U("abc")), 3);
    /* "Tốt" is 5 bytes, all valid */
    assert_int_equal(dvc_utf8_invalid_at(U("T\xe1\xbb\x91t")), 5);
    assert_int_equal(dvc_utf8_invalid_at(U("ab\x80" "c")), 2);      /* lone continuation */
    assert_int_equal(dvc_utf8_invalid_at(U("ab\xc0\xaf")), 2);      /* overlong '/' */
    assert_int_equal(dvc_utf8_invalid_at(U("a\xed\xa0\x80")), 1);   /* encoded surrogate */
    assert_int_equal(dvc_utf8_invalid_at(U("\xf4\x90\x80\x80")), 0); /* past U+10FFFF */
    assert_int_equal(dvc_utf8_invalid_at(U("T\xe1\xbb\x91t\xe1\xbb")), 5); /* cut short */
    assert_int_equal(dvc_utf8_invalid_at(U("\xf0\x9f\x98\x80x\xff")), 5); /* after an emoji */
}

/* RFC 3629 read literally, one code point at a time: the reference the
 * table-driven check must agree with. */
static size_t
reference_len(const unsigned char *s, size_t len)
{
    uint32_t  cp, min;
    size_t    n, i;

    if (len == 0) {
        return 0;
    }
    if (s[0] < 0x80) {
        return 1;
    } else if ((s[0] & 0xE0) == 0xC0) {
        n = 2, cp = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, cp = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, cp = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

/* Every 1- and 2-byte string, every 3-byte one with a 3-byte lead, and the
 * 4-byte ones with each lead F0-FF against every second byte (third and
 * fourth at the edges of the continuation range). */
static void
test_against_reference(void **state)
{
    static const unsigned char  edge[] = { 0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xFF };
    unsigned char               b[4];
    unsigned                    c0, c1, c2, k2, k3;
    uint32_t                    cp;

    (void) state;
    for (c0 = 0; c0 < 256; c0++) {
        b[0] = (unsigned char) c0;
        assert_int_equal(dvc_utf8_valid_prefix(b, 1), reference_len(b, 1));
        for (c1 = 0; c1 < 256; c1++) {
            b[1] = (unsigned char) c1;
            assert_int_equal(dvc_utf8_valid_prefix(b, 2), reference_len(b, 2));
            assert_int_equal(dvc_utf8_invalid_at(b, 2) == 2,
                             reference_len(b, 2) == 2
                             || (reference_len(b, 1) == 1
                                 && reference_len(b + 1, 1) == 1));
        }
    }
    for (c0 = 0xE0; c0 <= 0xEF; c0++) {
        for (c1 = 0; c1 < 256; c1++) {
            for (c2 = 0; c2 < 256; c2++) {
                b[0] = (unsigned char) c0;
                b[1] = (unsigned char) c1;
                b[2] = (unsigned char) c2;
                assert_int_equal(dvc_utf8_valid_prefix(b, 3),
                                 reference_len(b, 3));
                assert_int_equal(dvc_utf8_decode(b, 3, &cp),
                                 reference_len(b, 3));
            }
        }
    }
    for (c0 = 0xF0; c0 <= 0xFF; c0++) {
        for (c1 = 0; c1 < 256; c1++) {
            for (k2 = 0; k2 < sizeof(edge); k2++) {
                for (k3 = 0; k3 < sizeof(edge); k3++) {
                    b[0] = (unsigned char) c0;
                    b[1] = (unsigned char) c1;
                    b[2] = edge[k2];
                    b[3] = edge[k3];
                    assert_int_equal(dvc_utf8_valid_prefix(b, 4),
                                     reference_len(b, 4));
                    assert_int_equal(dvc_utf8_invalid_at(b, 4) == 4,
                                     reference_len(b, 4) == 4);
                }
            }
        }
    }
    /* the decoded values at the edges of each length */
    assert_int_equal(dvc_utf8_decode(U("\xc2\x80"), &cp), 2);
    assert_int_equal(cp, 0x80);
    assert_int_equal(dvc_utf8_decode(U("\xe1\xbb\x85"), &cp), 3);   /* ễ */
    assert_int_equal(cp, 0x1EC5);
    assert_int_equal(dvc_utf8_decode(U("\xef\xbf\xbf"), &cp), 3);
    assert_int_equal(cp, 0xFFFF);
    assert_int_equal(dvc_utf8_decode(U("\xf4\x8f\xbf\xbf"), &cp), 4);
    assert_int_equal(cp, 0x10FFFF);
    assert_int_equal(dvc_utf8_decode(U("\xf0\xa0\x80\x80"), &cp), 4); /* 𠀀 */
    assert_int_equal(cp, 0x20000);
}

/* 1 if some bytes after the `have` bytes of pre make a valid sequence (past
 * the second byte RFC 3629 only asks for 80-BF, so 80 stands for them). */
static int
completes(const unsigned char *pre, size_t have)
{
    unsigned char  b[4];
    size_t         n, k;
    unsigned       x;

    for (n = have + 1; n <= 4; n++) {
        for (x = 0; x < 256; x++) {
            memcpy(b, pre, have);
            b[have] = (unsigned char) x;
            for (k = have + 1; k < n; k++) {
                b[k] = 0x80;
            }
            if (reference_len(b, n) == n) {
                return 1;
            }
        }
    }
    return 0;
}

/* A buffer that ends inside a sequence: the stream holds it if it can
 * still be completed, and refuses it at once if it cannot. */
static void
test_stream_cut_judged_early(void **state)
{
    static const unsigned char  edge[] = { 0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xFF };
    dvc_utf8_stream_t           u;
    dvc_utf8_span_t             span;
    unsigned char               b[3];
    unsigned                    c0, c1, k2;
    size_t                      at;
    int                         held;

    (void) state;
    for (c0 = 0x80; c0 < 256; c0++) {
        b[0] = (unsigned char) c0;
        dvc_utf8_stream_reset(&u);
        held = dvc_utf8_stream_feed(&u, b, 1, 0, &span) == 0;
        assert_int_equal(held, completes(b, 1));
        assert_int_equal(span.to, 0);       /* nothing to read yet */
        if (held) {
            assert_int_equal(dvc_utf8_stream_end(&u, &at), -1);
            assert_int_equal(at, 0);
        } else {
            assert_int_equal(span.at, 0);
        }
        for (c1 = 0; c1 < 256 && c0 >= 0xE0; c1++) {
            b[1] = (unsigned char) c1;
            dvc_utf8_stream_reset(&u);
            held = dvc_utf8_stream_feed(&u, b, 2, 0, &span) == 0;
            assert_int_equal(held, completes(b, 2));
            for (k2 = 0; k2 < sizeof(edge) && c0 >= 0xF0; k2++) {
                b[2] = edge[k2];
                dvc_utf8_stream_reset(&u);
                held = dvc_utf8_stream_feed(&u, b, 3, 0, &span) == 0;
                assert_int_equal(held, completes(b, 3));
            }
        }
    }
}

/* Where the stream says the first bad sequence is, fed in the buffers of
 * cuts[] (offsets, ascending, ending with len); (size_t) -1 if none.  What
 * it lets a parser read, in order, must be exactly the text's bytes up to
 * that sequence (or up to a sequence the end cuts). */
static size_t
stream_verdict(const unsigned char *s, size_t len, const size_t *cuts,
    size_t ncuts)
{
    dvc_utf8_stream_t  u;
    dvc_utf8_span_t    span;
    unsigned char      read[64];
    size_t             k, from = 0, at = (size_t) -1, nread = 0;

    assert_true(ncuts == 0 || cuts[ncuts - 1] == len);
    assert_true(len <= sizeof(read));
    memset(&u, 0xAA, sizeof(u));
    dvc_utf8_stream_reset(&u);
    for (k = 0; k < ncuts; k++) {
        memset(&span, 0xAA, sizeof(span));
        if (dvc_utf8_stream_feed(&u, s + from, cuts[k] - from, from, &span)
            != 0)
        {
            at = span.at;
        }
        assert_true(span.joined <= 4);
        assert_true(span.from <= span.to && span.to <= cuts[k] - from);
        memcpy(read + nread, u.joined, span.joined);
        nread += span.joined;
        memcpy(read + nread, s + from + span.from, span.to - span.from);
        nread += span.to - span.from;
        if (at != (size_t) -1) {
            break;
        }
        from = cuts[k];
    }
    if (at == (size_t) -1 && dvc_utf8_stream_end(&u, &at) != 0) {
        assert_true(at < len);
    } else if (at == (size_t) -1) {
        assert_int_equal(nread, len);
    }
    if (at != (size_t) -1) {
        assert_int_equal(nread, at);
    }
    assert_memory_equal(read, s, nread);
    return at;
}

/* The stream agrees with dvc_utf8_invalid_at of the whole text however it
 * is cut: at every one point, at every two points, and byte by byte. */
static void
test_stream_every_cut(void **state)
{
    static const char *texts[] = {
        /* NFC "Nguyễn Thị Ánh Tuyết, Đắk Lắk" and its NFD form */
        "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b \xc3\x81nh Tuy\xe1\xba\xbft, "
        "\xc4\x90\xe1\xba\xaf" "k L\xe1\xba\xaf" "k",
        "Nguye\xcc\x82\xcc\x83n Thi\xcc\xa3 A\xcc\x81nh",
        "\xf0\xa0\x80\x80\xf0\x9f\x98\x80 ok",       /* 4-byte */
        "abcdefgh\xe1\xbb\x85" "abcdefghijklmnop\xc3\xa0",
        "abcdefghij\xc0\xaf" "xyz",                      /* overlong 2 */
        "ab\xe0\x80\xaf" "cd",                          /* overlong 3 */
        "\xf0\x80\x80\xaf",                            /* overlong 4 */
        "Vi\xe1\xbb\x87t \xed\xa0\x80",              /* surrogate */
        "\xed\xbf\xbf",
        "\xed\x9f\xbf \xee\x80\x80",                 /* around them */
        "x\xf4\x90\x80\x80",                           /* > U+10FFFF */
        "x\xf4\x8f\xbf\xbf",                           /* = U+10FFFF */
        "x\xf5\x80\x80\x80", "\xf8", "\xfe\xff",      /* F5..FF */
        "12345678\x80", "\xbf" "abc",                    /* continuations */
        "T\xe1\xbb\x91t\xe1\xbb",                       /* cut at the end */
        "T\xe1\xbb\x91t\xf0\x9f\x98",
        "\xe1\xbb\x91\xe1\xbb\x61",                    /* bad 3rd byte */
        "\xf0\x9f\x98\x41",                            /* bad 4th byte */
        "",
    };
    const unsigned char *s;
    size_t               t, len, want, i, j, cuts[64];

    (void) state;
    for (t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        s = (const unsigned char *) texts[t];
        len = strlen(texts[t]);
        want = dvc_utf8_invalid_at(s, len);
        want = want == len ? (size_t) -1 : want;
        cuts[0] = len;
        assert_int_equal(stream_verdict(s, len, cuts, 1), want);
        for (i = 0; i <= len; i++) {
            cuts[0] = i;
            cuts[1] = len;
            assert_int_equal(stream_verdict(s, len, cuts, 2), want);
            for (j = i; j <= len; j++) {
                cuts[1] = j;
                cuts[2] = len;
                assert_int_equal(stream_verdict(s, len, cuts, 3), want);
            }
        }
        assert_true(len < sizeof(cuts) / sizeof(cuts[0]));
        for (i = 0; i < len; i++) {
            cuts[i] = i + 1;
        }
        assert_int_equal(stream_verdict(s, len, cuts, len), want);
    }
    /* the offsets are the stream's, past earlier buffers */
    cuts[0] = 9;
    cuts[1] = 13;
    assert_int_equal(stream_verdict(U("0123456789\xed\xa0\x80"), cuts, 2), 10);
    cuts[0] = 11;
    assert_int_equal(stream_verdict(U("0123456789\xed\xa0\x80"), cuts, 2), 10);
}

static void
test_valid_agrees(void **state)
{
    (void) state;
    assert_true(dvc_utf8_valid(U("Nguy\xe1\xbb\x85n")));
    assert_false(dvc_utf8_valid(U("Nguy\xe1\xbb")));
    assert_false(dvc_utf8_valid(U("\xff")));
    assert_true(dvc_utf8_valid(U("")));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_at),
        cmocka_unit_test(test_valid_agrees),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_stream_every_cut),
        cmocka_unit_test(test_stream_cut_judged_early),
    };

    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
