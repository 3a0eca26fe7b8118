/*
 * Uploaded documents (dvc_upload.h) and ClamAV's INSTREAM (dvc_clamd.h).
 * The SHA-256 vector is FIPS 180-2's ("abc").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_upload.h"
#include "dvc_clamd.h"
#include "dvc_procedure.h"

#define S(x) x, sizeof(x) - 1

static const unsigned char  png[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'
};
static const unsigned char  jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F' };


/* feeds data in pieces of step bytes (0: at once) and gives the verdict */
static dvc_upload_result_t
run(dvc_media_t declared, const void *data, size_t len, size_t step,
    const dvc_upload_rules_t *rules, char hex[65])
{
    size_t               off, n;
    dvc_upload_t        *u;
    dvc_upload_result_t  r;
    char                 h[65];

    u = dvc_upload_new(&dvc_alloc_std);
    assert_non_null(u);
    assert_int_equal(dvc_upload_begin(u, declared), 0);

    for (off = 0; off < len; off += n) {
        n = step && step < len - off ? step : len - off;
        assert_int_equal(dvc_upload_feed(u, (const char *) data + off, n), 0);
    }

    assert_int_equal(dvc_upload_finish(u, hex ? hex : h), 0);
    assert_int_equal(dvc_upload_size(u), len);
    r = dvc_upload_verdict(u, rules);
    dvc_upload_free(u);

    return r;
}


static void
test_media_parse(void **state)
{
    (void) state;
    assert_int_equal(dvc_media_parse(S("application/pdf")), DVC_MEDIA_PDF);
    assert_int_equal(dvc_media_parse(S("Application/PDF")), DVC_MEDIA_PDF);
    assert_int_equal(dvc_media_parse(S("image/jpeg; q=1")), DVC_MEDIA_JPEG);
    assert_int_equal(dvc_media_parse(S("image/png")), DVC_MEDIA_PNG);
    assert_int_equal(dvc_media_parse(S("image/pngx")), DVC_MEDIA_NONE);
    assert_int_equal(dvc_media_parse(S("image/jpg")), DVC_MEDIA_NONE);
    assert_int_equal(dvc_media_parse(S("application/pd")), DVC_MEDIA_NONE);
    assert_int_equal(dvc_media_parse(S("")), DVC_MEDIA_NONE);
    assert_int_equal(dvc_media_parse(S("text/html")), DVC_MEDIA_NONE);
    assert_string_equal(dvc_media_name(DVC_MEDIA_PNG), "image/png");
    assert_null(dvc_media_name(DVC_MEDIA_NONE));
}


static void
test_sniff(void **state)
{
    (void) state;
    assert_int_equal(dvc_media_sniff((const unsigned char *) "%PDF-1.4", 8),
                     DVC_MEDIA_PDF);
    assert_int_equal(dvc_media_sniff(png, sizeof(png)), DVC_MEDIA_PNG);
    assert_int_equal(dvc_media_sniff(jpeg, sizeof(jpeg)), DVC_MEDIA_JPEG);
    assert_int_equal(dvc_media_sniff(png, 7), DVC_MEDIA_NONE);
    assert_int_equal(dvc_media_sniff(jpeg, 2), DVC_MEDIA_NONE);
    assert_int_equal(dvc_media_sniff((const unsigned char *) " %PDF-1.4", 9),
                     DVC_MEDIA_NONE);
    assert_int_equal(dvc_media_sniff((const unsigned char *) "GIF89a", 6),
                     DVC_MEDIA_NONE);
}


