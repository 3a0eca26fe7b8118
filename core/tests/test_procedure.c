/* Procedure schemas: x-dvc metadata, listing summary, documents check, and
 * the directory loader on the shipped schemas/ (run from the checkout root). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <yajl/yajl_tree.h>

#include "dvc_procedure.h"

#define S(x) x, sizeof(x) - 1

/* A complete, valid procedure schema with one substitution point: the x-dvc
 * object.  Schemas in the broken-schema tests differ only there. */
#define SCHEMA_HEAD \
    "{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n" \
    " \"$id\": \"https://dvc.example.gov.vn/procedures/1.001193.json\",\n" \
    " \"type\": \"object\",\n" \
    " \"properties\": {\"procedure\": {\"const\": \"1.001193\"}},\n" \
    " \"x-dvc\": "
#define SCHEMA_TAIL "}"

#define XDVC_BIRTH \
    "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\"," \
    " \"agency\": \"000.00.10.H47\", \"level\": 4," \
    " \"processing\": {\"days\": 0.5}, \"cutoff\": \"15:00\"," \
    " \"accept\": \"auto\", \"fee\": 0," \
    " \"documents\": [" \
    "  {\"kind\": \"birth_medical_certificate\", \"name\": \"Giấy chứng sinh\"," \
    "   \"required\": true}," \
    "  {\"kind\": \"applicant_identity\", \"name\": \"Giấy tờ tùy thân của người đi đăng ký\"," \
    "   \"required\": true}," \
    "  {\"kind\": \"parents_marriage_certificate\"," \
    "   \"name\": \"Giấy chứng nhận kết hôn của cha mẹ\", \"required\": false}]}"

static char errbuf[512];

static dvc_procedure_t *
parse_xdvc(const char *xdvc)
{
    char   text[4096];
    int    n;

    n = snprintf(text, sizeof(text), "%s%s%s", SCHEMA_HEAD, xdvc, SCHEMA_TAIL);
    assert_true(n > 0 && (size_t) n < sizeof(text));
    return dvc_procedure_parse(&dvc_alloc_std, text, (size_t) n,
                               "1.001193.json", errbuf, sizeof(errbuf));
}

/* Parses a schema whose x-dvc must be rejected, and checks the message. */
static void
assert_rejected(const char *xdvc, const char *message)
{
    dvc_procedure_t *p = parse_xdvc(xdvc);

    if (p != NULL) {
        dvc_procedure_free(p);
        fail_msg("accepted: %s", xdvc);
    }
    assert_string_equal(errbuf, message);
}

static void
test_parse_valid(void **state)
{
    dvc_procedure_t *p;

    (void) state;
    p = parse_xdvc(XDVC_BIRTH);
    assert_non_null(p);
    assert_string_equal(p->code, "1.001193");
    assert_int_equal(p->code_len, 8);
    assert_string_equal(p->name, "Đăng ký khai sinh");
    assert_string_equal(p->agency, "000.00.10.H47");
    assert_int_equal(p->level, DVC_LEVEL_FULL);
    assert_int_equal(p->processing_unit, DVC_PROCESSING_DAYS);
    assert_int_equal(p->processing_halves, 1);
    assert_int_equal(dvc_procedure_processing_minutes(p), 240);
    assert_int_equal(p->cutoff, 15 * 60);
    assert_true(p->accept_auto);
    assert_int_equal(p->fee, 0);
    assert_int_equal(p->ndocuments, 3);
    assert_string_equal(p->documents[1].kind, "applicant_identity");
    assert_true(p->documents[1].required);
    assert_false(p->documents[2].required);
    assert_string_equal(p->schema_id,
                        "https://dvc.example.gov.vn/procedures/1.001193.json");
    assert_string_equal(p->file_name, "1.001193.json");
    /* the raw text is kept byte for byte, for GET /dvc/v1/procedures/{code} */
    assert_true(strncmp(p->raw, SCHEMA_HEAD, sizeof(SCHEMA_HEAD) - 1) == 0);
    assert_int_equal(p->raw_len, strlen(p->raw));
    assert_non_null(dvc_procedure_document(p, S("birth_medical_certificate")));
    assert_null(dvc_procedure_document(p, S("birth_medical")));
    dvc_procedure_free(p);
}

