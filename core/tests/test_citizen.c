/*
 * A citizen's action on a dossier (dvc_citizen.h): the check against the
 * stored state, then the plan of the change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <yajl/yajl_tree.h>

#include "dvc_citizen.h"
#include "dvc_lifecycle.h"
#include "dvc_plan.h"
#include "dvc_time.h"
#include "plan_peek.h"

#define AGENCY  "000.00.10.H47"
#define CODE    AGENCY "-261123-0007"
#define PROC    "1.001193"
#define SHA1    "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA2    "2222222222222222222222222222222222222222222222222222222222222222"
#define NOW     "2026-11-24T10:00:00+07:00"
#define HISTORY "[{\"at\":\"2026-11-23T09:00:00+07:00\",\"status\":\"submitted\"}]"

static dvc_calendar_t  *cal;

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
    char                 err[256];
    static const char    text[] = "years 2026-2026\nweekdays mon-fri\n"
                                  "hours 07:30-11:30 13:00-17:00\n";

    (void) state;
    cal = dvc_calendar_parse(&dvc_alloc_std, text, strlen(text), err,
                             sizeof(err));
    return cal == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    (void) state;
    dvc_calendar_free(&dvc_alloc_std, cal);
    return 0;
}

/* an online dossier submitted Monday 09:00 under level 4, in `status` */
static void
facts_init(dvc_citizen_facts_t *f, int status)
{
    char  err[128];
    const char  *vals[DVC_STAT_NFIELDS] = {
        "online", "1", NULL, "1795000000", NULL, NULL, NULL, "4", "ho_tich",
        NULL
    };
    size_t       lens[DVC_STAT_NFIELDS];
    size_t       i;

    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        lens[i] = vals[i] ? strlen(vals[i]) : 0;
    }

    memset(f, 0, sizeof(*f));
    f->code = CODE;
    f->code_len = strlen(CODE);
    f->procedure = PROC;
    f->procedure_len = strlen(PROC);
    f->agency = AGENCY;
    f->agency_len = strlen(AGENCY);
    f->status = status;
    f->history = HISTORY;
    f->history_len = strlen(HISTORY);
    f->updated_at = "2026-11-23T15:00:00+07:00";
    f->updated_at_len = DVC_TIME_VN_LEN;

    if (dvc_stat_state_from_values(&f->stat, vals, lens, err, sizeof(err))
        != 0)
    {
        fail_msg("stat state: %s", err);
    }
}

static dvc_event_t  ev;

