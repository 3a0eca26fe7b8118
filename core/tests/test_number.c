/* Exact JSON number arithmetic: grammar, comparison, integers, multipleOf. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "dvc_number.h"
#include "suite.h"

#define S(x) x, sizeof(x) - 1

static int
cmp(const char *a, const char *b)
{
    return dvc_num_cmp(a, strlen(a), b, strlen(b));
}

static int
mult(const char *v, const char *d)
{
    return dvc_num_multiple_of(v, strlen(v), d, strlen(d));
}

static int
integer(const char *s)
{
    return dvc_num_is_integer(s, strlen(s));
}

static void
test_grammar(void **state)
{
    static const char *good[] = {
        "0", "-0", "1", "-1", "10", "0.5", "-0.0", "1e5", "1E+5", "1e-5",
        "123.456e789", "0e0", "1e0000000000000000000000000000001",
        "98249283749234923498293171823948729348710298301928331",
    };
    static const char *bad[] = {
        "", "-", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "1.e5", "0x10",
        "1 ", " 1", "NaN", "Infinity", "-Infinity", "1.5.5", "1e5e5", "--1",
        "00", "1e1.5",
    };
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_true(dvc_num_valid(good[i], strlen(good[i])));
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (dvc_num_valid(bad[i], strlen(bad[i]))) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
    }
    /* a number followed by garbage inside the given length */
    assert_false(dvc_num_valid("12\0", 3));
}

static void
test_compare(void **state)
{
    (void) state;
    assert_int_equal(cmp("0", "-0"), 0);
    assert_int_equal(cmp("-0.0e7", "0"), 0);
    assert_int_equal(cmp("1", "1.0"), 0);
    assert_int_equal(cmp("1", "1e0"), 0);
    assert_int_equal(cmp("10e-1", "1"), 0);
    assert_int_equal(cmp("0.001e3", "100e-2"), 0);
    assert_int_equal(cmp("1", "2"), -1);
    assert_int_equal(cmp("-1", "-2"), 1);
    assert_int_equal(cmp("-1", "0"), -1);
    assert_int_equal(cmp("0", "1e-999"), -1);
    assert_int_equal(cmp("-1e-999", "0"), -1);
    /* past 2^53, where doubles collapse neighbours */
    assert_int_equal(cmp("9007199254740993", "9007199254740992"), 1);
    assert_int_equal(cmp("18446744073709551600", "18446744073709551615"), -1);
    assert_int_equal(cmp("-18446744073709551600", "-18446744073709551615"), 1);
    assert_int_equal(cmp("972783798187987123879878123.188781371",
                         "972783798187987123879878123.18878137"), 1);
    assert_int_equal(cmp("0.30000000000000004", "0.3"), 1);
    assert_int_equal(cmp("1e999", "1e998"), 1);
    assert_int_equal(cmp("1e999", "9.99e998"), 1);
    assert_int_equal(cmp("1e999", "10e998"), 0);
    assert_int_equal(cmp("-1e999", "-1e998"), -1);
    /* exponents past 64 bits compare exactly, including the offsets */
    assert_int_equal(cmp("1e100000000000000000000", "1e99999999999999999999"), 1);
    assert_int_equal(cmp("1e100000000000000000000", "10e99999999999999999999"), 0);
    assert_int_equal(cmp("1e100000000000000000000", "100e99999999999999999999"), -1);
    assert_int_equal(cmp("1e-100000000000000000000", "0.1e-99999999999999999999"), 0);
    assert_int_equal(cmp("1e-100000000000000000000", "1e-99999999999999999999"), -1);
    assert_int_equal(cmp("1e100000000000000000000", "1e-100000000000000000000"), 1);
    assert_int_equal(cmp("1e100000000000000000000", "5"), 1);
    assert_int_equal(cmp("1e-100000000000000000000", "5"), -1);
    assert_int_equal(cmp("123456789e00000000000000000000000000001", "1234567890"), 0);
}

static void
test_integer(void **state)
{
    (void) state;
    assert_true(integer("0"));
    assert_true(integer("-0"));
    assert_true(integer("1.0"));
    assert_true(integer("-1.000"));
    assert_true(integer("1e2"));
    assert_true(integer("1.5e1"));
    assert_true(integer("150e-1"));
    assert_true(integer("1e308"));
    assert_true(integer("1e999"));
    assert_true(integer("1e1000000000"));
    assert_true(integer("12345678910111213141516171819202122232425262728293031"));
    assert_false(integer("1.5"));
    assert_false(integer("15e-2"));
    assert_false(integer("1e-1"));
    assert_false(integer("1e-1000000000"));
    assert_false(integer("1.0000000000000000000000001"));
    assert_false(integer("abc"));
}

