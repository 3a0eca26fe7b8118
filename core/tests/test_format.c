/* JSON Schema formats against the official suite, and the Vietnamese ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_format.h"
#include "dvc_idna.h"
#include "suite.h"

#define S(x) x, sizeof(x) - 1

static int
check(const char *name, const char *s)
{
    int  id = dvc_format_id(name, strlen(name));

    assert_true(id >= 0);
    return dvc_format_check(id, s, strlen(s));
}

static void
test_ids(void **state)
{
    int  i;

    (void) state;
    for (i = 0; i < DVC_FORMAT_COUNT; i++) {
        assert_int_equal(dvc_format_id(dvc_format_name(i), strlen(dvc_format_name(i))), i);
    }
    assert_int_equal(dvc_format_id(S("unknown")), -1);
    assert_int_equal(dvc_format_id(S("date-tim")), -1);
    assert_int_equal(dvc_format_id(S("")), -1);
    assert_null(dvc_format_name(DVC_FORMAT_COUNT));
    /* an unknown format asserts nothing */
    assert_int_equal(dvc_format_check(-1, S("anything")), 1);
}

/* The suite cases, one file per format; a string with a NUL cannot be read
 * through yajl_tree (C strings), so those few are counted as skipped. */
static const struct {
    const char *file;
    const char *format;
} suite_files[] = {
    { "date-time", "date-time" }, { "date", "date" }, { "time", "time" },
    { "duration", "duration" }, { "email", "email" }, { "hostname", "hostname" },
    { "ipv4", "ipv4" }, { "ipv6", "ipv6" }, { "uri", "uri" },
    { "uri-reference", "uri-reference" }, { "uuid", "uuid" },
    { "json-pointer", "json-pointer" },
    { "relative-json-pointer", "relative-json-pointer" }, { "regex", "regex" },
    { "idn-email", "idn-email" }, { "idn-hostname", "idn-hostname" },
    { "iri", "iri" }, { "iri-reference", "iri-reference" },
    { "uri-template", "uri-template" }, { "unknown", "unknown" },
};

static void
test_suite_formats(void **state)
{
    char      rel[160];
    size_t    f, g, t;
    int       id, total, passed, got, failed_files = 0;
    yajl_val  doc, group, tests, tc, data;

    (void) state;
    for (f = 0; f < sizeof(suite_files) / sizeof(suite_files[0]); f++) {
        snprintf(rel, sizeof(rel), "tests/draft2020-12/optional/format/%s.json",
                 suite_files[f].file);
        doc = suite_load(rel);
        assert_non_null(doc);
        /* "unknown" must stay unknown: every value passes */
        id = dvc_format_id(suite_files[f].format, strlen(suite_files[f].format));
        assert_true(id >= 0 || strcmp(suite_files[f].format, "unknown") == 0);
        total = passed = 0;
        for (g = 0; g < doc->u.array.len; g++) {
            group = doc->u.array.values[g];
            tests = suite_get(group, "tests");
            for (t = 0; t < tests->u.array.len; t++) {
                tc = tests->u.array.values[t];
                data = suite_get(tc, "data");
                if (strstr(suite_get(tc, "description")->u.string, "NUL") != NULL) {
                    /* covered with explicit lengths in test_rfc_edges */
                    print_message("# %s: skipped \"%s\"\n", suite_files[f].file,
                                  suite_get(tc, "description")->u.string);
                    continue;
                }
                total++;
                got = !YAJL_IS_STRING(data)
                      || dvc_format_check(id, data->u.string, strlen(data->u.string));
                if (got == YAJL_IS_TRUE(suite_get(tc, "valid"))) {
                    passed++;
                } else {
                    print_error("# %s: \"%s\" (%s)\n", suite_files[f].file,
                                YAJL_IS_STRING(data) ? data->u.string : "?",
                                suite_get(tc, "description")->u.string);
                }
            }
        }
        print_message("# format/%s.json: %d/%d\n", suite_files[f].file, passed, total);
        failed_files += passed != total;
        yajl_tree_free(doc);
    }
    assert_int_equal(failed_files, 0);
}