static void
action_init(dvc_citizen_action_t *a, dvc_event_type_t type, const char *body,
    const char *sha)
{
    dvc_event_error_t  err;

    dvc_event_free(&dvc_alloc_std, &ev);
    if (dvc_action_parse(&dvc_alloc_std, type,
                         type == DVC_ACT_SUPPLEMENT ? NULL : body,
                         body ? strlen(body) : 0, t(NOW), &ev, &err) != 0)
    {
        fail_msg("parse: %s %s", err.code, err.message_en);
    }

    memset(a, 0, sizeof(*a));
    a->action = type;
    a->ev = &ev;
    a->sha256 = sha;
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

static dvc_citizen_verdict_t
check(const dvc_citizen_facts_t *f, const dvc_citizen_action_t *a,
    dvc_buf_t *answer)
{
    dvc_buf_init(answer, &dvc_alloc_std);
    return dvc_citizen_check(f, a, t(NOW), answer);
}

static void
decide(const dvc_citizen_facts_t *f, const dvc_citizen_action_t *a,
    dvc_plan_t *p)
{
    dvc_plan_init(p, &dvc_alloc_std);
    dvc_citizen_decide(f, a, cal, t(NOW), p);
    assert_false(p->failed);
    dvc_buf_cstr(&p->answer);
}


static void
test_names(void **state)
{
    (void) state;
    assert_string_equal(dvc_citizen_name(DVC_ACT_WITHDRAWAL), "withdrawal");
    assert_string_equal(dvc_citizen_name(DVC_ACT_RATING), "rating");
    assert_null(dvc_citizen_name(DVC_EV_ACCEPT));
    assert_string_equal(dvc_citizen_answer_field(DVC_ACT_SUPPLEMENT),
                        "c:supplement");
    assert_int_equal(dvc_citizen_http(DVC_ACT_RATING), 201);
    assert_int_equal(dvc_citizen_http(DVC_ACT_WITHDRAWAL), 200);
}


/* from 1, past the desk's deadline: status 7, where a declined one returns
 * to, the reason for the back-end, the desk's counters; no answer kept (its
 * retry is answered from 7) */
static void
test_withdrawal(void **state)
{
    dvc_buf_t             ans;
    dvc_plan_t            p;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;

    (void) state;
    facts_init(&f, 1);
    f.stat.received = 0;
    f.stat.due = 0;
    f.stat.at_desk = 1;
    f.stat.accept_deadline = t("2026-11-24T09:00:00+07:00");
    action_init(&a, DVC_ACT_WITHDRAWAL,
                "{\"reason\":\"Tôi đã nộp nhầm thủ tục, xin rút hồ sơ\"}",
                NULL);

    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_GO);
    assert_int_equal(ans.len, 0);
    dvc_buf_free(&ans);

    decide(&f, &a, &p);
    assert_int_equal(p.http, 200);
    assert_string_equal(set_of(&p, "status"), "7");
    assert_string_equal(set_of(&p, "prev_status"), "1");
    assert_string_equal(set_of(&p, "updated_at"), NOW);
    assert_non_null(strstr(set_of(&p, "history"),
                           "\"status\":\"withdrawal_requested\""));
    assert_memory_equal(set_of(&p, "history"), HISTORY,
                        strlen(HISTORY) - 1);
    assert_string_equal(xadd_of(&p, "dvc:inbox", "type"), "withdrawal_requested");
    assert_string_equal(xadd_of(&p, "dvc:inbox", "code"), CODE);
    assert_string_equal(xadd_of(&p, "dvc:inbox", "at"), NOW);
    assert_string_equal(xadd_of(&p, "dvc:inbox", "reason"),
                        "{\"vi\":\"Tôi đã nộp nhầm thủ tục, xin rút hồ sơ\"}");
    assert_null(set_of(&p, "c:withdrawal"));
    assert_int_equal(p.ncells, DVC_STAT_NCELLS);
    assert_int_equal(incr_sum(&p, "left_desk"), DVC_STAT_NCELLS);
    assert_int_equal(incr_sum(&p, "left_desk_late"), DVC_STAT_NCELLS);
    assert_true(del_of(&p, "st_desk"));
    assert_string_equal(p.answer.data,
        "{\"code\":\"" CODE "\",\"action\":\"withdrawal\",\"status\":7,"
        "\"status_slug\":\"withdrawal_requested\",\"applied_at\":\"" NOW "\"}");
    dvc_plan_free(&p);
}


/* asked again while the back-end decides: the first answer, from the time
 * it was applied */
static void
test_withdrawal_again(void **state)
{
    dvc_buf_t             ans;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;

    (void) state;
    facts_init(&f, 7);
    action_init(&a, DVC_ACT_WITHDRAWAL, "", NULL);

    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_WITHDRAWING);
    assert_string_equal(dvc_buf_cstr(&ans),
        "{\"code\":\"" CODE "\",\"action\":\"withdrawal\",\"status\":7,"
        "\"status_slug\":\"withdrawal_requested\",\"applied_at\":"
        "\"2026-11-23T15:00:00+07:00\"}");
    dvc_buf_free(&ans);
}


/* after the result only a rating: the 409 says so */
static void
test_withdrawal_illegal(void **state)
{
    yajl_val              v, allowed;
    dvc_buf_t             ans;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;

    (void) state;
    facts_init(&f, 9);
    action_init(&a, DVC_ACT_WITHDRAWAL, "", NULL);

    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_ILLEGAL);
    v = yajl_tree_parse(dvc_buf_cstr(&ans), NULL, 0);
    assert_non_null(v);
    assert_string_equal(yajl_tree_get(v, (const char *[]) { "error", NULL },
                                      yajl_t_string)->u.string,
                        "illegal_transition");
    allowed = yajl_tree_get(v, (const char *[]) { "allowed", NULL },
                            yajl_t_array);
    assert_non_null(allowed);
    assert_int_equal(allowed->u.array.len, 1);
    assert_string_equal(yajl_tree_get(allowed->u.array.values[0],
                            (const char *[]) { "action", NULL },
                            yajl_t_string)->u.string, "rating");
    yajl_tree_free(v);
    dvc_buf_free(&ans);

    /* nothing is possible once stopped */
    facts_init(&f, 8);
    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_ILLEGAL);
    assert_non_null(strstr(dvc_buf_cstr(&ans), "\"allowed\":[]"));
    dvc_buf_free(&ans);
}


