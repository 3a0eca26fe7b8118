/*
 * The lifecycle: every (type, status) pair of the contract's table, written
 * out here by hand (not read from the core's table), and the event body's
 * rules with the field each refusal names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_lifecycle.h"
#include "dvc_status.h"
#include "dvc_time.h"

#define S(x) x, sizeof(x) - 1
#define P    (-1)      /* the status before 7 */

/* 2026-11-23T09:00:00+07:00 */
#define NOW  INT64_C(1795399200)

/* expected target from status 1..10; 0 = illegal */
static const struct {
    dvc_event_type_t  type;
    const char       *name;
    int               to[11];
} expected[] = {
    /*                                          1  2  3  4  5  6  7  8  9  10 */
    { DVC_EV_ACCEPT, "accept",             { 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
    { DVC_EV_REFUSE, "refuse",             { 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
    { DVC_EV_REQUEST_SUPPLEMENT, "request_supplement",
                                           { 0, 5, 5, 0, 5, 0, 0, 0, 0, 0, 0 } },
    { DVC_EV_PROCESS, "process",           { 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 0 } },
    { DVC_EV_REQUEST_PAYMENT, "request_payment",
                                           { 0, 0, 6, 0, 6, 0, 0, 0, 0, 0, 0 } },
    { DVC_EV_DELAY, "delay",               { 0, 0, 2, 0, 4, 0, 6, 0, 0, 0, 0 } },
    { DVC_EV_STOP, "stop",                 { 0, 0, 8, 0, 8, 8, 8, 0, 0, 0, 0 } },
    { DVC_EV_CONFIRM_WITHDRAWAL, "confirm_withdrawal",
                                           { 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0 } },
    { DVC_EV_DECLINE_WITHDRAWAL, "decline_withdrawal",
                                           { 0, 0, 0, 0, 0, 0, 0, P, 0, 0, 0 } },
    { DVC_EV_RESOLVE, "resolve",           { 0, 0, 9, 0, 9, 0, 0, 0, 0, 0, 0 } },
    { DVC_EV_RETURN, "return",             { 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0 } },
    { DVC_ACT_WITHDRAWAL, "withdrawal",    { 0, 7, 7, 0, 7, 7, 7, 0, 0, 0, 0 } },
    { DVC_ACT_SUPPLEMENT, "supplement",    { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 } },
    { DVC_ACT_RATING, "rating",            { 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 10 } },
};

#define NEXPECTED  (sizeof(expected) / sizeof(expected[0]))

/* A body the type accepts: its required fields with real content. */
static void
good_body(char *out, size_t cap, const char *type, const char *id)
{
    const char *extra = "";

    if (strcmp(type, "refuse") == 0 || strcmp(type, "stop") == 0
        || strcmp(type, "decline_withdrawal") == 0)
    {
        extra = ",\"reason\":\"Hồ sơ không thuộc thẩm quyền của phường\"";
    } else if (strcmp(type, "request_supplement") == 0) {
        extra = ",\"reason\":{\"vi\":\"Thiếu bản sao giấy khai sinh của con\","
                "\"en\":\"The child's birth certificate copy is missing\"},"
                "\"documents\":[{\"name\":\"Bản sao Giấy khai sinh\","
                "\"note\":\"bản sao có chứng thực\"},\"Sổ hộ khẩu\"]";
    } else if (strcmp(type, "request_payment") == 0) {
        extra = ",\"reason\":\"Nộp lệ phí 50.000 đồng tại Bộ phận Một cửa\","
                "\"amount\":50000";
    } else if (strcmp(type, "delay") == 0) {
        extra = ",\"reason\":\"Xin lỗi ông/bà vì cần xác minh thêm\","
                "\"new_due_at\":\"2026-12-01T16:00:00+07:00\"";
    }

    snprintf(out, cap, "{\"id\":\"%s\",\"type\":\"%s\",\"at\":"
             "\"2026-11-23T08:59:30+07:00\"%s}", id, type, extra);
}

static void
test_table(void **state)
{
    int                      from, to, prev, n;
    size_t                   i;
    const dvc_transition_t  *t;

    (void) state;

    for (i = 0; i < NEXPECTED; i++) {
        t = dvc_transition(expected[i].type);
        assert_non_null(t);
        assert_string_equal(t->name, expected[i].name);
        assert_int_equal(t->backend, expected[i].type <= DVC_EV_LAST);

        /* names find back-end types only */
        if (t->backend) {
            assert_ptr_equal(dvc_transition_by_name(t->name, strlen(t->name)),
                             t);
        } else {
            assert_null(dvc_transition_by_name(t->name, strlen(t->name)));
        }

        for (from = 0; from <= 11; from++) {
            /* decline_withdrawal goes back to each legal prev status */
            for (prev = 1; prev <= 10; prev++) {
                int want = from >= 1 && from <= 10 ? expected[i].to[from] : 0;

                if (want == P) {
                    want = (prev == 1 || prev == 2 || prev == 4 || prev == 5
                            || prev == 6) ? prev : 0;
                }

                to = dvc_transition_target(expected[i].type, from, prev);
                if (to != want) {
                    fail_msg("%s from %d (prev %d): %d, expected %d",
                             expected[i].name, from, prev, to, want);
                }
                assert_int_equal(dvc_transition_allowed(expected[i].type,
                                                        from),
                                 from >= 1 && from <= 10
                                 && expected[i].to[from] != 0);
            }
        }
    }

    assert_null(dvc_transition(0));
    assert_null(dvc_transition(DVC_ACT_LAST + 1));
    assert_null(dvc_transition_by_name(S("Accept")));
    assert_null(dvc_transition_by_name(S("accep")));

    /* terminal statuses: nothing leaves them (a rating at 10 stays 10) */
    n = 0;
    for (from = 1; from <= 10; from++) {
        assert_int_equal(dvc_status_terminal(from),
                         from == 3 || from == 8 || from == 10);
        if (dvc_status_terminal(from)) {
            for (i = 0; i < NEXPECTED; i++) {
                if (expected[i].type == DVC_ACT_RATING) {
                    n++;
                    continue;
                }
                assert_int_equal(expected[i].to[from], 0);
                assert_int_equal(dvc_transition_target(expected[i].type, from,
                                                       0), 0);
                n++;
            }
        }
    }
    assert_int_equal(n, 3 * NEXPECTED);
}

static void
test_allowed_json(void **state)
{
    dvc_buf_t  b;

    (void) state;
    dvc_buf_init(&b, &dvc_alloc_std);

    dvc_transitions_allowed_json(&b, 1, 0);
    assert_string_equal(dvc_buf_cstr(&b), "[{\"type\":\"accept\",\"to\":2},"
                        "{\"type\":\"refuse\",\"to\":3},{\"type\":"
                        "\"request_supplement\",\"to\":5}]");
    dvc_buf_reset(&b);
    dvc_transitions_allowed_json(&b, 2, 0);
    assert_string_equal(dvc_buf_cstr(&b), "[{\"type\":\"request_supplement\","
                        "\"to\":5},{\"type\":\"process\",\"to\":4},{\"type\":"
                        "\"request_payment\",\"to\":6},{\"type\":\"delay\","
                        "\"to\":2},{\"type\":\"stop\",\"to\":8},{\"type\":"
                        "\"resolve\",\"to\":9}]");
    dvc_buf_reset(&b);
    dvc_transitions_allowed_json(&b, 7, 4);
    assert_string_equal(dvc_buf_cstr(&b), "[{\"type\":\"confirm_withdrawal\","
                        "\"to\":8},{\"type\":\"decline_withdrawal\",\"to\":4}]");
    dvc_buf_reset(&b);
    dvc_transitions_allowed_json(&b, 9, 0);
    assert_string_equal(dvc_buf_cstr(&b), "[{\"type\":\"return\",\"to\":10}]");
    dvc_buf_reset(&b);
    dvc_transitions_allowed_json(&b, 10, 0);
    assert_string_equal(dvc_buf_cstr(&b), "[]");
    dvc_buf_reset(&b);
    dvc_transitions_allowed_json(&b, 3, 0);
    assert_string_equal(dvc_buf_cstr(&b), "[]");
    dvc_buf_free(&b);
}

/* Every pair again, through parse + check, as the endpoint runs them. */
static void
test_event_check_every_pair(void **state)
{
    int                   from, to;
    char                  body[1024];
    size_t                i;
    dvc_event_t           ev;
    dvc_event_error_t     err;
    dvc_dossier_state_t   d;

    (void) state;

    for (i = 0; i < NEXPECTED; i++) {
        if (expected[i].type > DVC_EV_LAST) {
            continue;
        }

        good_body(body, sizeof(body), expected[i].name, "evt-1");

        for (from = 1; from <= 10; from++) {
            if (dvc_event_parse(&dvc_alloc_std, body, strlen(body), NOW, &ev,
                                &err) != 0)
            {
                fail_msg("%s: %s %s", body, err.code, err.field);
            }

            memset(&d, 0, sizeof(d));
            d.status = from;
            d.prev_status = from == 7 ? 6 : 0;
            d.due_ts = NOW + 86400;
            d.last_ts = NOW - 3600;
            to = -99;

            if (expected[i].to[from] == 0) {
                assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), -1);
                assert_int_equal(err.http, 409);
                assert_string_equal(err.code, "illegal_transition");
                assert_int_equal(to, -99);
            } else {
                assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), 0);
                assert_int_equal(to, expected[i].to[from] == P
                                     ? 6 : expected[i].to[from]);
            }

            dvc_event_free(&dvc_alloc_std, &ev);
        }
    }
}