static void
test_rfc_edges(void **state)
{
    (void) state;
    /* strings are not NUL-terminated: the length decides */
    assert_false(dvc_fmt_date("2020-01-01\0", 11));
    assert_false(dvc_fmt_json_pointer("/a~", 3));
    assert_true(dvc_fmt_json_pointer("/a\0b", 4));
    assert_false(dvc_fmt_ipv4("192.168.0.1\0.evil.com", 20));
    assert_true(check("date-time", "2024-02-29T23:59:60+07:00") == 0);
    assert_true(check("date-time", "2024-02-29T16:59:60-07:00"));   /* 23:59 UTC */
    assert_true(check("date-time", "2024-03-01T06:59:60+07:00"));
    assert_true(check("time", "00:00:00.000000000001Z"));
    assert_false(check("time", "00:00:00.Z"));
    assert_true(check("duration", "P1Y2M3DT4H5M6S"));
    assert_false(check("duration", "PT"));
    assert_true(check("ipv6", "1:2:3:4:5:6:7::"));
    assert_false(check("ipv6", "1:2:3:4:5:6:7:8::"));
    assert_false(check("ipv6", "::1:2:3:4:5:6:7:8"));
    assert_true(check("email", "nguyen.van.a@dichvucong.gov.vn"));
    assert_false(check("email", "a@b..vn"));
    assert_true(check("uri", "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html?ma=000.00.10.H47-260921-0001"));
    assert_true(check("uri", "urn:ietf:rfc:3986"));
    assert_true(check("uri", "http://[v7.abc:def]/"));
    assert_false(check("uri", "http://[v7]/"));
    assert_true(check("relative-json-pointer", "0#"));
    assert_true(check("relative-json-pointer", "1/a/b"));
    assert_false(check("relative-json-pointer", "01/a"));
    assert_false(check("relative-json-pointer", "/a"));
    /* Vietnamese domain names: idn-hostname takes U-labels, hostname not */
    assert_true(check("idn-hostname", "d\xe1\xbb\x8b" "chv\xe1\xbb\xa5" "c\xc3\xb4ng.vn"));
    assert_false(check("hostname", "d\xe1\xbb\x8b" "chv\xe1\xbb\xa5" "c\xc3\xb4ng.vn"));
    /* the same name decomposed is brought to NFC first */
    assert_true(check("idn-hostname", "die\xcc\xa3\xcc\x82n.vn"));
    /* compatibility characters are DISALLOWED (not NFKC-stable): "aª",
     * "ℂa" (U+00AA, U+2102), which the hand-written tables let through */
    assert_false(check("idn-hostname", "a\xc2\xaa.vn"));
    assert_false(check("idn-hostname", "\xe2\x84\x82" "a.vn"));
    /* ZERO WIDTH NON-JOINER by Joining_Type: between two BEH (D) fine,
     * after HAMZA (U) not; between Adlam letters (D, category Ll) fine */
    assert_true(check("idn-hostname", "\xd8\xa8\xe2\x80\x8c\xd8\xa8"));
    assert_false(check("idn-hostname", "\xd8\xa1\xe2\x80\x8c\xd8\xa1"));
    assert_true(check("idn-hostname",
                      "\xf0\x9e\xa4\xa2\xe2\x80\x8c\xf0\x9e\xa4\xa2"));
    assert_true(check("idn-email", "nguy\xe1\xbb\x85n.v\xc4\x83n.a@b\xe1\xbb\x99-t\xc6\xb0-ph\xc3\xa1p.vn"));
    assert_false(check("email", "nguy\xe1\xbb\x85n@example.vn"));
    assert_true(check("iri", "https://d\xe1\xbb\x8b" "chv\xe1\xbb\xa5" "c\xc3\xb4ng.vn/h\xe1\xbb\x93-s\xc6\xa1"));
    assert_false(check("uri", "https://d\xe1\xbb\x8b" "chv\xe1\xbb\xa5" "c\xc3\xb4ng.vn/"));
    assert_true(check("uri-template", "/ho-so/{ma}{?trang,co}"));
    assert_false(check("uri-template", "/ho-so/{=ma}"));
    /* labels of 63 and 64 characters, names of 253 and 254 */
    assert_true(check("hostname", "a23456789012345678901234567890123456789012345678901234567890123.vn"));
    assert_false(check("hostname", "a234567890123456789012345678901234567890123456789012345678901234.vn"));
}