static void
test_multiple_of(void **state)
{
    (void) state;
    assert_true(mult("10", "2"));
    assert_false(mult("7", "2"));
    assert_true(mult("0", "7"));
    assert_true(mult("-0", "0.3"));
    assert_true(mult("4.5", "1.5"));
    assert_false(mult("35", "1.5"));
    assert_true(mult("0.0075", "0.0001"));
    assert_false(mult("0.00751", "0.0001"));
    assert_true(mult("19.99", "0.01"));
    assert_true(mult("-19.99", "0.01"));
    assert_true(mult("0.3", "0.1"));      /* fails in binary floating point */
    assert_true(mult("1e308", "0.5"));
    assert_false(mult("1e308", "0.123456789"));
    assert_true(mult("1e308", "3.2"));   /* 2^5 * 10^-1 divides 10^308 */
    assert_false(mult("1e3", "3.2"));    /* 1000 / 3.2 = 312.5 */
    assert_true(mult("1e4", "3.2"));
    assert_true(mult("123456789e20", "0.123456789"));
    assert_true(mult("98249283749234923498293171823948729348710298301928331",
                     "98249283749234923498293171823948729348710298301928331"));
    assert_true(mult("196498567498469846996586343647897458697420596603856662",
                     "98249283749234923498293171823948729348710298301928331"));
    assert_false(mult("196498567498469846996586343647897458697420596603856663",
                      "98249283749234923498293171823948729348710298301928331"));
    assert_true(mult("18446744073709551616", "4294967296"));
    assert_false(mult("18446744073709551617", "4294967296"));
    /* wide divisor (more than 19 digits) times a big power of ten */
    assert_true(mult("3e50", "30000000000000000000000000000000000000000"));
    assert_true(mult("1e100", "1024e-3"));
    /* divisors that are not positive numbers are refused */
    assert_false(mult("10", "0"));
    assert_false(mult("10", "-2"));
    assert_false(mult("10", "x"));
    assert_false(dvc_num_divisor_ok(S("0.0")));
    assert_true(dvc_num_divisor_ok(S("0.0001")));
}

/* Hostile exponents are answered from the text, in microseconds. */
static void
test_hostile_exponents(void **state)
{
    clock_t  t0 = clock();
    int      i;

    (void) state;
    for (i = 0; i < 1000; i++) {
        assert_true(mult("1e1000000000", "0.5"));
        assert_false(mult("1e1000000000", "0.123456789"));
        assert_false(mult("1e-1000000000", "0.5"));
        assert_true(mult("7e99999999999999999999999999", "7e-99999999999999999999999"));
        assert_int_equal(cmp("1e1000000000", "1e999999999"), 1);
        assert_true(integer("1e99999999999999999999999999999999999"));
    }
    assert_true((double) (clock() - t0) / CLOCKS_PER_SEC < 2.0);
}

/* The suite's numeric keyword cases, evaluated with these functions alone. */
static int
numeric_case(yajl_val schema, yajl_val data, int *applies)
{
    yajl_val    v;
    const char *d, *k;
    size_t      i;
    int         ok = 1, c;

    *applies = 0;
    if (!YAJL_IS_OBJECT(schema) || !YAJL_IS_NUMBER(data)) {
        return 0;
    }
    d = data->u.number.r;
    for (i = 0; i < schema->u.object.len; i++) {
        k = schema->u.object.keys[i];
        v = schema->u.object.values[i];
        if (strcmp(k, "$schema") == 0) {
            continue;
        }
        if (strcmp(k, "type") == 0 && YAJL_IS_STRING(v)) {
            if (strcmp(v->u.string, "integer") == 0) {
                ok &= dvc_num_is_integer(d, strlen(d));
            } else if (strcmp(v->u.string, "number") != 0) {
                ok = 0;
            }
            continue;
        }
        if (!YAJL_IS_NUMBER(v)) {
            return 0;
        }
        c = dvc_num_cmp(d, strlen(d), v->u.number.r, strlen(v->u.number.r));
        if (strcmp(k, "minimum") == 0) {
            ok &= c >= 0;
        } else if (strcmp(k, "maximum") == 0) {
            ok &= c <= 0;
        } else if (strcmp(k, "exclusiveMinimum") == 0) {
            ok &= c > 0;
        } else if (strcmp(k, "exclusiveMaximum") == 0) {
            ok &= c < 0;
        } else if (strcmp(k, "multipleOf") == 0) {
            ok &= dvc_num_multiple_of(d, strlen(d), v->u.number.r,
                                      strlen(v->u.number.r));
        } else {
            return 0;
        }
    }
    *applies = 1;
    return ok;
}

static void
test_suite_files(void **state)
{
    static const char *files[] = {
        "tests/draft2020-12/multipleOf.json", "tests/draft2020-12/minimum.json",
        "tests/draft2020-12/maximum.json", "tests/draft2020-12/exclusiveMinimum.json",
        "tests/draft2020-12/exclusiveMaximum.json",
        "tests/draft2020-12/optional/bignum.json",
        "tests/draft2020-12/optional/float-overflow.json",
    };

    (void) state;
    suite_check_files(files, sizeof(files) / sizeof(files[0]), numeric_case, "numeric");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammar),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_integer),
        cmocka_unit_test(test_multiple_of),
        cmocka_unit_test(test_hostile_exponents),
        cmocka_unit_test(test_suite_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