static void
expect_refusal(const char *body, int http, const char *code,
    const char *field)
{
    dvc_event_t        ev;
    dvc_event_error_t  err;

    if (dvc_event_parse(&dvc_alloc_std, body, strlen(body), NOW, &ev, &err)
        == 0)
    {
        fail_msg("accepted: %s", body);
    }

    if (err.http != http || strcmp(err.code, code) != 0
        || strcmp(err.field, field) != 0)
    {
        fail_msg("%s: %d %s \"%s\", expected %d %s \"%s\"", body, err.http,
                 err.code, err.field, http, code, field);
    }

    assert_true(err.message_vi[0] != '\0' && err.message_en[0] != '\0');
}

static void
expect_doc_note(const char *body, const char *name, const char *note)
{
    dvc_event_t        ev;
    dvc_event_error_t  err;

    if (dvc_event_parse(&dvc_alloc_std, body, strlen(body), NOW, &ev, &err)
        != 0)
    {
        fail_msg("refused: %s: %s %s", body, err.code, err.field);
    }

    assert_int_equal(ev.ndocuments, 1);
    assert_string_equal(ev.documents[0].name, name);
    assert_string_equal(ev.documents[0].note, note);
    dvc_event_free(&dvc_alloc_std, &ev);
}

static void
test_parse_refusals(void **state)
{
    (void) state;

    /* not JSON, not an object: 400 */
    expect_refusal("", 400, "json_syntax", "");
    expect_refusal("{\"id\":", 400, "json_syntax", "");
    expect_refusal("[1,2]", 400, "json_syntax", "");
    expect_refusal("\"accept\"", 400, "json_syntax", "");
    expect_refusal("{\"id\":\"e\\u0000x\",\"type\":\"accept\"}", 400,
                   "json_syntax", "");
    expect_refusal("{\"id\":\"e\xff\",\"type\":\"accept\"}", 400,
                   "json_syntax", "");

    /* id */
    expect_refusal("{\"type\":\"accept\"}", 422, "missing_field", "id");
    expect_refusal("{\"id\":\"\",\"type\":\"accept\"}", 422, "invalid_field",
                   "id");
    expect_refusal("{\"id\":7,\"type\":\"accept\"}", 422, "invalid_field", "id");
    expect_refusal("{\"id\":\"evt 1\",\"type\":\"accept\"}", 422,
                   "invalid_field", "id");
    expect_refusal("{\"id\":\"e/../1\",\"type\":\"accept\"}", 422,
                   "invalid_field", "id");
    expect_refusal("{\"id\":\"0123456789012345678901234567890123456789012345"
                   "6789012345678901234\",\"type\":\"accept\"}", 422,
                   "invalid_field", "id");    /* 65 */
    expect_refusal("{\"id\":\"a\",\"id\":\"b\",\"type\":\"accept\"}", 422,
                   "invalid_field", "id");

    /* type */
    expect_refusal("{\"id\":\"e1\"}", 422, "missing_field", "type");
    expect_refusal("{\"id\":\"e1\",\"type\":\"approve\"}", 422,
                   "invalid_field", "type");
    expect_refusal("{\"id\":\"e1\",\"type\":\"withdrawal\"}", 422,
                   "invalid_field", "type");   /* a citizen's action */
    expect_refusal("{\"id\":\"e1\",\"type\":2}", 422, "invalid_field", "type");

    /* at: format, future */
    expect_refusal("{\"id\":\"e1\",\"type\":\"accept\",\"at\":\"2026-11-23 "
                   "09:00\"}", 422, "invalid_field", "at");
    expect_refusal("{\"id\":\"e1\",\"type\":\"accept\",\"at\":"
                   "\"2026-11-23T09:00:00\"}", 422, "invalid_field", "at");
    expect_refusal("{\"id\":\"e1\",\"type\":\"accept\",\"at\":"
                   "\"2026-11-23T09:01:01+07:00\"}", 422, "invalid_field", "at");

    /* actor */
    expect_refusal("{\"id\":\"e1\",\"type\":\"accept\",\"actor\":\"\"}", 422,
                   "invalid_field", "actor");
    expect_refusal("{\"id\":\"e1\",\"type\":\"accept\",\"actor\":[]}", 422,
                   "invalid_field", "actor");

    /* required fields by type */
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\"}", 422, "missing_field",
                   "reason");
    expect_refusal("{\"id\":\"e1\",\"type\":\"stop\"}", 422, "missing_field",
                   "reason");
    expect_refusal("{\"id\":\"e1\",\"type\":\"decline_withdrawal\"}", 422,
                   "missing_field", "reason");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_payment\"}", 422,
                   "missing_field", "reason");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_supplement\","
                   "\"reason\":\"Thiếu giấy khai sinh\"}", 422,
                   "missing_field", "documents");
    expect_refusal("{\"id\":\"e1\",\"type\":\"delay\",\"reason\":\"Xin lỗi vì "
                   "chậm trễ\"}", 422, "missing_field", "new_due_at");
    expect_refusal("{\"id\":\"e1\",\"type\":\"delay\",\"new_due_at\":"
                   "\"2026-12-01T16:00:00+07:00\"}", 422, "missing_field",
                   "reason");

    /* fields a type does not take, unknown fields */
    expect_refusal("{\"id\":\"e1\",\"type\":\"accept\",\"reason\":\"Hồ sơ đủ "
                   "điều kiện\"}", 422, "invalid_field", "reason");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":\"Không "
                   "thuộc thẩm quyền\",\"documents\":[\"x\"]}", 422,
                   "invalid_field", "documents");
    expect_refusal("{\"id\":\"e1\",\"type\":\"process\",\"reasons\":\"a b\"}",
                   422, "invalid_field", "reasons");
    expect_refusal("{\"id\":\"e1\",\"type\":\"resolve\",\"rating\":"
                   "\"satisfied\"}", 422, "invalid_field", "rating");

    /* reasons: human, sized, vi required */
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":"
                   "\"ERR_DOC_MISSING\"}", 422, "reason_not_human", "reason");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":"
                   "\"thieu_giay_to\"}", 422, "reason_not_human", "reason");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":{\"vi\":"
                   "\"E42\"}}", 422, "reason_not_human", "reason.vi");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":{\"vi\":"
                   "\"Không thuộc thẩm quyền\",\"en\":\"NOT_COMPETENT\"}}", 422,
                   "reason_not_human", "reason.en");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":{\"en\":"
                   "\"Not our competence\"}}", 422, "missing_field",
                   "reason.vi");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":{\"vi\":"
                   "\"Không thuộc\",\"fr\":\"x y\"}}", 422, "invalid_field",
                   "reason.fr");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":{\"vi\":"
                   "\"Không thuộc thẩm quyền\",\"vi\":\"Thuộc thẩm quyền\"}}",
                   422, "invalid_field", "reason.vi");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":{\"vi\":"
                   "\"Không thuộc thẩm quyền\",\"en\":\"\"}}", 422,
                   "invalid_field", "reason.en");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":{}}", 422,
                   "missing_field", "reason.vi");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":\"\"}", 422,
                   "invalid_field", "reason");
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\",\"reason\":42}", 422,
                   "invalid_field", "reason");

    /* documents */
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_supplement\",\"reason\":"
                   "\"Thiếu giấy tờ\",\"documents\":[]}", 422, "invalid_field",
                   "documents");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_supplement\",\"reason\":"
                   "\"Thiếu giấy tờ\",\"documents\":\"Giấy khai sinh\"}", 422,
                   "invalid_field", "documents");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_supplement\",\"reason\":"
                   "\"Thiếu giấy tờ\",\"documents\":[\"Giấy khai sinh\","
                   "{\"note\":\"bản sao\"}]}", 422, "missing_field",
                   "documents[1].name");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_supplement\",\"reason\":"
                   "\"Thiếu giấy tờ\",\"documents\":[\"\"]}", 422,
                   "invalid_field", "documents[0]");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_supplement\",\"reason\":"
                   "\"Thiếu giấy tờ\",\"documents\":[{\"name\":\"x\","
                   "\"size\":3}]}", 422, "invalid_field", "documents[0].size");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_supplement\",\"reason\":"
                   "\"Thiếu giấy tờ\",\"documents\":[7]}", 422,
                   "invalid_field", "documents[0]");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_supplement\",\"reason\":"
                   "\"Thiếu giấy tờ\",\"documents\":[\"Sổ hộ khẩu\",{\"name\":"
                   "\"Giấy khai sinh\",\"name\":\"CCCD\"}]}", 422,
                   "invalid_field", "documents[1].name");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_supplement\",\"reason\":"
                   "\"Thiếu giấy tờ\",\"documents\":[{\"name\":\"Giấy khai "
                   "sinh\",\"note\":\"\"}]}", 422, "invalid_field",
                   "documents[0].note");
    /* a document's note is not a reason: a code-like one is taken as sent */
    expect_doc_note("{\"id\":\"e1\",\"type\":\"request_supplement\",\"reason\":"
                    "\"Thiếu giấy tờ\",\"documents\":[{\"note\":\"BAN_SAO\","
                    "\"name\":\"Giấy khai sinh\"}]}", "Giấy khai sinh", "BAN_SAO");

    /* delay: the new appointment later than now */
    expect_refusal("{\"id\":\"e1\",\"type\":\"delay\",\"reason\":\"Xin lỗi vì "
                   "chậm trễ\",\"new_due_at\":\"2026-11-23T08:00:00+07:00\"}",
                   422, "invalid_field", "new_due_at");
    expect_refusal("{\"id\":\"e1\",\"type\":\"delay\",\"reason\":\"Xin lỗi vì "
                   "chậm trễ\",\"new_due_at\":\"next week\"}", 422,
                   "invalid_field", "new_due_at");

    /* amount: positive integer VND */
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_payment\",\"reason\":"
                   "\"Nộp lệ phí\",\"amount\":-5}", 422, "invalid_field",
                   "amount");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_payment\",\"reason\":"
                   "\"Nộp lệ phí\",\"amount\":50000.5}", 422, "invalid_field",
                   "amount");
    expect_refusal("{\"id\":\"e1\",\"type\":\"request_payment\",\"reason\":"
                   "\"Nộp lệ phí\",\"amount\":\"50000\"}", 422, "invalid_field",
                   "amount");
}

