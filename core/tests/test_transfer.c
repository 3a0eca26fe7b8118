/*
 * Liên thông: the transfer decision (dvc_transfer.h) from facts to plan.
 * The due times are worked out here by hand on the calendar below
 * (Monday-Friday, 07:30-11:30 and 13:00-17:00: 480 minutes a day).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <yajl/yajl_tree.h>

#include "dvc_lifecycle.h"
#include "dvc_plan.h"
#include "dvc_time.h"
#include "dvc_transfer.h"

#define OWNER   "000.00.07.H29"
#define OTHER   "000.00.15.H29"
#define THIRD   "000.01.01.H29"
#define CODE    OWNER "-261123-0001"
#define PROC    "1.002820"

static const char *cal_text =
    "years 2026-2026\n"
    "weekdays mon-fri\n"
    "hours 07:30-11:30 13:00-17:00\n";

static dvc_calendar_t *cal;

static int64_t
t(const char *vn)
{
    int64_t  u;

    assert_int_equal(dvc_time_parse_vn(vn, strlen(vn), &u), 0);
    return u;
}

static int
known(void *ud, const char *code, size_t len)
{
    (void) ud;
    return (len == strlen(OTHER) && memcmp(code, OTHER, len) == 0)
           || (len == strlen(THIRD) && memcmp(code, THIRD, len) == 0)
           || (len == strlen(OWNER) && memcmp(code, OWNER, len) == 0);
}

static int
setup(void **state)
{
    char  err[256];

    (void) state;
    cal = dvc_calendar_parse(&dvc_alloc_std, cal_text, strlen(cal_text),
                             err, sizeof(err));
    return cal == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    (void) state;
    dvc_calendar_free(&dvc_alloc_std, cal);
    return 0;
}

/* accepted Monday 23 Nov 08:10, 5 days: due Monday 30 Nov 08:10 */
static void
facts_init(dvc_transfer_facts_t *f, const char *transfers)
{
    static const char  history[] =
        "[{\"at\":\"2026-11-23T08:20:00+07:00\",\"status\":\"processing\"}]";

    memset(f, 0, sizeof(*f));
    f->code = CODE;
    f->code_len = strlen(CODE);
    f->agency = OWNER;
    f->agency_len = strlen(OWNER);
    f->procedure = PROC;
    f->procedure_len = strlen(PROC);
    f->status = 4;
    f->due_ts = t("2026-11-30T08:10:00+07:00");
    f->last_ts = t("2026-11-23T08:20:00+07:00");
    f->history = history;
    f->history_len = sizeof(history) - 1;
    f->transfers = transfers;
    f->transfers_len = transfers ? strlen(transfers) : 0;
    f->body_sha256 = "ab";
    f->body_sha256_len = 2;
}

static void
parse(const char *body, int64_t now, dvc_event_t *ev)
{
    dvc_event_error_t  err;

    if (dvc_event_parse(&dvc_alloc_std, body, strlen(body), now, ev, &err)
        != 0)
    {
        fail_msg("parse: %s %s %s", err.code, err.field, err.message_en);
    }
}

static void
decide(const dvc_transfer_facts_t *f, const char *body, const char *now,
    dvc_plan_t *p)
{
    dvc_event_t         ev;
    dvc_transfer_env_t  env;

    env.cal = cal;
    env.known = known;
    env.known_ud = NULL;
    env.now = t(now);

    parse(body, env.now, &ev);
    dvc_plan_init(p, &dvc_alloc_std);
    dvc_transfer_decide(f, &ev, &env, p);
    dvc_event_free(&dvc_alloc_std, &ev);
    assert_false(p->failed);
    dvc_buf_cstr(&p->answer);
}

static const dvc_plan_pair_t *
set_of(const dvc_plan_t *p, const char *name)
{
    size_t  i;

    for (i = 0; i < p->nset; i++) {
        if (strcmp(p->set[i].name, name) == 0) {
            return &p->set[i];
        }
    }

    return NULL;
}

static const char *
xfield(const dvc_plan_xadd_t *x, const char *name)
{
    size_t  i;

    for (i = 0; i < x->nf; i++) {
        if (strcmp(x->f[i].name, name) == 0) {
            return x->f[i].value;
        }
    }

    return NULL;
}

