/*
 * A back-end event on a dossier (dvc_event_decide.h): from the stored facts
 * and the parsed event to the plan of the change.  Times on the calendar
 * below (Monday-Friday, 07:30-11:30 and 13:00-17:00), worked out by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <yajl/yajl_tree.h>

#include "dvc_event_decide.h"
#include "dvc_jws.h"
#include "dvc_keys.h"
#include "dvc_time.h"
#include "jws_fixtures.h"
#include "plan_peek.h"

#define AGENCY  "000.00.10.H47"
#define OTHER   "000.00.15.H29"
#define CODE    AGENCY "-261123-0007"
#define PROC    "1.001193"
#define HISTORY "[{\"at\":\"2026-11-23T09:00:00+07:00\",\"status\":\"submitted\"}]"
#define NOW     "2026-11-23T10:00:00+07:00"

static dvc_calendar_t   *cal;
static dvc_key_t        *key;
static dvc_jwks_t        jwks;
static dvc_procedure_t   proc;
static dvc_event_t       ev;

static int64_t
t(const char *vn)
{
    int64_t  u;

    assert_int_equal(dvc_time_parse_vn(vn, strlen(vn), &u), 0);
    return u;
}

static int
setup(void **state)
{
    char               err[256];
    size_t             len;
    dvc_buf_t          set;
    static const char  text[] = "years 2026-2026\nweekdays mon-fri\n"
                                "hours 07:30-11:30 13:00-17:00\n";

    (void) state;
    cal = dvc_calendar_parse(&dvc_alloc_std, text, strlen(text), err,
                             sizeof(err));
    if (cal == NULL
        || dvc_key_load_private(&dvc_alloc_std, pem_ed25519,
                                strlen(pem_ed25519), "k1", &key, err,
                                sizeof(err)) != 0)
    {
        return -1;
    }

    dvc_buf_init(&set, &dvc_alloc_std);
    dvc_buf_puts(&set, "{\"keys\":[");
    dvc_buf_puts(&set, dvc_key_jwk(key, &len));
    dvc_buf_puts(&set, "]}");
    if (dvc_jwks_parse(&dvc_alloc_std, set.data, set.len, &jwks, err,
                       sizeof(err)) != 0)
    {
        return -1;
    }
    dvc_buf_free(&set);

    memset(&proc, 0, sizeof(proc));
    proc.code = PROC;
    proc.name = "Đăng ký khai sinh";
    proc.agency = AGENCY;
    proc.level = 4;
    proc.processing_unit = DVC_PROCESSING_DAYS;
    proc.processing_halves = 4;                /* 2 days */
    proc.cutoff = -1;
    proc.fee = 8000;

    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    dvc_event_free(&dvc_alloc_std, &ev);
    dvc_calendar_free(&dvc_alloc_std, cal);
    dvc_key_free(key);
    dvc_jwks_free(&jwks);
    return 0;
}

/* an online dossier submitted Monday 09:00 under level 4, at the desk */
static void
facts_init(dvc_event_facts_t *f, int status)
{
    static const char  rfacts[] = "{\"applicant\":{\"name\":\"Nguyễn Văn A\","
                                  "\"phone\":\"\",\"email\":\"a@example.vn\"},"
                                  "\"documents\":[]}";

    memset(f, 0, sizeof(*f));
    f->code = CODE;
    f->code_len = strlen(CODE);
    f->agency = AGENCY;
    f->agency_len = strlen(AGENCY);
    f->procedure = PROC;
    f->procedure_len = strlen(PROC);
    f->status = status;
    f->history = HISTORY;
    f->history_len = strlen(HISTORY);
    f->last_ts = t("2026-11-23T09:00:00+07:00");
    f->delivery = "post";
    f->delivery_len = 4;
    f->receipt_facts = rfacts;
    f->receipt_facts_len = sizeof(rfacts) - 1;
    f->contact_email = "a@example.vn";
    f->contact_email_len = strlen(f->contact_email);

    dvc_stat_state_init(&f->stat);
    f->stat.channel = DVC_CHANNEL_ONLINE;
    f->stat.level = 4;
    f->stat.at_desk = status == 1;
    f->stat.accept_deadline = status == 1 ? t("2026-11-24T09:00:00+07:00") : 0;
    if (status != 1) {
        f->stat.received = 1;
        f->stat.due = t("2026-11-25T09:00:00+07:00");
        f->due_ts = f->stat.due;
    }
}