static void
test_reason_human(void **state)
{
    (void) state;
    assert_true(dvc_reason_is_human(S("Thiếu bản sao giấy khai sinh")));
    assert_true(dvc_reason_is_human(S("Missing ID card")));
    assert_false(dvc_reason_is_human(S("MISSING_ID")));
    assert_false(dvc_reason_is_human(S("E.42:7-x")));
    assert_false(dvc_reason_is_human(S("thiếu")));        /* one word */
    assert_false(dvc_reason_is_human(S("")));
}

static void
test_parse_and_history(void **state)
{
    int                  to;
    char                 body[1024];
    dvc_buf_t            b;
    dvc_event_t          ev;
    dvc_event_error_t    err;
    dvc_dossier_state_t  d;

    (void) state;
    good_body(body, sizeof(body), "request_supplement", "evt-000123");
    assert_int_equal(dvc_event_parse(&dvc_alloc_std, body, strlen(body), NOW,
                                     &ev, &err), 0);
    assert_string_equal(ev.id, "evt-000123");
    assert_int_equal(ev.tr->type, DVC_EV_REQUEST_SUPPLEMENT);
    assert_int_equal(ev.at, NOW - 30);
    assert_string_equal(ev.actor, "back-end");
    assert_int_equal(ev.ndocuments, 2);
    assert_string_equal(ev.documents[1].name, "Sổ hộ khẩu");
    assert_null(ev.documents[1].note);

    memset(&d, 0, sizeof(d));
    d.status = 2;
    assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), 0);
    assert_int_equal(to, 5);

    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_history_entry_json(&b, &ev, to);
    assert_string_equal(dvc_buf_cstr(&b),
        "{\"at\":\"2026-11-23T08:59:30+07:00\",\"status\":"
        "\"supplement_requested\",\"status_number\":5,\"actor\":\"back-end\","
        "\"event\":\"evt-000123\",\"type\":\"request_supplement\",\"reason\":"
        "{\"vi\":\"Thiếu bản sao giấy khai sinh của con\",\"en\":\"The "
        "child's birth certificate copy is missing\"},\"documents\":[{\"name\":"
        "\"Bản sao Giấy khai sinh\",\"note\":\"bản sao có chứng thực\"},"
        "{\"name\":\"Sổ hộ khẩu\"}]}");

    /* the act's time may not precede the dossier's last change */
    d.last_ts = NOW - 29;
    assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), -1);
    assert_int_equal(err.http, 422);
    assert_string_equal(err.field, "at");

    dvc_event_free(&dvc_alloc_std, &ev);

    /* a delay: new time after the current appointment (the due time, or the
     * last delay's) */
    dvc_buf_reset(&b);
    good_body(body, sizeof(body), "delay", "evt-9");
    assert_int_equal(dvc_event_parse(&dvc_alloc_std, body, strlen(body), NOW,
                                     &ev, &err), 0);
    memset(&d, 0, sizeof(d));
    d.status = 4;
    dvc_time_parse_vn(S("2026-12-01T16:00:00+07:00"), &d.due_ts);
    assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), -1);
    assert_string_equal(err.field, "new_due_at");
    d.due_ts -= 1;
    assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), 0);
    assert_int_equal(to, 4);
    d.appointment_ts = d.due_ts + 7200;
    assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), -1);
    assert_string_equal(err.code, "invalid_field");

    dvc_history_entry_json(&b, &ev, 4);
    assert_non_null(strstr(dvc_buf_cstr(&b), ",\"type\":\"delay\",\"reason\":"
                           "{\"vi\":\"Xin lỗi ông/bà vì cần xác minh thêm\"},"
                           "\"new_due_at\":\"2026-12-01T16:00:00+07:00\"}"));

    dvc_event_free(&dvc_alloc_std, &ev);

    /* a payment request with its amount, an actor of the back-end's naming */
    dvc_buf_reset(&b);
    assert_int_equal(dvc_event_parse(&dvc_alloc_std, S("{\"actor\":\"Bộ phận "
        "Một cửa UBND phường Hồng Gai\",\"type\":\"request_payment\",\"id\":"
        "\"p-1\",\"reason\":\"Nộp lệ phí tại quầy số 3\",\"amount\":50000}"),
        NOW, &ev, &err), 0);
    assert_int_equal(ev.at, NOW);
    dvc_history_entry_json(&b, &ev, 6);
    assert_non_null(strstr(dvc_buf_cstr(&b), "\"actor\":\"Bộ phận Một cửa "
                           "UBND phường Hồng Gai\",\"event\":\"p-1\""));
    assert_non_null(strstr(dvc_buf_cstr(&b), ",\"amount\":50000}"));

    dvc_event_free(&dvc_alloc_std, &ev);

    /* the error as the API answers it */
    dvc_buf_reset(&b);
    expect_refusal("{\"id\":\"e1\",\"type\":\"refuse\"}", 422, "missing_field",
                   "reason");
    dvc_event_parse(&dvc_alloc_std, S("{\"id\":\"e1\",\"type\":\"refuse\"}"),
                    NOW, &ev, &err);
    dvc_event_error_json(&b, &err);
    assert_string_equal(dvc_buf_cstr(&b), "{\"error\":\"missing_field\","
        "\"field\":\"reason\",\"message\":{\"vi\":\"Thiếu trường bắt buộc "
        "\\\"reason\\\".\",\"en\":\"The field \\\"reason\\\" is required.\"}}");
    dvc_buf_free(&b);
}

