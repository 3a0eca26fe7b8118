/* UTF-8 checks (RFC 3629): where the first bad byte is, for error offsets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
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
    };

    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