/* in 9: the rating, its counter, the answer kept with the body's hash */
static void
test_rating(void **state)
{
    dvc_buf_t             ans;
    dvc_plan_t            p;
    const char           *kept;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;

    (void) state;
    facts_init(&f, 9);
    action_init(&a, DVC_ACT_RATING,
                "{\"rating\":\"satisfied\",\"comment\":\"Nhanh gọn\"}", SHA1);

    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_GO);
    dvc_buf_free(&ans);

    decide(&f, &a, &p);
    assert_int_equal(p.http, 200);
    assert_null(set_of(&p, "status"));
    assert_null(set_of(&p, "history"));
    assert_int_equal(p.nxadd, 0);
    assert_string_equal(set_of(&p, "rating"), "satisfied");
    assert_string_equal(set_of(&p, "rating_at"), NOW);
    assert_string_equal(set_of(&p, "rating_comment"), "Nhanh gọn");
    assert_int_equal(incr_sum(&p, "rating_satisfied"), (int) p.ncells);
    assert_string_equal(p.answer.data,
        "{\"code\":\"" CODE "\",\"action\":\"rating\",\"rating\":"
        "\"satisfied\",\"rated_at\":\"" NOW "\"}");

    kept = set_of(&p, "c:rating");
    assert_non_null(kept);
    assert_memory_equal(kept, SHA1 " ", 65);
    assert_string_equal(kept + 65, p.answer.data);
    dvc_plan_free(&p);
}


/* before the result: 409 not_resolved; a second rating: already rated */
static void
test_rating_refused(void **state)
{
    dvc_buf_t             ans;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;

    (void) state;
    facts_init(&f, 4);
    action_init(&a, DVC_ACT_RATING, "{\"rating\":\"satisfied\"}", SHA1);
    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_ILLEGAL);
    assert_non_null(strstr(dvc_buf_cstr(&ans),
                           "{\"error\":\"not_resolved\",\"action\":\"rating\""));
    dvc_buf_free(&ans);

    facts_init(&f, 10);
    f.rated = 1;
    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_ALREADY_RATED);
    dvc_buf_free(&ans);
}


/* the same rating sent again gets the first answer, byte for byte;
 * another body is the second rating it is */
static void
test_rating_replay(void **state)
{
    dvc_buf_t             ans;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;
    static const char     stored[] = SHA1 " {\"code\":\"x\",\"first\":1}";

    (void) state;
    facts_init(&f, 9);
    f.rated = 1;
    f.stored = stored;
    f.stored_len = sizeof(stored) - 1;

    action_init(&a, DVC_ACT_RATING, "{\"rating\":\"satisfied\"}", SHA1);
    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_REPLAY);
    assert_string_equal(dvc_buf_cstr(&ans), "{\"code\":\"x\",\"first\":1}");
    dvc_buf_free(&ans);

    a.sha256 = SHA2;
    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_ALREADY_RATED);
    assert_int_equal(ans.len, 0);
    dvc_buf_free(&ans);
}


static dvc_procedure_doc_t  kinds[] = {
    { "birth_cert", 10, "Giấy chứng sinh", 1, 0, 0 },
};

static dvc_dossier_doc_t  docs[] = {
    { "birth_cert", 10, SHA2, 64, 100, "application/pdf", 15 },
};

/* in 5: back to the desk with the corrected dossier's fields; the contact
 * it no longer gives goes */
static void
test_supplement(void **state)
{
    dvc_buf_t             ans;
    dvc_plan_t            p;
    dvc_procedure_t       proc;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;
    dvc_dossier_facts_t   d;

    (void) state;
    facts_init(&f, 5);
    action_init(&a, DVC_ACT_SUPPLEMENT, NULL, SHA1);
    a.body = "{\"procedure\":\"" PROC "\"}";
    a.body_len = strlen(a.body);
    a.body_procedure = PROC;
    a.body_procedure_len = strlen(PROC);

    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_GO);
    dvc_buf_free(&ans);

    memset(&proc, 0, sizeof(proc));
    proc.code = PROC;
    proc.agency = AGENCY;
    proc.documents = kinds;
    proc.ndocuments = 1;
    memset(&d, 0, sizeof(d));
    d.applicant_name = "Trần Thị B";
    d.applicant_name_len = strlen(d.applicant_name);
    d.applicant_email = "b@example.vn";
    d.applicant_email_len = strlen(d.applicant_email);
    d.delivery = "counter";
    d.delivery_len = 7;
    d.documents = docs;
    d.ndocuments = 1;
    a.procedure = &proc;
    a.dossier = &d;

    decide(&f, &a, &p);
    assert_int_equal(p.http, 200);
    assert_string_equal(set_of(&p, "status"), "1");
    assert_string_equal(set_of(&p, "body_sha256"), SHA1);
    assert_string_equal(set_of(&p, "delivery"), "counter");
    assert_string_equal(set_of(&p, "contact_email"), "b@example.vn");
    assert_true(del_of(&p, "contact_phone"));
    assert_string_equal(set_of(&p, "receipt_facts"),
        "{\"applicant\":{\"name\":\"Trần Thị B\",\"phone\":\"\",\"email\":"
        "\"b@example.vn\"},\"documents\":[{\"kind\":\"birth_cert\",\"name\":"
        "\"Giấy chứng sinh\",\"sha256\":\"" SHA2 "\"}]}");
    assert_string_equal(xadd_of(&p, "dvc:inbox", "type"), "supplement");
    assert_string_equal(xadd_of(&p, "dvc:inbox", "body"), a.body);
    assert_int_equal(incr_sum(&p, "submitted_online"), 0);
    assert_memory_equal(set_of(&p, "c:supplement"), SHA1 " ", 65);
    assert_string_equal(p.answer.data,
        "{\"code\":\"" CODE "\",\"action\":\"supplement\",\"status\":1,"
        "\"status_slug\":\"submitted\",\"applied_at\":\"" NOW "\"}");
    dvc_plan_free(&p);
}