static void
test_level_names_and_hours(void **state)
{
    dvc_procedure_t *p;

    (void) state;
    /* Decree 42/2022/ND-CP names are accepted for the old numbers */
    p = parse_xdvc("{\"code\": \"1.001612\", \"name\": \"Đăng ký thành lập hộ "
                   "kinh doanh\", \"agency\": \"000.20.31.H29\", \"level\": "
                   "\"mot_phan\", \"processing\": {\"hours\": 4.5}, \"accept\": "
                   "\"manual\", \"fee\": 100000, \"documents\": []}");
    /* the properties.procedure.const in SCHEMA_HEAD names 1.001193 */
    assert_null(p);
    assert_string_equal(errbuf, "1.001193.json: properties.procedure.const "
                        "differs from x-dvc.code \"1.001612\"");

    p = parse_xdvc("{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\", "
                   "\"agency\": \"000.00.10.H47\", \"level\": \"toan_trinh\", "
                   "\"processing\": {\"hours\": 4.5}, \"accept\": \"manual\", "
                   "\"fee\": 100000, \"documents\": []}");
    assert_non_null(p);
    assert_int_equal(p->level, DVC_LEVEL_FULL);
    assert_int_equal(p->processing_unit, DVC_PROCESSING_HOURS);
    assert_int_equal(dvc_procedure_processing_minutes(p), 270);
    assert_int_equal(p->cutoff, -1);
    assert_false(p->accept_auto);
    assert_int_equal(p->fee, 100000);
    assert_int_equal(p->ndocuments, 0);
    dvc_procedure_free(p);

    assert_string_equal(dvc_level_name_vi(3), "Một phần");
    assert_string_equal(dvc_level_name_vi(4), "Toàn trình");
    assert_null(dvc_level_name_vi(2));
}

static void
test_rejected_fields(void **state)
{
    (void) state;
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.agency \"000.00.10.47\" is not an agency "
        "identifier (e.g. 000.00.10.H47)");
    assert_rejected(
        "{\"code\": \"1.1193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.code \"1.1193\" is not a national procedure code "
        "(e.g. 1.001193)");
    assert_rejected(
        "{\"code\": 1.001193, \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.code is a number, expected the national procedure "
        "code as a string (e.g. \"1.001193\")");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.name must be the procedure's name, a non-empty "
        "string");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 2, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.level 2 is not 3 (\"mot_phan\", một phần) or 4 "
        "(\"toan_trinh\", toàn trình): the gateway takes online dossiers only");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": \"toàn trình\","
        " \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.level \"toàn trình\" is not 3 (\"mot_phan\", một "
        "phần) or 4 (\"toan_trinh\", toàn trình)");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 2.25},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.processing.days 2.25 must be more than 0, at most "
        "365, in steps of 0.5");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 0},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.processing.days 0 must be more than 0, at most "
        "365, in steps of 0.5");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"hours\": -4},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.processing.hours -4 must be more than 0, at most "
        "2920, in steps of 0.5");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4,"
        " \"processing\": {\"days\": 3, \"hours\": 2},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.processing must be {\"days\": N} or {\"hours\": N}");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4,"
        " \"processing\": {\"days\": \"3\"},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.processing.days is a string, expected a number");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"cutoff\": \"24:00\", \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.cutoff \"24:00\" is not a time of day (00:00 to "
        "23:59)");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"cutoff\": \"3pm\", \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.cutoff \"3pm\" is not a time of day HH:MM (e.g. "
        "15:00)");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"immediate\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.accept \"immediate\" is not \"auto\" or \"manual\"");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 1.5, \"documents\": []}",
        "1.001193.json: x-dvc.fee 1.5 is not a whole number of VND (0 or more)");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": -100, \"documents\": []}",
        "1.001193.json: x-dvc.fee -100 is not a whole number of VND (0 or more)");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"documents\": []}",
        "1.001193.json: x-dvc.fee is missing, expected a whole number of VND");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"proccessing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.proccessing is not an x-dvc field");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\", \"fee\": 5,"
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": []}",
        "1.001193.json: x-dvc.fee appears twice");
}