static int
has_incr(const dvc_plan_t *p, const char *key, const char *day)
{
    size_t  i;

    for (i = 0; i < p->nincr; i++) {
        if (strcmp(p->incr[i].key, key) == 0
            && strcmp(p->incr[i].field, day) == 0 && p->incr[i].delta == 1)
        {
            return 1;
        }
    }

    return 0;
}

static const char  send1[] =
    "{\"id\":\"t1\",\"type\":\"transfer\",\"at\":\"2026-11-23T09:30:00+07:00\","
    "\"to_agency\":\"" OTHER "\",\"reason\":{\"vi\":\"Đề nghị xác minh nghĩa "
    "vụ tài chính\",\"en\":\"Please verify the financial obligations\"},"
    "\"share\":{\"days\":1}}";


static void
test_parse(void **state)
{
    dvc_buf_t          b;
    dvc_event_t        ev;
    dvc_event_error_t  err;
    int64_t            now = t("2026-11-23T09:30:00+07:00");
    static const struct {
        const char  *body;
        const char  *code;
        const char  *field;
    } bad[] = {
        { "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OTHER "\","
          "\"reason\":\"Đề nghị xác minh\",\"share\":{\"weeks\":1}}",
          "invalid_field", "share" },
        { "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OTHER "\","
          "\"reason\":\"Đề nghị xác minh\",\"share\":{\"days\":1,\"hours\":2}}",
          "invalid_field", "share" },
        { "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OTHER "\","
          "\"reason\":\"Đề nghị xác minh\",\"share\":{\"days\":\"1\"}}",
          "invalid_field", "share" },
        { "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OTHER "\","
          "\"reason\":\"Đề nghị xác minh\",\"share\":{\"hours\":0}}",
          "invalid_field", "share" },
        { "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"a b\","
          "\"reason\":\"Đề nghị xác minh\",\"share\":{\"days\":1}}",
          "invalid_field", "to_agency" },
        { "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OTHER "\","
          "\"reason\":\"VERIFY_LAND\",\"share\":{\"days\":1}}",
          "reason_not_human", "reason" },
        { "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OTHER "\","
          "\"share\":{\"days\":1}}", "missing_field", "reason" },
        { "{\"id\":\"a\",\"type\":\"transfer_return\",\"share\":{\"days\":1}}",
          "invalid_field", "share" },
        { "{\"id\":\"a\",\"type\":\"accept\",\"to_agency\":\"" OTHER "\"}",
          "invalid_field", "to_agency" },
    };
    size_t  i;

    (void) state;

    parse(send1, now, &ev);
    assert_true(dvc_transfer_is(&ev));
    assert_int_equal(ev.tr->type, DVC_EV_TRANSFER);
    assert_string_equal(ev.to_agency, OTHER);
    assert_string_equal(ev.share_num, "1");
    assert_int_equal(ev.share_in_days, 1);
    dvc_event_free(&dvc_alloc_std, &ev);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (dvc_event_parse(&dvc_alloc_std, bad[i].body, strlen(bad[i].body),
                            now, &ev, &err) == 0)
        {
            fail_msg("accepted: %s", bad[i].body);
        }
        assert_string_equal(err.code, bad[i].code);
        assert_string_equal(err.field, bad[i].field);
    }

    /* the lifecycle's table keeps its bounds; the 409's list is the status
     * changes only */
    assert_null(dvc_transition(DVC_ACT_LAST + 1));
    assert_non_null(dvc_transition(DVC_EV_TRANSFER));
    assert_int_equal(dvc_transition_target(DVC_EV_TRANSFER, 4, 0), 4);
    assert_int_equal(dvc_transition_target(DVC_EV_TRANSFER, 2, 0), 0);
    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_transitions_allowed_json(&b, 4, 0);
    dvc_buf_cstr(&b);
    assert_null(strstr(b.data, "transfer"));
    dvc_buf_free(&b);
}


