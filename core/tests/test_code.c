/* Dossier codes (Circular 01/2018/TT-VPCP art. 19) and status names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_code.h"
#include "dvc_status.h"

#define S(x) x, sizeof(x) - 1

static void
test_agency(void **state)
{
    (void) state;
    assert_true(dvc_agency_valid(S("000.00.53.H48")));
    assert_true(dvc_agency_valid(S("000.00.10.H47")));
    assert_true(dvc_agency_valid(S("G01.12.00.A00")));
    assert_false(dvc_agency_valid(S("000.00.53.148")));  /* level is a letter */
    assert_false(dvc_agency_valid(S("000.00.53.H4")));
    assert_false(dvc_agency_valid(S("000-00.53.H48")));
    assert_false(dvc_agency_valid(S("000.00.53.h48")));
    assert_false(dvc_agency_valid(S("")));
}

static void
test_code_valid(void **state)
{
    (void) state;
    assert_true(dvc_code_valid(S("000.00.53.H48-220921-0099")));
    assert_true(dvc_code_valid(S("000.00.10.H47-240229-9999")));  /* leap day */
    assert_false(dvc_code_valid(S("000.00.10.H47-230229-0001"))); /* not a leap year */
    assert_false(dvc_code_valid(S("000.00.10.H47-221321-0001"))); /* month 13 */
    assert_false(dvc_code_valid(S("000.00.10.H47-220900-0001"))); /* day 0 */
    assert_false(dvc_code_valid(S("000.00.10.H47-220921-0000"))); /* seq 0 */
    assert_false(dvc_code_valid(S("000.00.10.H47-220921-00001")));
    assert_false(dvc_code_valid(S("000.00.10.H47-220921-009")));
    assert_false(dvc_code_valid(S("000.00.10.H47_220921-0099")));
    assert_false(dvc_code_valid(S("../../etc/passwd-220921-0099")));
    assert_false(dvc_code_valid(S("000.00.10.H47-2209a1-0099")));
}

static void
test_code_format(void **state)
{
    char out[DVC_CODE_LEN + 1];

    (void) state;
    assert_int_equal(dvc_code_format(out, S("000.00.53.H48"), 22, 9, 21, 99), 0);
    assert_string_equal(out, "000.00.53.H48-220921-0099");
    assert_true(dvc_code_valid(out, strlen(out)));
    assert_int_equal(dvc_code_format(out, S("000.00.53.H48"), 26, 12, 31, 9999), 0);
    assert_string_equal(out, "000.00.53.H48-261231-9999");
    /* past 9,999 a day there is no legal code: refuse, never widen */
    assert_int_equal(dvc_code_format(out, S("000.00.53.H48"), 26, 12, 31, 10000), -1);
    assert_int_equal(dvc_code_format(out, S("000.00.53.H48"), 26, 12, 31, 0), -1);
    assert_int_equal(dvc_code_format(out, S("000.00.53.H4"), 26, 12, 31, 1), -1);
    assert_int_equal(dvc_code_format(out, S("000.00.53.H48"), 26, 2, 30, 1), -1);
}

static void
test_status(void **state)
{
    (void) state;
    assert_null(dvc_status_info(0));
    assert_null(dvc_status_info(11));
    assert_string_equal(dvc_status_info(1)->slug, "submitted");
    assert_string_equal(dvc_status_info(1)->name_vi, "Mới đăng ký");
    assert_string_equal(dvc_status_info(10)->slug, "returned");
    assert_int_equal(dvc_status_by_slug(S("resolved")), 9);
    assert_int_equal(dvc_status_by_slug(S("resolve")), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agency),
        cmocka_unit_test(test_code_valid),
        cmocka_unit_test(test_code_format),
        cmocka_unit_test(test_status),
    };

    return cmocka_run_group_tests_name("code", tests, NULL, NULL);
}