static void
test_actions(void **state)
{
    int                  to;
    dvc_buf_t            b;
    dvc_event_t          ev;
    dvc_event_error_t    err;
    dvc_dossier_state_t  d;

    (void) state;
    dvc_buf_init(&b, &dvc_alloc_std);

    /* withdrawal: empty body or an optional human reason */
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_ACT_WITHDRAWAL,
                                      S(""), NOW, &ev, &err), 0);
    assert_string_equal(ev.actor, "citizen");
    assert_int_equal(ev.has, 0);
    dvc_event_free(&dvc_alloc_std, &ev);
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_ACT_WITHDRAWAL,
        S("{\"reason\":\"Tôi đã chuyển nơi cư trú\"}"), NOW, &ev, &err), 0);
    assert_int_equal(ev.has, DVC_EVF_REASON);
    memset(&d, 0, sizeof(d));
    d.status = 4;
    assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), 0);
    assert_int_equal(to, 7);
    dvc_history_entry_json(&b, &ev, 7);
    assert_string_equal(dvc_buf_cstr(&b), "{\"at\":\"2026-11-23T09:00:00+07:00\","
        "\"status\":\"withdrawal_requested\",\"status_number\":7,\"actor\":"
        "\"citizen\",\"type\":\"withdrawal\",\"reason\":{\"vi\":\"Tôi đã chuyển "
        "nơi cư trú\"}}");
    d.status = 9;
    assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), -1);
    assert_string_equal(err.code, "illegal_transition");
    dvc_event_free(&dvc_alloc_std, &ev);
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_ACT_WITHDRAWAL,
        S("{\"reason\":\"RUT\"}"), NOW, &ev, &err), -1);
    assert_string_equal(err.code, "reason_not_human");
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_ACT_WITHDRAWAL,
        S("{\"why\":\"a b\"}"), NOW, &ev, &err), -1);
    assert_string_equal(err.field, "why");

    /* rating */
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_ACT_RATING,
        S("{\"rating\":\"very_satisfied\",\"comment\":\"Cán bộ nhiệt tình\"}"),
        NOW, &ev, &err), 0);
    assert_string_equal(ev.rating, "very_satisfied");
    assert_string_equal(ev.comment, "Cán bộ nhiệt tình");
    dvc_event_free(&dvc_alloc_std, &ev);
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_ACT_RATING,
        S("{\"comment\":\"Tốt\"}"), NOW, &ev, &err), -1);
    assert_string_equal(err.code, "missing_field");
    assert_string_equal(err.field, "rating");
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_ACT_RATING,
        S("{\"rating\":\"ok\"}"), NOW, &ev, &err), -1);
    assert_string_equal(err.field, "rating");
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_ACT_RATING, S(""),
                                      NOW, &ev, &err), -1);
    assert_int_equal(err.http, 400);

    /* supplement: a bare action */
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_ACT_SUPPLEMENT, NULL,
                                      0, NOW, &ev, &err), 0);
    d.status = 5;
    assert_int_equal(dvc_event_check(&ev, &d, NOW, &to, &err), 0);
    assert_int_equal(to, 1);
    dvc_event_free(&dvc_alloc_std, &ev);

    /* a back-end type is not an action */
    assert_int_equal(dvc_action_parse(&dvc_alloc_std, DVC_EV_ACCEPT, NULL, 0,
                                      NOW, &ev, &err), -1);
    dvc_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_allowed_json),
        cmocka_unit_test(test_event_check_every_pair),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_reason_human),
        cmocka_unit_test(test_parse_and_history),
        cmocka_unit_test(test_actions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