/* another procedure's dossier is no supplement of this one */
static void
test_supplement_other_procedure(void **state)
{
    dvc_buf_t             ans;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;

    (void) state;
    facts_init(&f, 5);
    action_init(&a, DVC_ACT_SUPPLEMENT, NULL, SHA1);
    a.body_procedure = "1.000001";
    a.body_procedure_len = 8;

    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_OTHER_PROCEDURE);
    dvc_buf_free(&ans);

    /* the status comes first: out of 5, 409 whatever the body */
    facts_init(&f, 4);
    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_ILLEGAL);
    dvc_buf_free(&ans);
}


/* sent again once back at the desk: the first answer; in 5 again (the desk
 * asked anew) the same bytes are a new supplement */
static void
test_supplement_replay(void **state)
{
    dvc_buf_t             ans;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;
    static const char     stored[] = SHA1 " {\"first\":1}";

    (void) state;
    facts_init(&f, 1);
    f.stored = stored;
    f.stored_len = sizeof(stored) - 1;
    action_init(&a, DVC_ACT_SUPPLEMENT, NULL, SHA1);

    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_REPLAY);
    assert_string_equal(dvc_buf_cstr(&ans), "{\"first\":1}");
    dvc_buf_free(&ans);

    f.status = 5;
    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_GO);
    dvc_buf_free(&ans);

    /* a truncated field is no answer */
    f.status = 1;
    f.stored = SHA1;
    f.stored_len = 64;
    assert_int_equal(check(&f, &a, &ans), DVC_CITIZEN_ILLEGAL);
    dvc_buf_free(&ans);
}


/* broken st_* fields or no history: the change refused (500), or started
 * afresh */
static void
test_broken_record(void **state)
{
    dvc_plan_t            p;
    dvc_citizen_facts_t   f;
    dvc_citizen_action_t  a;

    (void) state;
    facts_init(&f, 2);
    f.stat_error = "st_due is not a number";
    action_init(&a, DVC_ACT_WITHDRAWAL, "", NULL);

    decide(&f, &a, &p);
    assert_int_equal(p.http, 500);
    assert_non_null(strstr(p.err.message_en, "st_due is not a number"));
    assert_non_null(strstr(p.err.message_en, CODE));
    dvc_plan_free(&p);

    facts_init(&f, 2);
    f.history = "not json";
    f.history_len = 8;
    decide(&f, &a, &p);
    assert_int_equal(p.http, 200);
    assert_memory_equal(set_of(&p, "history"), "[{\"at\":", 7);
    dvc_plan_free(&p);
}


int
main(void)
{
    int  rc;

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_withdrawal),
        cmocka_unit_test(test_withdrawal_again),
        cmocka_unit_test(test_withdrawal_illegal),
        cmocka_unit_test(test_rating),
        cmocka_unit_test(test_rating_refused),
        cmocka_unit_test(test_rating_replay),
        cmocka_unit_test(test_supplement),
        cmocka_unit_test(test_supplement_other_procedure),
        cmocka_unit_test(test_supplement_replay),
        cmocka_unit_test(test_broken_record),
    };

    rc = cmocka_run_group_tests(tests, setup, teardown);
    dvc_event_free(&dvc_alloc_std, &ev);
    return rc;
}