static void
env_init(dvc_event_env_t *env)
{
    memset(env, 0, sizeof(*env));
    env->cal = cal;
    env->signing_key = key;
    env->procedure = &proc;
    env->now = t(NOW);
}

static void
decide(const dvc_event_facts_t *f, const char *body,
    const dvc_event_env_t *env, dvc_plan_t *p)
{
    dvc_event_error_t  err;

    dvc_event_free(&dvc_alloc_std, &ev);
    if (dvc_event_parse(&dvc_alloc_std, body, strlen(body), env->now, &ev,
                        &err) != 0)
    {
        fail_msg("parse: %s %s %s", err.code, err.field, err.message_en);
    }

    dvc_plan_init(p, &dvc_alloc_std);
    dvc_event_decide(f, &ev, env, p);
    assert_false(p->failed);
    dvc_buf_cstr(&p->answer);
}

static int
incr_sum(const dvc_plan_t *p, const char *counter)
{
    int     sum = 0;
    size_t  i, n = strlen(counter);

    for (i = 0; i < p->nincr; i++) {
        if (p->incr[i].key_len > n
            && strcmp(p->incr[i].key + p->incr[i].key_len - n, counter) == 0
            && p->incr[i].key[p->incr[i].key_len - n - 1] == ':')
        {
            sum += p->incr[i].delta;
        }
    }

    return sum;
}

static const char *
str_at(yajl_val v, const char *a, const char *b)
{
    const char  *path[3] = { a, b, NULL };
    yajl_val     s;

    s = yajl_tree_get(v, path, yajl_t_string);
    return s ? s->u.string : NULL;
}

static yajl_val
verified(const char *jws, const char *typ)
{
    char       err[256];
    yajl_val   v;
    dvc_buf_t  payload;

    assert_non_null(jws);
    dvc_buf_init(&payload, &dvc_alloc_std);
    if (dvc_jws_verify_ex(jws, strlen(jws), &jwks, typ, &payload, NULL, err,
                          sizeof(err)) != 0)
    {
        fail_msg("verify: %s", err);
    }
    v = yajl_tree_parse(dvc_buf_cstr(&payload), err, sizeof(err));
    dvc_buf_free(&payload);
    assert_non_null(v);
    return v;
}


/* accept at 10:00 Monday: two working days on, Wednesday 10:00; the
 * receipt signed; the desk's counters; the notice when notices are on */