static void
test_rejected_documents(void **state)
{
    (void) state;
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": ["
        " {\"kind\": \"birth_certificate\", \"name\": \"Giấy chứng sinh\", \"required\": true},"
        " {\"kind\": \"birth_certificate\", \"name\": \"Bản sao\", \"required\": false}]}",
        "1.001193.json: x-dvc.documents[1].kind \"birth_certificate\" is already "
        "the kind of x-dvc.documents[0]");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": ["
        " {\"kind\": \"Giay-chung-sinh\", \"name\": \"Giấy chứng sinh\", \"required\": true}]}",
        "1.001193.json: x-dvc.documents[0].kind \"Giay-chung-sinh\" must be 1 to "
        "64 of a-z, 0-9 and _");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": ["
        " {\"kind\": \"birth_certificate\", \"name\": \"Giấy chứng sinh\", \"required\": \"yes\"}]}",
        "1.001193.json: x-dvc.documents[0].required is a string, expected true "
        "or false");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": ["
        " {\"kind\": \"birth_certificate\", \"required\": true}]}",
        "1.001193.json: x-dvc.documents[0].name must be a non-empty string (the "
        "document's Vietnamese name)");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": ["
        " {\"kind\": \"birth_certificate\", \"name\": \"Giấy chứng sinh\","
        "  \"required\": true, \"optional\": false}]}",
        "1.001193.json: x-dvc.documents[0].optional is not an x-dvc field");
    assert_rejected(
        "{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\","
        " \"agency\": \"000.00.10.H47\", \"level\": 4, \"processing\": {\"days\": 3},"
        " \"accept\": \"manual\", \"fee\": 0, \"documents\": {}}",
        "1.001193.json: x-dvc.documents is an object, expected an array of "
        "{\"kind\", \"name\", \"required\"}");
}

static void
test_rejected_files(void **state)
{
    dvc_procedure_t *p;

    (void) state;
    p = dvc_procedure_parse(&dvc_alloc_std, S("{\n  \"type\": \"object\",\n"
                            "  \"x-dvc\": {\"code\": \"1.001193\",}\n}"),
                            "a.json", errbuf, sizeof(errbuf));
    assert_null(p);
    assert_string_equal(errbuf, "a.json: invalid JSON at line 3, column 33 "
                        "(byte 54): invalid object key (must be a string)");

    /* comments are not JSON, even though yajl_tree would allow them */
    p = dvc_procedure_parse(&dvc_alloc_std, S("{\"type\": \"object\" // x\n}"),
                            "b.json", errbuf, sizeof(errbuf));
    assert_null(p);
    assert_true(strncmp(errbuf, "b.json: invalid JSON at line 1", 30) == 0);

    p = dvc_procedure_parse(&dvc_alloc_std, S("{\"a\": 1"), "c.json", errbuf,
                            sizeof(errbuf));
    assert_null(p);
    assert_true(strncmp(errbuf, "c.json: invalid JSON at line 1, column 8 "
                        "(byte 7): ", 48) == 0);

    p = dvc_procedure_parse(&dvc_alloc_std, S("[1, 2]"), "d.json", errbuf,
                            sizeof(errbuf));
    assert_null(p);
    assert_string_equal(errbuf, "d.json: is an array, expected a JSON Schema "
                        "object");

    p = dvc_procedure_parse(&dvc_alloc_std,
                            S("{\"$schema\": \"http://json-schema.org/draft-07/"
                              "schema#\", \"x-dvc\": {}}"),
                            "e.json", errbuf, sizeof(errbuf));
    assert_null(p);
    assert_string_equal(errbuf, "e.json: $schema must be \"https://json-schema."
                        "org/draft/2020-12/schema\" (JSON Schema draft 2020-12)");

    p = dvc_procedure_parse(&dvc_alloc_std, S("{\"type\": \"object\"}"),
                            "f.json", errbuf, sizeof(errbuf));
    assert_null(p);
    assert_string_equal(errbuf, "f.json: no x-dvc object (the procedure's "
                        "metadata, see docs/procedures.md)");

    p = dvc_procedure_parse(&dvc_alloc_std, S("\xef\xbb\xbf{\"x-dvc\": {}}"),
                            "h.json", errbuf, sizeof(errbuf));
    assert_null(p);
    assert_string_equal(errbuf, "h.json: starts with a byte order mark; save "
                        "it as UTF-8 without BOM");

    /* invalid UTF-8 in a string */
    p = dvc_procedure_parse(&dvc_alloc_std, S("{\"title\": \"\xc3\x28\"}"),
                            "g.json", errbuf, sizeof(errbuf));
    assert_null(p);
    assert_true(strncmp(errbuf, "g.json: invalid JSON at line 1", 30) == 0);
}