/* A-labels (libidn2): Punycode round trips with known encodings (RFC 3492
 * section 7.1), case, NFC, classes. */
static void
test_punycode(void **state)
{
    (void) state;
    /* (A) Arabic (Egyptian): good Punycode, but it ends with U+061F ARABIC
     * QUESTION MARK, punctuation, DISALLOWED in a label */
    assert_false(dvc_idna_alabel_valid(S("xn--egbpdaj6bu4bxfgehfvwxn")));
    /* (B) Chinese (simplified) */
    assert_true(dvc_idna_alabel_valid(S("xn--ihqwcrb4cv8a8dqg056pqjye")));
    /* "Việt Nam" without spaces: vitnam -> Việt + Nam */
    assert_true(dvc_idna_alabel_valid(S("xn--vitnam-jk8b")));
    assert_false(dvc_idna_alabel_valid(S("xn--X")));
    assert_false(dvc_idna_alabel_valid(S("xn--99999999999999")));
    assert_true(check("hostname", "xn--vitnam-jk8b.vn"));
    assert_true(dvc_idna_alabel_valid(S("XN--VITNAM-JK8B")));
    /* the decomposed (not NFC) spelling of the same label is no U-label */
    assert_false(check("hostname", "xn--vietnam-3ge01a.vn"));
    /* a non-ASCII upper case letter is not PVALID: "viỆtnam" */
    assert_false(dvc_idna_alabel_valid(S("xn--vitnam-ck8b")));
    /* all-ASCII decoding */
    assert_false(dvc_idna_alabel_valid(S("xn--abc-")));
}

/* ------------------------------------------------------------ Vietnamese */

static void
test_vn_citizen_id(void **state)
{
    (void) state;
    /* Ha Noi (001), male born 1987 */
    assert_true(dvc_fmt_vn_citizen_id(S("001087123456"), 2026));
    /* Ho Chi Minh City (079), female born 1995 */
    assert_true(dvc_fmt_vn_citizen_id(S("079195000123"), 2026));
    /* Can Tho (092), boy born 2005; Ca Mau (096), girl born 2020 */
    assert_true(dvc_fmt_vn_citizen_id(S("092205004321"), 2026));
    assert_true(dvc_fmt_vn_citizen_id(S("096320012345"), 2026));
    /* born this year is possible, next year is not */
    assert_true(dvc_fmt_vn_citizen_id(S("001226000001"), 2026));
    assert_false(dvc_fmt_vn_citizen_id(S("001227000001"), 2026));
    /* 22nd century (4/5) is in the future */
    assert_false(dvc_fmt_vn_citizen_id(S("001400000001"), 2026));
    assert_false(dvc_fmt_vn_citizen_id(S("001999000001"), 2026));
    /* unknown province codes: 003 (gap), 000, 097, 100 */
    assert_false(dvc_fmt_vn_citizen_id(S("003087123456"), 2026));
    assert_false(dvc_fmt_vn_citizen_id(S("000087123456"), 2026));
    assert_false(dvc_fmt_vn_citizen_id(S("097087123456"), 2026));
    assert_false(dvc_fmt_vn_citizen_id(S("100087123456"), 2026));
    /* the 9-digit CMND and malformed values */
    assert_false(dvc_fmt_vn_citizen_id(S("012345678"), 2026));
    assert_false(dvc_fmt_vn_citizen_id(S("00108712345"), 2026));
    assert_false(dvc_fmt_vn_citizen_id(S("0010871234567"), 2026));
    assert_false(dvc_fmt_vn_citizen_id(S("001 87123456"), 2026));
    assert_false(dvc_fmt_vn_citizen_id(S("00108712345a"), 2026));
    /* through the format table, with the real clock */
    assert_true(check("vn-citizen-id", "038190001234"));
    assert_false(check("vn-citizen-id", "038990001234"));
}

