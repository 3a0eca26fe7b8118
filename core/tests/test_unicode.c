/* NFC equality of strings (Vietnamese precomposed and decomposed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_unicode.h"

static int
eq(const char *a, const char *b)
{
    return dvc_str_equal_nfc(a, strlen(a), b, strlen(b));
}

/* "Nguyễn Thị Ánh" precomposed (NFC) */
#define NAME_NFC "Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b \xc3\x81nh"
/* the same with combining marks: e + U+0302 + U+0303, i + U+0323, A + U+0301 */
#define NAME_NFD "Nguye\xcc\x82\xcc\x83n Thi\xcc\xa3 A\xcc\x81nh"
/* "ệ": e + dot below (ccc 220) + circumflex (ccc 230) and the other order */
#define E_DOT_CIRC "e\xcc\xa3\xcc\x82"
#define E_CIRC_DOT "e\xcc\x82\xcc\xa3"

static void
test_equal(void **state)
{
    (void) state;
    assert_true(eq("", ""));
    assert_true(eq("Ha Noi", "Ha Noi"));
    assert_false(eq("Ha Noi", "Ha noi"));
    assert_false(eq("Ha Noi", "Ha Noi "));
    assert_true(eq(NAME_NFC, NAME_NFC));
    assert_true(eq(NAME_NFC, NAME_NFD));
    assert_true(eq(NAME_NFD, NAME_NFC));
    /* canonical order of marks does not matter, the marks do */
    assert_true(eq(E_DOT_CIRC, E_CIRC_DOT));
    assert_true(eq("\xe1\xbb\x87", E_CIRC_DOT));       /* U+1EC7 */
    assert_false(eq("\xe1\xbb\x87", "\xc3\xaa"));      /* ệ vs ê */
    assert_false(eq("\xe1\xbb\x87", "e"));
    assert_false(eq("\xc3\xa1", "a"));                 /* á vs a */
    /* same marks on different letters */
    assert_false(eq("a\xcc\x81" "e", "ae\xcc\x81"));
    /* Hangul syllable and its jamo; compatibility forms stay distinct */
    assert_true(eq("\xea\xb0\x80", "\xe1\x84\x80\xe1\x85\xa1"));
    assert_false(eq("\xef\xac\x81", "fi"));            /* U+FB01 ligature */
    /* a prefix is not equal */
    assert_false(eq(NAME_NFC, "Nguy\xe1\xbb\x85n"));
    assert_false(eq("e", E_CIRC_DOT));
    /* invalid UTF-8 is never equal, even to itself */
    assert_false(dvc_str_equal_nfc("a\xff", 2, "a\xff", 2));
    assert_false(dvc_str_equal_nfc("\xc3", 1, "\xc3\xa1", 2));
}

static void
test_long_runs(void **state)
{
    char    a[2 + 2 * 300], b[2 + 2 * 300];
    size_t  i, n;

    (void) state;
    /* a letter with 100 combining acute accents: within the run limit */
    a[0] = b[0] = 'a';
    for (i = 0, n = 1; i < 100; i++) {
        a[n] = b[n] = '\xcc';
        a[n + 1] = b[n + 1] = '\x81';
        n += 2;
    }
    b[n - 1] = '\x80';                                 /* grave at the end */
    assert_false(dvc_str_equal_nfc(a, n, b, n));
    assert_true(dvc_str_equal_nfc(a, n, a, n));
    /* 300 marks: past the limit, equal only byte for byte */
    for (i = 0, n = 1; i < 300; i++) {
        a[n] = b[n] = '\xcc';
        a[n + 1] = b[n + 1] = '\x81';
        n += 2;
    }
    assert_true(dvc_str_equal_nfc(a, n, b, n));
    b[2] = '\x80';
    assert_false(dvc_str_equal_nfc(a, n, b, n));
}

static void
test_nfc(void **state)
{
    dvc_buf_t  b;

    (void) state;
    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_nfc(NAME_NFD, strlen(NAME_NFD), &b), 0);
    assert_int_equal(b.len, strlen(NAME_NFC));
    assert_memory_equal(b.data, NAME_NFC, b.len);
    dvc_buf_reset(&b);
    assert_int_equal(dvc_nfc(E_DOT_CIRC, strlen(E_DOT_CIRC), &b), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "\xe1\xbb\x87", 3);
    dvc_buf_reset(&b);
    assert_int_equal(dvc_nfc("plain", 5, &b), 0);
    assert_memory_equal(b.data, "plain", 5);
    dvc_buf_reset(&b);
    assert_int_equal(dvc_nfc("\xed\xa0\x80", 3, &b), -1);   /* a surrogate */
    dvc_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_long_runs),
        cmocka_unit_test(test_nfc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