static void
test_send_and_return(void **state)
{
    char                    *rec;
    yajl_val                 root, v;
    dvc_plan_t               p, q;
    dvc_transfer_facts_t     f;
    const dvc_plan_pair_t   *s;
    const dvc_plan_xadd_t   *x;

    (void) state;

    /* one day from Monday 09:30: Tuesday 09:30 */
    facts_init(&f, NULL);
    decide(&f, send1, "2026-11-23T09:30:05+07:00", &p);
    assert_int_equal(p.http, 200);
    assert_non_null(strstr(p.answer.data, "\"type\":\"transfer\",\"status\":4,"
                           "\"status_slug\":\"processing\""));
    assert_non_null(strstr(p.answer.data, "\"to_agency\":\"" OTHER "\","
                           "\"share\":{\"days\":1},"
                           "\"share_due_at\":\"2026-11-24T09:30:00+07:00\"}"));

    s = set_of(&p, "transfers");
    assert_non_null(s);
    root = yajl_tree_parse(s->value, NULL, 0);
    assert_true(YAJL_IS_ARRAY(root));
    assert_int_equal(root->u.array.len, 1);
    v = yajl_tree_get(root->u.array.values[0], (const char *[]) { "due_ts",
                      NULL }, yajl_t_number);
    assert_int_equal(YAJL_GET_INTEGER(v), t("2026-11-24T09:30:00+07:00"));
    v = yajl_tree_get(root->u.array.values[0], (const char *[]) {
                      "share_minutes", NULL }, yajl_t_number);
    assert_int_equal(YAJL_GET_INTEGER(v), 480);
    yajl_tree_free(root);

    s = set_of(&p, "history");
    assert_non_null(s);
    assert_non_null(strstr(s->value, "},{\"at\":\"2026-11-23T09:30:00+07:00\","
                           "\"status\":\"processing\",\"status_number\":4"));
    assert_non_null(strstr(s->value, "\"type\":\"transfer\""));
    assert_non_null(strstr(s->value, "\"share_due_at\":\"2026-11-24T09:30:00"
                           "+07:00\"}]"));
    assert_non_null(set_of(&p, "updated_at"));

    /* first transfer: the dossier's agency counts it; the receiver its part */
    assert_int_equal(p.nincr, 8);   /* no level or sector known: 4 cells */
    assert_true(has_incr(&p, "dvc:st:a:" OWNER ":transferred", "20261123"));
    assert_true(has_incr(&p, "dvc:st:all:transferred", "20261123"));
    assert_true(has_incr(&p, "dvc:st:a:" OTHER ":transfer_in", "20261123"));
    assert_true(has_incr(&p, "dvc:st:ap:" OTHER ":" PROC ":transfer_in",
                         "20261123"));

    assert_int_equal(p.nxadd, 1);
    x = &p.xadd[0];
    assert_string_equal(x->stream, "dvc:inbox:" OTHER);
    assert_string_equal(xfield(x, "type"), "transfer");
    assert_string_equal(xfield(x, "code"), CODE);
    assert_string_equal(xfield(x, "from_agency"), OWNER);
    assert_string_equal(xfield(x, "due_at"), "2026-11-24T09:30:00+07:00");
    assert_string_equal(xfield(x, "dossier_due_at"),
                        "2026-11-30T08:10:00+07:00");
    assert_string_equal(xfield(x, "share"), "{\"days\":1}");

    /* back on Tuesday 11:00: 1 h 30 late */
    rec = strdup(set_of(&p, "transfers")->value);
    facts_init(&f, rec);
    f.last_ts = t("2026-11-23T09:30:00+07:00");
    decide(&f, "{\"id\":\"r1\",\"type\":\"transfer_return\","
           "\"at\":\"2026-11-24T11:00:00+07:00\"}",
           "2026-11-24T11:00:00+07:00", &q);
    assert_int_equal(q.http, 200);
    assert_non_null(strstr(q.answer.data, "\"agency\":\"" OTHER "\","
                           "\"share_due_at\":\"2026-11-24T09:30:00+07:00\","
                           "\"returned_at\":\"2026-11-24T11:00:00+07:00\","
                           "\"late\":true}"));
    s = set_of(&q, "transfers");
    root = yajl_tree_parse(s->value, NULL, 0);
    assert_true(YAJL_IS_ARRAY(root));
    v = yajl_tree_get(root->u.array.values[0], (const char *[]) { "late",
                      NULL }, yajl_t_true);
    assert_non_null(v);
    v = yajl_tree_get(root->u.array.values[0], (const char *[]) {
                      "return_event", NULL }, yajl_t_string);
    assert_string_equal(v->u.string, "r1");
    yajl_tree_free(root);
    assert_int_equal(q.nincr, 4);
    assert_true(has_incr(&q, "dvc:st:a:" OTHER ":transfer_in_late",
                         "20261124"));
    assert_true(has_incr(&q, "dvc:st:p:" PROC ":transfer_in_late",
                         "20261124"));
    assert_int_equal(q.nxadd, 1);
    assert_string_equal(q.xadd[0].stream, "dvc:inbox");
    assert_string_equal(xfield(&q.xadd[0], "type"), "transfer_returned");
    assert_string_equal(xfield(&q.xadd[0], "late"), "true");
    assert_string_equal(xfield(&q.xadd[0], "agency"), OTHER);
    assert_non_null(strstr(set_of(&q, "history")->value,
                           "\"type\":\"transfer_return\",\"agency\":\"" OTHER
                           "\",\"share_due_at\":\"2026-11-24T09:30:00+07:00\","
                           "\"late\":true}]"));
    dvc_plan_free(&p);
    free(rec);

    /* a second part: 4 hours from Tuesday 11:10 is 16:40 (20 minutes before
     * noon, 3 h 40 after); not counted as a new liên thông dossier; back at
     * 16:10: on time */
    rec = strdup(set_of(&q, "transfers")->value);
    dvc_plan_free(&q);
    facts_init(&f, rec);
    f.last_ts = t("2026-11-24T11:00:00+07:00");
    decide(&f, "{\"id\":\"t2\",\"type\":\"transfer\",\"at\":"
           "\"2026-11-24T11:10:00+07:00\",\"to_agency\":\"" THIRD "\","
           "\"reason\":\"Đề nghị xác nhận nơi cư trú\",\"share\":"
           "{\"hours\":4}}", "2026-11-24T11:10:00+07:00", &p);
    assert_int_equal(p.http, 200);
    assert_non_null(strstr(p.answer.data, "\"share_due_at\":"
                           "\"2026-11-24T16:40:00+07:00\""));
    assert_int_equal(p.nincr, 4);
    assert_true(has_incr(&p, "dvc:st:a:" THIRD ":transfer_in", "20261124"));
    free(rec);
    rec = strdup(set_of(&p, "transfers")->value);
    root = yajl_tree_parse(rec, NULL, 0);
    assert_int_equal(root->u.array.len, 2);
    yajl_tree_free(root);
    dvc_plan_free(&p);

    facts_init(&f, rec);
    f.last_ts = t("2026-11-24T11:10:00+07:00");
    decide(&f, "{\"id\":\"r2\",\"type\":\"transfer_return\","
           "\"at\":\"2026-11-24T16:10:00+07:00\"}",
           "2026-11-24T16:10:30+07:00", &q);
    assert_int_equal(q.http, 200);
    assert_non_null(strstr(q.answer.data, "\"late\":false}"));
    assert_true(has_incr(&q, "dvc:st:a:" THIRD ":transfer_in_ontime",
                         "20261124"));
    dvc_plan_free(&q);
    free(rec);

    /* a dossier submitted under level 4 and a sector: its cells too */
    facts_init(&f, NULL);
    f.stat.level = 4;
    snprintf(f.stat.sector, sizeof(f.stat.sector), "%s", "dat-dai");
    f.stat.sector_len = strlen("dat-dai");
    decide(&f, send1, "2026-11-23T09:30:05+07:00", &p);
    assert_int_equal(p.http, 200);
    assert_int_equal(p.nincr, 20);
    assert_true(has_incr(&p, "dvc:st:al:" OTHER ":4:transfer_in", "20261123"));
    assert_true(has_incr(&p, "dvc:st:s:dat-dai:transferred", "20261123"));
    dvc_plan_free(&p);
}