static void
test_accept(void **state)
{
    yajl_val           ans, rc;
    dvc_plan_t         p;
    dvc_event_env_t    env;
    dvc_event_facts_t  f;

    (void) state;
    facts_init(&f, 1);
    env_init(&env);
    env.notify = 1;
    decide(&f, "{\"id\":\"e1\",\"type\":\"accept\"}", &env, &p);

    assert_int_equal(p.http, 200);
    assert_true(p.signed_receipt);
    assert_false(p.no_receipt_facts);
    assert_string_equal(set_of(&p, "status"), "2");
    assert_string_equal(set_of(&p, "accepted_at"), NOW);
    assert_string_equal(set_of(&p, "due_at"), "2026-11-25T10:00:00+07:00");
    assert_int_equal(strtoll(set_of(&p, "due_ts"), NULL, 10),
                     t("2026-11-25T10:00:00+07:00"));
    assert_string_equal(set_of(&p, "updated_at"), NOW);
    assert_memory_equal(set_of(&p, "history"), HISTORY, strlen(HISTORY) - 1);
    assert_non_null(strstr(set_of(&p, "history"),
                           "\"status\":\"accepted\""));
    assert_true(del_of(&p, "st_desk"));
    assert_int_equal(incr_sum(&p, "received_online"), (int) p.ncells);
    assert_int_equal(incr_sum(&p, "left_desk_late"), 0);
    assert_int_equal(incr_sum(&p, "left_desk_ontime"), (int) p.ncells);

    ans = yajl_tree_parse(p.answer.data, NULL, 0);
    assert_non_null(ans);
    assert_string_equal(str_at(ans, "event", NULL), "e1");
    assert_string_equal(str_at(ans, "status_slug", NULL), "accepted");
    assert_string_equal(str_at(ans, "due_at", NULL),
                        "2026-11-25T10:00:00+07:00");
    assert_string_equal(str_at(ans, "receipt", NULL), set_of(&p, "receipt"));

    rc = verified(set_of(&p, "receipt"), "dvc-receipt+jws");
    assert_string_equal(str_at(rc, "code", NULL), CODE);
    assert_string_equal(str_at(rc, "applicant", "name"), "Nguyễn Văn A");
    assert_string_equal(str_at(rc, "due_at", NULL), "2026-11-25T10:00");

    assert_string_equal(xadd_of(&p, "dvc:notify", "template"), "accepted");
    assert_string_equal(xadd_of(&p, "dvc:notify", "email"), "a@example.vn");

    yajl_tree_free(rc);
    yajl_tree_free(ans);
    dvc_plan_free(&p);

    /* notices off: none; no facts kept: said for the log */
    env.notify = 0;
    f.receipt_facts = NULL;
    f.receipt_facts_len = 0;
    decide(&f, "{\"id\":\"e1\",\"type\":\"accept\"}", &env, &p);
    assert_int_equal(p.nxadd, 0);
    assert_true(p.no_receipt_facts);
    dvc_plan_free(&p);
}


/* the procedure gone or the calendar too short: the glue's 500 / 503 */
static void
test_accept_refused(void **state)
{
    dvc_plan_t         p;
    dvc_event_env_t    env;
    dvc_event_facts_t  f;

    (void) state;
    facts_init(&f, 1);
    env_init(&env);
    env.procedure = NULL;
    decide(&f, "{\"id\":\"e1\",\"type\":\"accept\"}", &env, &p);
    assert_int_equal(p.http, 500);
    assert_int_equal(p.answer.len, 0);
    assert_non_null(strstr(p.err.message_en, "not loaded any more"));
    assert_false(p.signed_receipt);
    dvc_plan_free(&p);

    env_init(&env);
    env.now = t("2026-12-31T16:00:00+07:00");
    f.last_ts = t("2026-12-31T15:00:00+07:00");
    decide(&f, "{\"id\":\"e1\",\"type\":\"accept\"}", &env, &p);
    assert_int_equal(p.http, 503);
    assert_int_equal(p.answer.len, 0);
    assert_non_null(strstr(p.err.message_en, "extend dvc_calendar"));
    dvc_plan_free(&p);
}


/* not from this status: 409 naming what is; an "at" before the last
 * change: 422 */
static void
test_refusals(void **state)
{
    dvc_plan_t         p;
    dvc_event_env_t    env;
    dvc_event_facts_t  f;

    (void) state;
    facts_init(&f, 1);
    env_init(&env);
    decide(&f, "{\"id\":\"e1\",\"type\":\"process\"}", &env, &p);
    assert_int_equal(p.http, 409);
    assert_non_null(strstr(p.answer.data,
                           "{\"error\":\"illegal_transition\",\"status\":"
                           "{\"number\":1,\"slug\":\"submitted\"},"
                           "\"allowed\":["));
    assert_int_equal(p.nset, 0);
    dvc_plan_free(&p);

    decide(&f, "{\"id\":\"e1\",\"type\":\"accept\",\"at\":"
               "\"2026-11-23T08:00:00+07:00\"}", &env, &p);
    assert_int_equal(p.http, 422);
    assert_non_null(strstr(p.answer.data, "\"field\":\"at\""));
    dvc_plan_free(&p);

    /* broken st_* fields: the checks first, then 500 */
    f.stat_error = "st_due is not a number";
    decide(&f, "{\"id\":\"e1\",\"type\":\"process\"}", &env, &p);
    assert_int_equal(p.http, 409);
    dvc_plan_free(&p);
    decide(&f, "{\"id\":\"e1\",\"type\":\"accept\"}", &env, &p);
    assert_int_equal(p.http, 500);
    assert_int_equal(p.answer.len, 0);
    assert_string_equal(p.err.message_en, "st_due is not a number");
    dvc_plan_free(&p);

    /* no status at all */
    facts_init(&f, 0);
    decide(&f, "{\"id\":\"e1\",\"type\":\"accept\"}", &env, &p);
    assert_int_equal(p.http, 500);
    dvc_plan_free(&p);
}