static void
test_vn_phone(void **state)
{
    (void) state;
    assert_true(check("vn-phone", "0912345678"));     /* VinaPhone */
    assert_true(check("vn-phone", "0987654321"));     /* Viettel */
    assert_true(check("vn-phone", "0399333999"));     /* Viettel, ex-0169 */
    assert_true(check("vn-phone", "0787878888"));     /* MobiFone, ex-0128 */
    assert_true(check("vn-phone", "0828222888"));     /* VinaPhone, ex-0129 */
    assert_true(check("vn-phone", "0588555888"));     /* Vietnamobile, ex-0188 */
    assert_true(check("vn-phone", "0595959999"));     /* Gmobile, ex-0199 */
    assert_true(check("vn-phone", "+84912345678"));
    assert_true(check("vn-phone", "02438251234"));    /* Ha Noi fixed line */
    assert_true(check("vn-phone", "02838221234"));    /* Ho Chi Minh City */
    assert_true(check("vn-phone", "02363822123"));    /* Da Nang, 0236 */
    assert_true(check("vn-phone", "+842923812345"));  /* Can Tho, 0292 */
    /* near misses */
    assert_false(check("vn-phone", "01699333999"));   /* pre-2018 11-digit mobile */
    assert_false(check("vn-phone", "0312345678"));    /* 031 is not a mobile code */
    assert_false(check("vn-phone", "0953456780"));    /* 095 not assigned */
    assert_false(check("vn-phone", "0112345678"));
    assert_false(check("vn-phone", "091234567"));     /* 9 digits */
    assert_false(check("vn-phone", "09123456789"));   /* 11 digits mobile */
    assert_false(check("vn-phone", "0912 345 678"));
    assert_false(check("vn-phone", "84912345678"));   /* no + */
    assert_false(check("vn-phone", "+840912345678"));
    assert_false(check("vn-phone", "02173822123"));   /* 0217 is no area code */
    assert_false(check("vn-phone", "0243825123"));    /* fixed line one digit short */
    assert_false(check("vn-phone", ""));
}

static void
test_vn_tax_code(void **state)
{
    (void) state;
    assert_true(check("vn-tax-code", "0100109106"));       /* Viettel group */
    assert_true(check("vn-tax-code", "0100047516"));
    assert_true(check("vn-tax-code", "0100109106-001"));   /* a dependent unit */
    assert_true(check("vn-tax-code", "0100109106-999"));
    /* wrong check digit: every other tenth digit fails */
    assert_false(check("vn-tax-code", "0100109105"));
    assert_false(check("vn-tax-code", "0100109107"));
    assert_false(check("vn-tax-code", "0100047510"));
    assert_false(check("vn-tax-code", "0100109105-001"));
    /* shapes */
    assert_false(check("vn-tax-code", "0100109106001"));   /* 13 digits, no dash */
    assert_false(check("vn-tax-code", "0100109106-000"));
    assert_false(check("vn-tax-code", "0100109106-01"));
    assert_false(check("vn-tax-code", "0100109106_001"));
    assert_false(check("vn-tax-code", "010010910"));
    assert_false(check("vn-tax-code", "01001091061"));
    assert_false(check("vn-tax-code", "0000000000"));
    assert_false(check("vn-tax-code", "010010910a"));
    /* 010000011: sum 29 + 5 + 3 = 37, check 10 - 37 % 11 = 6.
     * 010000030: sum 29 + 15 = 44, 44 % 11 = 0, check 10: no code exists */
    assert_true(check("vn-tax-code", "0100000116"));
    {
        char  code[11] = "010000030x";
        int   d;

        for (d = 0; d <= 9; d++) {
            code[9] = (char) ('0' + d);
            assert_false(check("vn-tax-code", code));
        }
    }
}

static void
test_vn_agency_code(void **state)
{
    (void) state;
    assert_true(check("vn-agency-code", "000.00.10.H47"));
    assert_true(check("vn-agency-code", "000.00.53.H48"));
    assert_true(check("vn-agency-code", "G01.12.00.A00"));
    assert_false(check("vn-agency-code", "000.00.10.h47"));
    assert_false(check("vn-agency-code", "000.00.10.147"));
    assert_false(check("vn-agency-code", "000.00.10.H4"));
    assert_false(check("vn-agency-code", "000-00-10-H47"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_suite_formats),
        cmocka_unit_test(test_rfc_edges),
        cmocka_unit_test(test_punycode),
        cmocka_unit_test(test_vn_citizen_id),
        cmocka_unit_test(test_vn_phone),
        cmocka_unit_test(test_vn_tax_code),
        cmocka_unit_test(test_vn_agency_code),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
