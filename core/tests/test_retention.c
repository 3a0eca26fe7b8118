/* Retention decisions (issue 18): what is archived, which miss is a 410. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_retention.h"
#include "dvc_time.h"

#define S(x) x, sizeof(x) - 1
#define YEAR (365 * 86400LL)

static void
test_parse(void **state)
{
    int64_t s;

    (void) state;
    assert_int_equal(dvc_retention_parse(S("2y"), &s), 0);
    assert_true(s == 2 * YEAR);
    assert_int_equal(dvc_retention_parse(S("18M"), &s), 0);
    assert_true(s == 18 * 30 * 86400LL);
    assert_int_equal(dvc_retention_parse(S("730d"), &s), 0);
    assert_true(s == 730 * 86400LL);
    assert_int_equal(dvc_retention_parse(S("3600"), &s), 0);
    assert_true(s == 3600);
    assert_int_equal(dvc_retention_parse(S("90m"), &s), 0);
    assert_true(s == 5400);
    assert_int_equal(dvc_retention_parse(S(""), &s), -1);
    assert_int_equal(dvc_retention_parse(S("0d"), &s), -1);
    assert_int_equal(dvc_retention_parse(S("y"), &s), -1);
    assert_int_equal(dvc_retention_parse(S("2yy"), &s), -1);
    assert_int_equal(dvc_retention_parse(S("2x"), &s), -1);
    assert_int_equal(dvc_retention_parse(S("-2y"), &s), -1);
    assert_int_equal(dvc_retention_parse(S("999999999999y"), &s), -1);
}

static void
test_due(void **state)
{
    int64_t now = 1800000000, closed = now - 2 * YEAR;

    (void) state;
    assert_true(dvc_retention_due(10, closed, now, 2 * YEAR));
    assert_true(dvc_retention_due(3, closed, now, 2 * YEAR));
    assert_true(dvc_retention_due(8, closed - 1, now, 2 * YEAR));
    assert_false(dvc_retention_due(10, closed + 1, now, 2 * YEAR));
    /* still open, however old: never */
    for (int st = 1; st <= 9; st++) {
        if (st != 3 && st != 8) {
            assert_false(dvc_retention_due(st, closed - 10 * YEAR, now, 2 * YEAR));
        }
    }
    assert_false(dvc_retention_due(10, 0, now, 2 * YEAR));   /* no time known */
    assert_false(dvc_retention_due(10, closed, now, 0));
}

static void
test_code_old(void **state)
{
    int64_t day;

    (void) state;
    /* 2025-06-10 00:00 Vietnam time */
    assert_int_equal(dvc_time_parse_vn(S("2025-06-10T00:00:00+07:00"), &day), 0);
    assert_true(dvc_retention_code_old(S("000.00.10.H47-250610-0001"),
                                       day + 2 * YEAR, 2 * YEAR));
    assert_false(dvc_retention_code_old(S("000.00.10.H47-250610-0001"),
                                        day + 2 * YEAR - 1, 2 * YEAR));
    assert_false(dvc_retention_code_old(S("000.00.10.H47-250611-0001"),
                                        day + 2 * YEAR, 2 * YEAR));
    assert_false(dvc_retention_code_old(S("000.00.10.H47-250610-0001"),
                                        day + 9 * YEAR, 0));
    assert_false(dvc_retention_code_old(S("000.00.10.H47-251310-0001"),
                                        day + 9 * YEAR, 2 * YEAR));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_code_old),
    };
    return cmocka_run_group_tests_name("retention", tests, NULL, NULL);
}