static void
test_summary(void **state)
{
    dvc_procedure_t *p;
    dvc_buf_t        b;

    (void) state;
    p = parse_xdvc(XDVC_BIRTH);
    assert_non_null(p);
    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_procedure_summary_json(p, &b), 0);
    assert_string_equal(dvc_buf_cstr(&b),
        "{\"code\":\"1.001193\",\"name\":\"Đăng ký khai sinh\","
        "\"agency\":\"000.00.10.H47\",\"level\":4,"
        "\"level_name\":{\"vi\":\"Toàn trình\",\"en\":\"Full online\"},"
        "\"processing\":{\"days\":0.5},\"cutoff\":\"15:00\",\"fee\":0,"
        "\"accept\":\"auto\",\"documents\":["
        "{\"kind\":\"birth_medical_certificate\",\"name\":\"Giấy chứng sinh\","
        "\"required\":true},"
        "{\"kind\":\"applicant_identity\",\"name\":\"Giấy tờ tùy thân của người "
        "đi đăng ký\",\"required\":true},"
        "{\"kind\":\"parents_marriage_certificate\",\"name\":\"Giấy chứng nhận "
        "kết hôn của cha mẹ\",\"required\":false}]}");
    dvc_buf_free(&b);
    dvc_procedure_free(p);
}

static void
test_check_documents(void **state)
{
    dvc_procedure_t *p;
    dvc_buf_t        b;
    const char      *ok[] = { "parents_marriage_certificate",
                              "birth_medical_certificate", "applicant_identity",
                              "birth_medical_certificate" };
    const char      *bad[] = { "birth_medical_certificate", "passport\"x" };
    size_t           lens[4];
    size_t           i;
    const char      *prefix;

    (void) state;
    p = parse_xdvc(XDVC_BIRTH);
    assert_non_null(p);
    dvc_buf_init(&b, &dvc_alloc_std);

    for (i = 0; i < 4; i++) {
        lens[i] = strlen(ok[i]);
    }
    /* optional documents and repeats (two pages) are fine */
    assert_int_equal(dvc_procedure_check_documents(p, ok, lens, 4, &b), 0);
    assert_int_equal(b.len, 0);

    for (i = 0; i < 2; i++) {
        lens[i] = strlen(bad[i]);
    }
    dvc_buf_puts(&b, "[");
    assert_int_equal(dvc_procedure_check_documents(p, bad, lens, 2, &b), 2);
    dvc_buf_puts(&b, "]");
    assert_string_equal(dvc_buf_cstr(&b),
        "[{\"path\":\"/documents/1/kind\",\"keyword\":\"/x-dvc/documents\","
        "\"code\":\"unknown_document\","
        "\"message\":{\"vi\":\"Loại giấy tờ \\\"passport\\\"x\\\" không thuộc "
        "thành phần hồ sơ của thủ tục 1.001193 (Đăng ký khai sinh)\","
        "\"en\":\"Document kind \\\"passport\\\"x\\\" is not a document of "
        "procedure 1.001193; expected birth_medical_certificate, "
        "applicant_identity, parents_marriage_certificate\"}},"
        "{\"path\":\"/documents\",\"keyword\":\"/x-dvc/documents\","
        "\"code\":\"missing_document\",\"message\":{\"vi\":\"Hồ sơ thiếu giấy tờ bắt buộc: Giấy tờ tùy thân "
        "của người đi đăng ký\",\"en\":\"The dossier lacks a required document: "
        "Giấy tờ tùy thân của người đi đăng ký (applicant_identity)\"}}]");

    /* appended after the validator's own violations with a comma */
    dvc_buf_reset(&b);
    dvc_buf_puts(&b, "[{\"path\":\"/delivery\"}");
    assert_int_equal(dvc_procedure_check_documents(p, NULL, NULL, 0, &b), 2);
    prefix = "[{\"path\":\"/delivery\"},{\"path\":\"/documents\","
             "\"keyword\":\"/x-dvc/documents\",\"code\":\"missing_document\"";
    assert_true(strncmp(dvc_buf_cstr(&b), prefix, strlen(prefix)) == 0);

    /* inside the validator's finished array, which stays one array */
    dvc_buf_reset(&b);
    dvc_buf_puts(&b, "[{\"path\":\"/delivery\"}]");
    assert_int_equal(dvc_procedure_check_documents(p, bad, lens, 1, &b), 1);
    assert_true(strncmp(dvc_buf_cstr(&b), prefix, strlen(prefix)) == 0);
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len - 2], '}');
    assert_null(strstr(b.data, "]}"));   /* no ']' left mid-array */

    dvc_buf_reset(&b);
    dvc_buf_puts(&b, "[]");
    assert_int_equal(dvc_procedure_check_documents(p, ok, lens, 0, &b), 2);
    assert_true(strncmp(dvc_buf_cstr(&b), "[{\"path\":\"/documents\",", 22) == 0);
    assert_int_equal(b.data[b.len - 1], ']');

    /* nothing wrong: the array is left as it was */
    dvc_buf_reset(&b);
    dvc_buf_puts(&b, "[]");
    lens[0] = strlen(ok[1]);
    lens[1] = strlen(ok[2]);
    assert_int_equal(dvc_procedure_check_documents(p, ok + 1, lens, 2, &b), 0);
    assert_string_equal(dvc_buf_cstr(&b), "[]");
    dvc_buf_free(&b);
    dvc_procedure_free(p);
}