static void
refused(const dvc_transfer_facts_t *f, const char *body, const char *now,
    int http, const char *code, const char *field)
{
    dvc_plan_t  p;

    decide(f, body, now, &p);
    if (p.http != http || strcmp(p.err.code, code) != 0
        || strcmp(p.err.field, field) != 0)
    {
        fail_msg("%s: %d %s %s, expected %d %s %s", body, p.http, p.err.code,
                 p.err.field, http, code, field);
    }
    /* nothing to write, a JSON answer */
    assert_int_equal(p.nset + p.nincr + p.nxadd + p.ndel, 0);
    assert_non_null(strstr(p.answer.data, code));
    assert_int_equal(p.answer.data[0], '{');
    dvc_plan_free(&p);
}


static void
test_refusals(void **state)
{
    dvc_plan_t            p;
    dvc_transfer_facts_t  f;
    char                  open_rec[2048];
    const char           *now = "2026-11-23T09:30:00+07:00";

    (void) state;

    facts_init(&f, NULL);

    refused(&f, "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":"
            "\"000.99.99.H99\",\"reason\":\"Đề nghị xác minh\",\"share\":"
            "{\"days\":1}}", now, 422, "unknown_agency", "to_agency");
    refused(&f, "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OWNER
            "\",\"reason\":\"Đề nghị xác minh\",\"share\":{\"days\":1}}", now,
            422, "invalid_field", "to_agency");
    /* 5 days from Monday 09:30 ends Monday 30 09:30, after 08:10 */
    refused(&f, "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OTHER
            "\",\"reason\":\"Đề nghị xác minh\",\"share\":{\"days\":5}}", now,
            422, "share_does_not_fit", "share");
    refused(&f, "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OTHER
            "\",\"reason\":\"Đề nghị xác minh\",\"share\":{\"days\":0.3}}",
            now, 422, "invalid_field", "share");
    refused(&f, "{\"id\":\"a\",\"type\":\"transfer\",\"to_agency\":\"" OTHER
            "\",\"reason\":\"Đề nghị xác minh\",\"share\":{\"days\":200}}",
            now, 422, "share_does_not_fit", "share");
    refused(&f, "{\"id\":\"a\",\"type\":\"transfer_return\"}", now, 409,
            "no_open_transfer", "");
    refused(&f, "{\"id\":\"a\",\"type\":\"transfer_return\",\"at\":"
            "\"2026-11-23T08:00:00+07:00\"}", now, 422, "invalid_field", "at");

    /* 38 h 30 min ends Monday 30 08:00, within the due (08:10) */
    decide(&f, "{\"id\":\"a\",\"type\":\"transfer\",\"at\":"
           "\"2026-11-23T09:30:00+07:00\",\"to_agency\":\"" OTHER "\","
           "\"reason\":\"Đề nghị xác minh\",\"share\":{\"hours\":38.5}}", now,
           &p);
    assert_int_equal(p.http, 200);
    assert_non_null(strstr(p.answer.data, "\"share_due_at\":"
                           "\"2026-11-30T08:00:00+07:00\""));
    snprintf(open_rec, sizeof(open_rec), "%s", set_of(&p, "transfers")->value);
    dvc_plan_free(&p);

    facts_init(&f, open_rec);
    refused(&f, send1, "2026-11-23T09:31:00+07:00", 409, "transfer_open", "");

    /* in status 2: 409 illegal_transition with the lifecycle's list */
    facts_init(&f, NULL);
    f.status = 2;
    decide(&f, send1, now, &p);
    assert_int_equal(p.http, 409);
    assert_non_null(strstr(p.answer.data, "{\"error\":\"illegal_transition\","
                           "\"status\":{\"number\":2,\"slug\":\"accepted\"},"
                           "\"allowed\":[{\"type\":\"request_supplement\""));
    dvc_plan_free(&p);

    /* a broken record is the gateway's fault: 500 */
    facts_init(&f, "[{\"agency\":1}]");
    decide(&f, send1, now, &p);
    assert_int_equal(p.http, 500);
    dvc_plan_free(&p);
    facts_init(&f, "{}");
    decide(&f, send1, now, &p);
    assert_int_equal(p.http, 500);
    dvc_plan_free(&p);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_send_and_return),
        cmocka_unit_test(test_refusals),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