/* 02: the appointment void, the form signed into `forms` and the answer */
static void
test_request_supplement(void **state)
{
    yajl_val           ans, form;
    dvc_plan_t         p;
    dvc_event_env_t    env;
    dvc_event_facts_t  f;

    (void) state;
    facts_init(&f, 4);
    env_init(&env);
    decide(&f, "{\"id\":\"e2\",\"type\":\"request_supplement\",\"reason\":"
               "\"Thiếu bản sao giấy khai sinh\",\"documents\":[{\"name\":"
               "\"Bản sao Giấy khai sinh\"}]}", &env, &p);

    assert_int_equal(p.http, 200);
    assert_string_equal(set_of(&p, "status"), "5");
    assert_true(del_of(&p, "due_at"));
    assert_true(del_of(&p, "due_ts"));
    assert_true(del_of(&p, "appointment_ts"));
    assert_true(del_of(&p, "apology"));
    assert_non_null(set_of(&p, "forms"));
    assert_memory_equal(set_of(&p, "forms"), "[{", 2);

    ans = yajl_tree_parse(p.answer.data, NULL, 0);
    assert_non_null(ans);
    assert_string_equal(str_at(ans, "form", "form"), "02");
    form = verified(str_at(ans, "form", "jws"), NULL);
    assert_string_equal(str_at(form, "form", NULL), "02");
    assert_string_equal(str_at(form, "code", NULL), CODE);
    assert_string_equal(str_at(form, "event", NULL), "e2");
    assert_non_null(strstr(set_of(&p, "forms"), str_at(ans, "form", "jws")));

    yajl_tree_free(form);
    yajl_tree_free(ans);
    dvc_plan_free(&p);

    /* a form cannot be signed without the procedure: 500 */
    env.procedure = NULL;
    decide(&f, "{\"id\":\"e2\",\"type\":\"refuse\",\"reason\":\"Hồ sơ "
               "không thuộc thẩm quyền\"}", &env, &p);
    assert_int_equal(p.http, 409);        /* not from 4, first */
    dvc_plan_free(&p);
    facts_init(&f, 1);
    decide(&f, "{\"id\":\"e2\",\"type\":\"refuse\",\"reason\":\"Hồ sơ "
               "không thuộc thẩm quyền\"}", &env, &p);
    assert_int_equal(p.http, 500);
    assert_non_null(strstr(p.err.message_en, "signing form 03 failed"));
    dvc_plan_free(&p);
}


/* 04: the apology and the new appointment; lateness still on due_at */
static void
test_delay(void **state)
{
    yajl_val           ans, apology;
    dvc_plan_t         p;
    dvc_event_env_t    env;
    dvc_event_facts_t  f;

    (void) state;
    facts_init(&f, 4);
    env_init(&env);
    decide(&f, "{\"id\":\"e3\",\"type\":\"delay\",\"reason\":\"Xin lỗi vì "
               "chậm trễ do cần xác minh\",\"new_due_at\":"
               "\"2026-11-27T16:00:00+07:00\"}", &env, &p);

    assert_int_equal(p.http, 200);
    assert_string_equal(set_of(&p, "status"), "4");
    assert_string_equal(set_of(&p, "appointment_at"),
                        "2026-11-27T16:00:00+07:00");
    assert_null(set_of(&p, "due_at"));
    apology = yajl_tree_parse(set_of(&p, "apology"), NULL, 0);
    assert_non_null(apology);
    assert_string_equal(str_at(apology, "new_due_at", NULL),
                        "2026-11-27T16:00:00+07:00");
    assert_string_equal(str_at(apology, "reason", "vi"),
                        "Xin lỗi vì chậm trễ do cần xác minh");
    assert_int_equal(incr_sum(&p, "due_a"), (int) p.ncells);
    assert_int_equal(incr_sum(&p, "due_n"), -(int) p.ncells);

    ans = yajl_tree_parse(p.answer.data, NULL, 0);
    assert_string_equal(str_at(ans, "appointment_at", NULL),
                        "2026-11-27T16:00:00+07:00");
    assert_string_equal(str_at(ans, "form", "form"), "04");

    yajl_tree_free(apology);
    yajl_tree_free(ans);
    dvc_plan_free(&p);
}