static void
test_codes(void **state)
{
    (void) state;
    assert_true(dvc_procedure_code_valid(S("1.001193")));
    assert_true(dvc_procedure_code_valid(S("2.000488")));
    assert_false(dvc_procedure_code_valid(S("1.00119")));
    assert_false(dvc_procedure_code_valid(S("1.0011933")));
    assert_false(dvc_procedure_code_valid(S("1-001193")));
    assert_false(dvc_procedure_code_valid(S("a.001193")));
    assert_false(dvc_procedure_code_valid(S("")));
}


/* ------------------------------------------------------------ loader */

static char tmpdir[64];

static void
write_file(const char *name, const char *text)
{
    char  path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
remove_tree(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void
make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/dvc-proc-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static dvc_procedures_t *
load_tmp(void)
{
    return dvc_procedures_load_dir(&dvc_alloc_std, tmpdir, errbuf,
                                   sizeof(errbuf));
}

static void
test_load_dir_errors(void **state)
{
    dvc_procedures_t *set;
    char              expect[512], sub[128];

    (void) state;
    make_tmpdir();

    assert_null(load_tmp());
    snprintf(expect, sizeof(expect), "%s: no procedure schemas (*.json) in the "
             "directory", tmpdir);
    assert_string_equal(errbuf, expect);

    write_file("1.001193.json", SCHEMA_HEAD XDVC_BIRTH SCHEMA_TAIL);
    write_file("README.md", "not a schema");
    write_file(".#1.001193.json", "editor lock file");
    set = load_tmp();
    assert_non_null(set);
    assert_int_equal(set->n, 1);
    assert_int_equal(set->ncommon, 0);
    dvc_procedures_free(set);

    /* the same code in a second file */
    write_file("khai-sinh.json", SCHEMA_HEAD XDVC_BIRTH SCHEMA_TAIL);
    assert_null(load_tmp());
    snprintf(expect, sizeof(expect), "%s/khai-sinh.json: x-dvc.code \"1.001193\" "
             "is already the code of %s/1.001193.json", tmpdir, tmpdir);
    assert_string_equal(errbuf, expect);

    /* a broken file names itself */
    write_file("khai-sinh.json", "{\"x-dvc\": {\"code\": \"1.001193\"}}");
    assert_null(load_tmp());
    snprintf(expect, sizeof(expect), "%s/khai-sinh.json: x-dvc.name must be the "
             "procedure's name, a non-empty string", tmpdir);
    assert_string_equal(errbuf, expect);
    snprintf(sub, sizeof(sub), "%s/khai-sinh.json", tmpdir);
    assert_int_equal(unlink(sub), 0);

    /* unreadable file (not when running as root, who reads anything) */
    if (geteuid() != 0) {
        write_file("2.000488.json", "{}");
        snprintf(sub, sizeof(sub), "%s/2.000488.json", tmpdir);
        assert_int_equal(chmod(sub, 0), 0);
        assert_null(load_tmp());
        snprintf(expect, sizeof(expect), "%s: cannot open: Permission denied",
                 sub);
        assert_string_equal(errbuf, expect);
        assert_int_equal(unlink(sub), 0);
    }

    /* a dangling symbolic link: the file the sysadmin meant is missing */
    snprintf(sub, sizeof(sub), "%s/2.000488.json", tmpdir);
    assert_int_equal(symlink("/nonexistent/2.000488.json", sub), 0);
    assert_null(load_tmp());
    snprintf(expect, sizeof(expect), "%s: not a readable regular file: No such "
             "file or directory", sub);
    assert_string_equal(errbuf, expect);
    assert_int_equal(unlink(sub), 0);

    /* a directory named like a schema */
    snprintf(sub, sizeof(sub), "%s/9.999999.json", tmpdir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_null(load_tmp());
    snprintf(expect, sizeof(expect), "%s/9.999999.json: not a readable regular "
             "file", tmpdir);
    assert_string_equal(errbuf, expect);
    assert_int_equal(rmdir(sub), 0);

    /* shared definitions need an $id */
    snprintf(sub, sizeof(sub), "%s/common", tmpdir);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_file("common/person.json", "{\"$id\": \"x\", /* note */ \"$defs\": {}}");
    assert_null(load_tmp());
    snprintf(expect, sizeof(expect), "%s/common/person.json: invalid JSON at "
             "line 1, column 14 (byte 13): ", tmpdir);
    assert_true(strncmp(errbuf, expect, strlen(expect)) == 0);
    write_file("common/person.json", "{\"$defs\": {}}");
    assert_null(load_tmp());
    snprintf(expect, sizeof(expect), "%s/common/person.json: a shared definition "
             "must be a JSON object with a string \"$id\"", tmpdir);
    assert_string_equal(errbuf, expect);
    write_file("common/person.json", "{\"$id\": \"https://dvc.example.gov.vn/"
               "procedures/common/person.json\", \"$defs\": {}}");
    set = load_tmp();
    assert_non_null(set);
    assert_int_equal(set->ncommon, 1);
    assert_string_equal(set->common[0].id,
                        "https://dvc.example.gov.vn/procedures/common/person.json");
    dvc_procedures_free(set);

    assert_null(dvc_procedures_load_dir(&dvc_alloc_std, "/nonexistent/schemas",
                                        errbuf, sizeof(errbuf)));
    assert_string_equal(errbuf, "/nonexistent/schemas: cannot open the schema "
                        "directory: No such file or directory");
    remove_tree();
}

/* The schemas shipped in schemas/ load, and say what the sources say. */
static void
test_shipped_schemas(void **state)
{
    dvc_procedures_t       *set;
    const dvc_procedure_t  *p;
    dvc_buf_t               b;
    size_t                  i;

    (void) state;
    set = dvc_procedures_load_dir(&dvc_alloc_std, "schemas", errbuf,
                                  sizeof(errbuf));
    if (set == NULL) {
        fail_msg("%s", errbuf);
    }
    assert_true(set->n >= 5);
    assert_true(set->ncommon >= 1);
    for (i = 1; i < set->n; i++) {
        assert_true(strcmp(set->items[i - 1]->code, set->items[i]->code) < 0);
    }
    for (i = 0; i < set->n; i++) {
        /* the file is named after the code */
        assert_non_null(strstr(set->items[i]->file_name, set->items[i]->code));
        assert_non_null(set->items[i]->schema_id);
    }

    p = dvc_procedures_find(set, S("1.001193"));
    assert_non_null(p);
    assert_string_equal(p->name, "Đăng ký khai sinh");
    assert_int_equal(p->fee, 0);
    assert_true(p->accept_auto);
    assert_int_equal(dvc_procedure_processing_minutes(p), 120);
    assert_int_equal(p->cutoff, 15 * 60);
    /* the birth certificate has alternatives (Law on Civil Status art.
     * 16(1)): the schema's "contains" requires one of three, x-dvc none */
    assert_non_null(dvc_procedure_document(p, S("birth_medical_certificate")));
    assert_false(dvc_procedure_document(p, S("birth_medical_certificate"))->required);
    assert_non_null(dvc_procedure_document(p, S("birth_commitment")));

    p = dvc_procedures_find(set, S("1.001612"));
    assert_non_null(p);
    assert_string_equal(p->name, "Đăng ký thành lập hộ kinh doanh");
    assert_int_equal(p->processing_unit, DVC_PROCESSING_DAYS);
    assert_int_equal(p->processing_halves, 6);   /* 3 working days */
    assert_false(p->accept_auto);
    assert_int_equal(p->fee, 100000);
    assert_true(dvc_procedure_document(p, S("registration_request"))->required);
    assert_true(dvc_procedure_document(p, S("owner_identity"))->required);
    assert_false(dvc_procedure_document(p, S("family_meeting_minutes"))->required);

    p = dvc_procedures_find(set, S("1.009994"));
    assert_non_null(p);
    assert_int_equal(p->level, DVC_LEVEL_PARTIAL);
    assert_int_equal(p->processing_halves, 30);  /* 15 days */

    assert_null(dvc_procedures_find(set, S("1.000000")));
    assert_null(dvc_procedures_find(set, S("1.00119")));
    assert_null(dvc_procedures_find(set, S("")));

    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_procedures_listing_json(set, &b), 0);
    assert_true(strncmp(dvc_buf_cstr(&b), "{\"procedures\":[{\"code\":\"", 24) == 0);
    dvc_buf_free(&b);
    dvc_procedures_free(set);
}

/* Each examples/dossiers/CODE.json names its procedure and carries documents
 * the procedure's x-dvc accepts, all required ones included. */
static void
test_shipped_examples(void **state)
{
    dvc_procedures_t  *set;
    dvc_buf_t          b;
    FILE              *f;
    char               path[64], text[65536], ebuf[128];
    const char        *kinds[20];
    const char        *proc_path[] = { "procedure", NULL };
    const char        *docs_path[] = { "documents", NULL };
    const char        *kind_path[] = { "kind", NULL };
    size_t             lens[20], i, j, n;
    yajl_val           root, v, docs;

    (void) state;
    set = dvc_procedures_load_dir(&dvc_alloc_std, "schemas", errbuf,
                                  sizeof(errbuf));
    assert_non_null(set);
    dvc_buf_init(&b, &dvc_alloc_std);
    for (i = 0; i < set->n; i++) {
        snprintf(path, sizeof(path), "examples/dossiers/%s.json",
                 set->items[i]->code);
        f = fopen(path, "r");
        if (f == NULL) {
            fail_msg("%s: missing", path);
        }
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        root = yajl_tree_parse(text, ebuf, sizeof(ebuf));
        assert_non_null(root);
        v = yajl_tree_get(root, proc_path, yajl_t_string);
        assert_non_null(v);
        assert_string_equal(YAJL_GET_STRING(v), set->items[i]->code);
        docs = yajl_tree_get(root, docs_path, yajl_t_array);
        assert_non_null(docs);
        assert_true(docs->u.array.len <= 20);
        for (j = 0; j < docs->u.array.len; j++) {
            v = yajl_tree_get(docs->u.array.values[j], kind_path, yajl_t_string);
            assert_non_null(v);
            kinds[j] = YAJL_GET_STRING(v);
            lens[j] = strlen(kinds[j]);
        }
        dvc_buf_reset(&b);
        if (dvc_procedure_check_documents(set->items[i], kinds, lens,
                                          docs->u.array.len, &b) != 0)
        {
            fail_msg("%s: %.*s", path, (int) b.len, b.data);
        }
        /* and without its documents it lacks every required one */
        dvc_buf_reset(&b);
        n = 0;
        for (j = 0; j < set->items[i]->ndocuments; j++) {
            n += set->items[i]->documents[j].required;
        }
        assert_int_equal(dvc_procedure_check_documents(set->items[i], NULL,
                                                       NULL, 0, &b), (int) n);
        yajl_tree_free(root);
    }
    dvc_buf_free(&b);
    dvc_procedures_free(set);
}

static void
test_sector(void **state)
{
    dvc_procedure_t *p;
    dvc_buf_t        b;

    (void) state;
    /* optional: absent is NULL and not in the listing */
    p = parse_xdvc(XDVC_BIRTH);
    assert_non_null(p);
    assert_null(p->sector);
    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_procedure_summary_json(p, &b), 0);
    dvc_buf_cstr(&b);
    assert_null(strstr(b.data, "sector"));
    dvc_procedure_free(p);

    p = parse_xdvc("{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\", "
                   "\"agency\": \"000.00.10.H47\", \"level\": 4, "
                   "\"sector\": \"ho_tich\", \"processing\": {\"hours\": 2}, "
                   "\"accept\": \"auto\", \"fee\": 0, \"documents\": []}");
    assert_non_null(p);
    assert_string_equal(p->sector, "ho_tich");
    assert_int_equal(p->sector_len, 7);
    dvc_buf_reset(&b);
    assert_int_equal(dvc_procedure_summary_json(p, &b), 0);
    dvc_buf_cstr(&b);
    assert_non_null(strstr(b.data, "\"en\":\"Full online\"},"
                                   "\"sector\":\"ho_tich\",\"processing\""));
    dvc_buf_free(&b);
    dvc_procedure_free(p);

    assert_rejected("{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\", "
                    "\"agency\": \"000.00.10.H47\", \"level\": 4, "
                    "\"sector\": \"Hộ tịch\", \"processing\": {\"hours\": 2}, "
                    "\"accept\": \"auto\", \"fee\": 0, \"documents\": []}",
                    "1.001193.json: x-dvc.sector must be the procedure's "
                    "sector code, 1 to 64 of a-z, 0-9 and _ (e.g. \"ho_tich\")");
    assert_rejected("{\"code\": \"1.001193\", \"name\": \"Đăng ký khai sinh\", "
                    "\"agency\": \"000.00.10.H47\", \"level\": 4, "
                    "\"sector\": 7, \"processing\": {\"hours\": 2}, "
                    "\"accept\": \"auto\", \"fee\": 0, \"documents\": []}",
                    "1.001193.json: x-dvc.sector must be the procedure's "
                    "sector code, 1 to 64 of a-z, 0-9 and _ (e.g. \"ho_tich\")");
}


/* Only the root's first "$schema", "$id", "x-dvc" and the first
 * "properties"' first "procedure" are read, wherever they stand and however
 * their keys are written (the parser finds their spans in the syntax pass,
 * then parses only them). */
static void
test_read_members(void **state)
{
    static const struct { const char *text, *err; } cases[] = {
        /* x-dvc after a property schema that has an "x-dvc" of its own,
         * and a second x-dvc: both ignored */
        { "{\"properties\": {\"a\": {\"x-dvc\": 1},"
          " \"procedure\": {\"const\": \"1.001193\"}},"
          " \"x-d\\u0076c\" \n\t: " XDVC_BIRTH ", \"x-dvc\": 7,"
          " \"$id\": \"https://x/1.json\", \"$id\": 5}", NULL },
        /* the first properties decides, even when not an object */
        { "{\"properties\": [1], \"x-dvc\": " XDVC_BIRTH ","
          " \"properties\": {\"procedure\": {\"const\": \"9\"}}}", NULL },
        { "{\"properties\": {\"procedure\": {\"const\": \"9\"},"
          " \"procedure\": {\"const\": \"1.001193\"}},"
          " \"x-dvc\": " XDVC_BIRTH "}",
          "1.001193.json: properties.procedure.const differs from x-dvc.code "
          "\"1.001193\"" },
        /* a number last, and a number as $id */
        { "{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\","
          " \"x-dvc\": -12.5e3}",
          "1.001193.json: x-dvc is a number, expected an object" },
        { "{\"$id\":17,\"x-dvc\": " XDVC_BIRTH "}",
          "1.001193.json: $id is a number, expected a URI string" },
        { "[1, {\"x-dvc\": 1}]",
          "1.001193.json: is an array, expected a JSON Schema object" },
    };
    dvc_procedure_t *p;
    size_t           i;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        p = dvc_procedure_parse(&dvc_alloc_std, cases[i].text,
                                strlen(cases[i].text), "1.001193.json",
                                errbuf, sizeof(errbuf));
        if (cases[i].err == NULL) {
            if (p == NULL) {
                fail_msg("case %zu: %s", i, errbuf);
            }
            assert_string_equal(p->code, "1.001193");
            assert_string_equal(p->name, "Đăng ký khai sinh");
            if (i == 0) {
                assert_string_equal(p->schema_id, "https://x/1.json");
            }
            dvc_procedure_free(p);
        } else {
            assert_null(p);
            assert_string_equal(errbuf, cases[i].err);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_members),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_level_names_and_hours),
        cmocka_unit_test(test_sector),
        cmocka_unit_test(test_rejected_fields),
        cmocka_unit_test(test_rejected_documents),
        cmocka_unit_test(test_rejected_files),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_check_documents),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_load_dir_errors),
        cmocka_unit_test(test_shipped_schemas),
        cmocka_unit_test(test_shipped_examples),
    };

    return cmocka_run_group_tests_name("procedure", tests, NULL, NULL);
}