static void
test_hash(void **state)
{
    char  hex[65];

    (void) state;
    /* FIPS 180-2, appendix B.1; the same cut in every way */
    (void) run(DVC_MEDIA_PDF, "abc", 3, 0, NULL, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    (void) run(DVC_MEDIA_PDF, "abc", 3, 1, NULL, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
}


static void
test_verdicts(void **state)
{
    static const char   pdf[] = "%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";
    dvc_upload_rules_t  rules;

    (void) state;

    assert_int_equal(run(DVC_MEDIA_PDF, S(pdf), 0, NULL, NULL), DVC_UPLOAD_OK);
    assert_int_equal(run(DVC_MEDIA_PDF, S(pdf), 1, NULL, NULL), DVC_UPLOAD_OK);
    assert_int_equal(run(DVC_MEDIA_PNG, png, sizeof(png), 3, NULL, NULL),
                     DVC_UPLOAD_OK);
    assert_int_equal(run(DVC_MEDIA_JPEG, jpeg, sizeof(jpeg), 1, NULL, NULL),
                     DVC_UPLOAD_OK);

    assert_int_equal(run(DVC_MEDIA_PDF, "", 0, 0, NULL, NULL),
                     DVC_UPLOAD_EMPTY);
    /* a PNG declared as a PDF, a PDF declared as a JPEG, HTML as a PNG */
    assert_int_equal(run(DVC_MEDIA_PDF, png, sizeof(png), 0, NULL, NULL),
                     DVC_UPLOAD_MISMATCH);
    assert_int_equal(run(DVC_MEDIA_JPEG, S(pdf), 0, NULL, NULL),
                     DVC_UPLOAD_MISMATCH);
    assert_int_equal(run(DVC_MEDIA_PNG, S("<html><script>"), 0, NULL, NULL),
                     DVC_UPLOAD_MISMATCH);
    /* shorter than the magic */
    assert_int_equal(run(DVC_MEDIA_PDF, S("%PD"), 0, NULL, NULL),
                     DVC_UPLOAD_MISMATCH);
    assert_int_equal(run(DVC_MEDIA_NONE, S(pdf), 0, NULL, NULL),
                     DVC_UPLOAD_MEDIA_TYPE);

    /* "%PDF-" without its version */
    assert_int_equal(run(DVC_MEDIA_PDF, S("%PDF-"), 0, NULL, NULL),
                     DVC_UPLOAD_MALFORMED);
    assert_int_equal(run(DVC_MEDIA_PDF, S("%PDF-x.y\n"), 0, NULL, NULL),
                     DVC_UPLOAD_MALFORMED);
    assert_int_equal(run(DVC_MEDIA_PDF, S("%PDF-9.1\n"), 0, NULL, NULL),
                     DVC_UPLOAD_MALFORMED);

    /* kinds' rules */
    rules.types = DVC_MEDIA_PDF;
    rules.max_size = 0;
    assert_int_equal(run(DVC_MEDIA_PNG, png, sizeof(png), 0, &rules, NULL),
                     DVC_UPLOAD_TYPE);
    assert_int_equal(run(DVC_MEDIA_PDF, S(pdf), 0, &rules, NULL),
                     DVC_UPLOAD_OK);
    rules.types = 0;
    rules.max_size = sizeof(pdf) - 2;
    assert_int_equal(run(DVC_MEDIA_PDF, S(pdf), 0, &rules, NULL),
                     DVC_UPLOAD_TOO_LARGE);
    rules.max_size = sizeof(pdf) - 1;
    assert_int_equal(run(DVC_MEDIA_PDF, S(pdf), 0, &rules, NULL),
                     DVC_UPLOAD_OK);

    assert_true(dvc_upload_too_large(&rules, sizeof(pdf)));
    assert_false(dvc_upload_too_large(&rules, sizeof(pdf) - 1));
    assert_false(dvc_upload_too_large(NULL, UINT64_C(1) << 40));
}


/* /Encrypt anywhere, however the buffers cut it */
static void
test_encrypted(void **state)
{
    static const char  enc[] = "%PDF-1.6\n1 0 obj <<>> endobj\ntrailer\n"
                               "<< /Root 1 0 R /Encrypt 2 0 R >>\n%%EOF\n";
    static const char  near[] = "%PDF-1.6\n/Encryp /ncrypt /Encrypx\n";
    size_t             step;

    (void) state;

    for (step = 0; step <= sizeof(enc); step++) {
        assert_int_equal(run(DVC_MEDIA_PDF, S(enc), step, NULL, NULL),
                         DVC_UPLOAD_ENCRYPTED);
    }

    for (step = 0; step <= sizeof(near); step++) {
        assert_int_equal(run(DVC_MEDIA_PDF, S(near), step, NULL, NULL),
                         DVC_UPLOAD_OK);
    }
}


static void
test_results(void **state)
{
    dvc_buf_t  b;

    (void) state;
    assert_string_equal(dvc_upload_result_code(DVC_UPLOAD_INFECTED),
                        "document_infected");
    assert_int_equal(dvc_upload_result_status(DVC_UPLOAD_TOO_LARGE), 413);
    assert_int_equal(dvc_upload_result_status(DVC_UPLOAD_EMPTY), 422);
    assert_int_equal(dvc_upload_result_status(DVC_UPLOAD_MEDIA_TYPE), 415);

    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_upload_error_json(DVC_UPLOAD_EMPTY, &b), 0);
    assert_non_null(dvc_buf_cstr(&b));
    assert_string_equal(b.data, "{\"error\":\"document_empty\",\"message\":"
                        "{\"vi\":\"Tệp tải lên không có dữ liệu (0 byte).\","
                        "\"en\":\"The uploaded file is empty (0 bytes).\"}}");
    assert_int_equal(dvc_upload_error_json(DVC_UPLOAD_OK, &b), -1);
    dvc_buf_free(&b);
}


static void
test_store_path(void **state)
{
    char  rel[DVC_UPLOAD_REL_LEN];

    (void) state;
    assert_int_equal(dvc_upload_store_path(S("ba7816bf8f01cfea414140de5dae2223"
                                             "b00361a396177a9cb410ff61f20015ad"),
                                           rel), 0);
    assert_memory_equal(rel, "ba/ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad",
                        DVC_UPLOAD_REL_LEN);
    /* upper case, a dot, a slash, short, long: never a path */
    assert_int_equal(dvc_upload_store_path(S("BA7816BF8F01CFEA414140DE5DAE2223"
                                             "B00361A396177A9CB410FF61F20015AD"),
                                           rel), -1);
    assert_int_equal(dvc_upload_store_path(S("../16bf8f01cfea414140de5dae2223"
                                             "b00361a396177a9cb410ff61f20015ad"),
                                           rel), -1);
    assert_int_equal(dvc_upload_store_path(S("ba78"), rel), -1);
    assert_false(dvc_sha256_hex_valid(S("ba7816bf8f01cfea414140de5dae2223"
                                        "b00361a396177a9cb410ff61f20015ad0")));
}


static void
test_clamd_frames(void **state)
{
    unsigned char  h[4];

    (void) state;
    assert_int_equal(DVC_CLAMD_COMMAND_LEN, 10);
    assert_memory_equal(DVC_CLAMD_COMMAND, "zINSTREAM\0", 10);
    dvc_clamd_chunk_header(h, 0x01020304);
    assert_memory_equal(h, "\x01\x02\x03\x04", 4);
    dvc_clamd_chunk_header(h, 0);
    assert_memory_equal(h, "\0\0\0\0", 4);
    dvc_clamd_chunk_header(h, 65536);
    assert_memory_equal(h, "\0\x01\0\0", 4);
}


static void
test_clamd_replies(void **state)
{
    char  what[64];

    (void) state;
    assert_int_equal(dvc_clamd_parse_reply(S("stream: OK\0"), 0, what,
                                           sizeof(what)), DVC_CLAMD_CLEAN);
    assert_int_equal(dvc_clamd_parse_reply(S("stream: OK"), 0, what,
                                           sizeof(what)), DVC_CLAMD_INCOMPLETE);
    assert_int_equal(dvc_clamd_parse_reply(S("stream: OK\n"), 1, what,
                                           sizeof(what)), DVC_CLAMD_CLEAN);
    assert_int_equal(dvc_clamd_parse_reply(
                         S("stream: DVC.Test.EICAR.UNOFFICIAL FOUND\0"), 0,
                         what, sizeof(what)), DVC_CLAMD_INFECTED);
    assert_string_equal(what, "DVC.Test.EICAR.UNOFFICIAL");
    assert_int_equal(dvc_clamd_parse_reply(
                         S("INSTREAM size limit exceeded. ERROR\0"), 0,
                         what, sizeof(what)), DVC_CLAMD_ERROR);
    assert_string_equal(what, "INSTREAM size limit exceeded. ERROR");
    /* closed without a word, garbage, a name cut to the buffer */
    assert_int_equal(dvc_clamd_parse_reply("", 0, 1, what, sizeof(what)),
                     DVC_CLAMD_ERROR);
    assert_int_equal(dvc_clamd_parse_reply(S("stream: \x01\x02\0"), 0, what,
                                           sizeof(what)), DVC_CLAMD_ERROR);
    assert_string_equal(what, "stream: ??");
    assert_int_equal(dvc_clamd_parse_reply(S("stream: ABCDEFGH FOUND\0"), 0,
                                           what, 4), DVC_CLAMD_INFECTED);
    assert_string_equal(what, "ABC");
    assert_string_equal(dvc_clamd_verdict_name(DVC_CLAMD_INFECTED),
                        "infected");
}


static void
test_listed(void **state)
{
    dvc_buf_t            b;
    dvc_upload_rules_t   rules = { DVC_MEDIA_PDF, 1000 };
    dvc_upload_record_t  rec = { 1, 900, DVC_MEDIA_PDF };
    dvc_upload_record_t  none = { 0, 0, DVC_MEDIA_NONE };

    (void) state;
    assert_int_equal(dvc_upload_check_listed(&rec, 900, DVC_MEDIA_PDF, &rules),
                     DVC_UPLOAD_OK);
    assert_int_equal(dvc_upload_check_listed(&rec, -1, DVC_MEDIA_NONE, NULL),
                     DVC_UPLOAD_OK);
    assert_int_equal(dvc_upload_check_listed(&none, 900, DVC_MEDIA_PDF, NULL),
                     DVC_UPLOAD_NOT_UPLOADED);
    assert_int_equal(dvc_upload_check_listed(&rec, 901, DVC_MEDIA_PDF, NULL),
                     DVC_UPLOAD_LISTED_MISMATCH);
    assert_int_equal(dvc_upload_check_listed(&rec, 900, DVC_MEDIA_PNG, NULL),
                     DVC_UPLOAD_LISTED_MISMATCH);
    rules.max_size = 899;
    assert_int_equal(dvc_upload_check_listed(&rec, 900, DVC_MEDIA_PDF, &rules),
                     DVC_UPLOAD_TOO_LARGE);
    rules.types = DVC_MEDIA_JPEG | DVC_MEDIA_PNG;
    assert_int_equal(dvc_upload_check_listed(&rec, 900, DVC_MEDIA_PDF, &rules),
                     DVC_UPLOAD_TYPE);

    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_upload_violation_json(DVC_UPLOAD_NOT_UPLOADED, 3, &b),
                     0);
    assert_non_null(dvc_buf_cstr(&b));
    assert_true(strncmp(b.data, "{\"path\":\"/documents/3/sha256\",\"keyword\":"
                        "\"/x-dvc/uploads\",\"code\":\"document_not_uploaded\","
                        "\"message\":{\"vi\":\"", 104) == 0);
    dvc_buf_free(&b);
}