/* the amount an online payment must match, or none; withdrawal's
 * prev_status goes; a result closes the dossier */
static void
test_small_changes(void **state)
{
    dvc_plan_t         p;
    dvc_event_env_t    env;
    dvc_event_facts_t  f;

    (void) state;
    facts_init(&f, 4);
    env_init(&env);
    decide(&f, "{\"id\":\"e4\",\"type\":\"request_payment\",\"reason\":"
               "\"Nộp lệ phí theo quy định\",\"amount\":120000}", &env, &p);
    assert_string_equal(set_of(&p, "pay_amount"), "120000");
    assert_string_equal(set_of(&p, "status"), "6");
    dvc_plan_free(&p);

    decide(&f, "{\"id\":\"e4\",\"type\":\"request_payment\",\"reason\":"
               "\"Nộp lệ phí tại bộ phận một cửa\"}", &env, &p);
    assert_true(del_of(&p, "pay_amount"));
    dvc_plan_free(&p);

    decide(&f, "{\"id\":\"e5\",\"type\":\"resolve\"}", &env, &p);
    assert_string_equal(set_of(&p, "status"), "9");
    assert_int_equal(strtoll(set_of(&p, "closed_ts"), NULL, 10), t(NOW));
    assert_null(set_of(&p, "forms"));
    assert_int_equal(incr_sum(&p, "closed"), (int) p.ncells);
    dvc_plan_free(&p);

    facts_init(&f, 7);
    f.prev_status = 4;
    decide(&f, "{\"id\":\"e6\",\"type\":\"decline_withdrawal\",\"reason\":"
               "\"Hồ sơ đã được giải quyết một phần\"}", &env, &p);
    assert_string_equal(set_of(&p, "status"), "4");
    assert_true(del_of(&p, "prev_status"));
    assert_null(set_of(&p, "closed_ts"));
    dvc_plan_free(&p);
}


static int
known(void *ud, const char *code, size_t len)
{
    (void) ud;
    return len == strlen(OTHER) && memcmp(code, OTHER, len) == 0;
}

/* a transfer is dvc_transfer_decide's, through the same call */
static void
test_transfer(void **state)
{
    dvc_plan_t         p;
    dvc_event_env_t    env;
    dvc_event_facts_t  f;

    (void) state;
    facts_init(&f, 4);
    env_init(&env);
    env.known = known;
    decide(&f, "{\"id\":\"t1\",\"type\":\"transfer\",\"to_agency\":\"" OTHER
               "\",\"reason\":\"Đề nghị xác minh nghĩa vụ tài chính\","
               "\"share\":{\"days\":1}}", &env, &p);

    assert_int_equal(p.http, 200);
    assert_non_null(set_of(&p, "transfers"));
    assert_null(set_of(&p, "status"));
    assert_string_equal(xadd_of(&p, "dvc:inbox:" OTHER, "type"), "transfer");
    dvc_plan_free(&p);

    /* its facts checked like any other's */
    f.stat_error = "st_lv is not 3 or 4";
    decide(&f, "{\"id\":\"t1\",\"type\":\"transfer\",\"to_agency\":\"" OTHER
               "\",\"reason\":\"Đề nghị xác minh nghĩa vụ tài chính\","
               "\"share\":{\"days\":1}}", &env, &p);
    assert_int_equal(p.http, 500);
    assert_int_equal(p.answer.len, 0);
    dvc_plan_free(&p);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_accept_refused),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_request_supplement),
        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_small_changes),
        cmocka_unit_test(test_transfer),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