/* x-dvc documents[].types and max_size */
#define HEAD \
    "{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\"," \
    " \"type\": \"object\", \"x-dvc\": {\"code\": \"1.001193\"," \
    " \"name\": \"Đăng ký khai sinh\", \"agency\": \"000.00.10.H47\"," \
    " \"level\": 4, \"processing\": {\"days\": 1}, \"accept\": \"auto\"," \
    " \"fee\": 0, \"documents\": [{\"kind\": \"id_card\", \"name\": \"CCCD\"," \
    " \"required\": true"
#define TAIL "}]}}"

static dvc_procedure_t *
parse(const char *doc, char *err, size_t errlen)
{
    char  text[2048];
    int   n;

    n = snprintf(text, sizeof(text), "%s%s%s", HEAD, doc, TAIL);
    return dvc_procedure_parse(&dvc_alloc_std, text, (size_t) n, "p.json",
                               err, errlen);
}

static void
test_kind_rules(void **state)
{
    char              err[256];
    dvc_buf_t         b;
    dvc_procedure_t  *p;

    (void) state;

    p = parse("", err, sizeof(err));
    assert_non_null(p);
    assert_int_equal(p->documents[0].types, 0);
    assert_int_equal(p->documents[0].max_size, 0);
    dvc_procedure_free(p);

    p = parse(", \"types\": [\"image/jpeg\", \"application/pdf\"],"
              " \"max_size\": 2097152", err, sizeof(err));
    assert_non_null(p);
    assert_int_equal(p->documents[0].types, DVC_MEDIA_JPEG | DVC_MEDIA_PDF);
    assert_int_equal(p->documents[0].max_size, 2097152);
    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_procedure_summary_json(p, &b), 0);
    assert_non_null(dvc_buf_cstr(&b));
    assert_non_null(strstr(b.data, "\"required\":true,\"types\":"
                           "[\"application/pdf\",\"image/jpeg\"],"
                           "\"max_size\":2097152}"));
    dvc_buf_free(&b);
    dvc_procedure_free(p);

    assert_null(parse(", \"types\": [\"image/gif\"]", err, sizeof(err)));
    assert_string_equal(err, "p.json: x-dvc.documents[0].types[0] must be "
                        "\"application/pdf\", \"image/jpeg\" or \"image/png\"");
    assert_null(parse(", \"types\": [\"Image/PNG\"]", err, sizeof(err)));
    assert_null(parse(", \"types\": [\"image/png\", \"image/png\"]", err,
                      sizeof(err)));
    assert_string_equal(err, "p.json: x-dvc.documents[0].types[1] "
                        "\"image/png\" is given twice");
    assert_null(parse(", \"types\": []", err, sizeof(err)));
    assert_null(parse(", \"max_size\": 0", err, sizeof(err)));
    assert_string_equal(err, "p.json: x-dvc.documents[0].max_size must be an "
                        "integer of bytes, at least 1");
    assert_null(parse(", \"max_size\": \"2MB\"", err, sizeof(err)));
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_media_parse),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_encrypted),
        cmocka_unit_test(test_results),
        cmocka_unit_test(test_store_path),
        cmocka_unit_test(test_clamd_frames),
        cmocka_unit_test(test_clamd_replies),
        cmocka_unit_test(test_kind_rules),
        cmocka_unit_test(test_listed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
