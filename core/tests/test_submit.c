/*
 * A submission's record (dvc_submit.h): from the validated dossier's facts
 * and the code to the plan the glue sends as one MULTI/EXEC.  The due times
 * are worked out by hand on the calendar below (Monday-Friday, 07:30-11:30
 * and 13:00-17:00: 480 minutes a day).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <yajl/yajl_tree.h>

#include "dvc_jws.h"
#include "dvc_keys.h"
#include "dvc_plan.h"
#include "dvc_receipt.h"
#include "dvc_submit.h"
#include "dvc_time.h"
#include "jws_fixtures.h"
#include "plan_peek.h"

#define AGENCY  "000.00.10.H47"
#define CODE    AGENCY "-261123-0007"
#define SHA     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define TSHA    "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
#define TOKEN   "q1w2e3r4t5y6u7i8o9p0aa"
#define BODY    "{\"procedure\":\"1.001193\",\"x\":1}"

static const char *cal_text =
    "years 2026-2026\n"
    "weekdays mon-fri\n"
    "hours 07:30-11:30 13:00-17:00\n";

static dvc_calendar_t  *cal;
static dvc_key_t       *key;
static dvc_jwks_t       jwks;

static dvc_procedure_doc_t  kinds[] = {
    { "birth_cert", 10, "Giấy chứng sinh", 1, 0, 0 },
};

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
    char       err[256];
    size_t     len;
    dvc_buf_t  set;

    (void) state;
    cal = dvc_calendar_parse(&dvc_alloc_std, cal_text, strlen(cal_text),
                             err, sizeof(err));
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

    return dvc_jwks_parse(&dvc_alloc_std, set.data, set.len, &jwks, err,
                          sizeof(err)) == 0 ? (dvc_buf_free(&set), 0) : -1;
}

static int
teardown(void **state)
{
    (void) state;
    dvc_calendar_free(&dvc_alloc_std, cal);
    dvc_key_free(key);
    dvc_jwks_free(&jwks);
    return 0;
}

static void
procedure_init(dvc_procedure_t *p, int accept_auto)
{
    memset(p, 0, sizeof(*p));
    p->code = "1.001193";
    p->code_len = 8;
    p->name = "Đăng ký khai sinh";
    p->agency = AGENCY;
    p->level = 4;
    p->sector = "ho_tich";
    p->sector_len = 7;
    p->processing_unit = DVC_PROCESSING_DAYS;
    p->processing_halves = 4;                       /* 2 days */
    p->cutoff = -1;
    p->accept_auto = accept_auto;
    p->fee = 8000;
    p->documents = kinds;
    p->ndocuments = 1;
}

static dvc_dossier_doc_t  docs[] = {
    { "birth_cert", 10, SHA, 64, 12345, "application/pdf", 15 },
};

static void
dossier_init(dvc_dossier_facts_t *d, int with_docs)
{
    memset(d, 0, sizeof(*d));
    d->delivery = "post";
    d->delivery_len = 4;
    d->applicant_name = "Nguyễn Văn A";
    d->applicant_name_len = strlen(d->applicant_name);
    d->applicant_email = "a@example.vn";
    d->applicant_email_len = strlen(d->applicant_email);
    if (with_docs) {
        d->documents = docs;
        d->ndocuments = 1;
    }
}

static void
facts_init(dvc_submit_facts_t *f, const dvc_procedure_t *p,
    const dvc_dossier_facts_t *d)
{
    memset(f, 0, sizeof(*f));
    f->procedure = p;
    f->dossier = d;
    f->channel = DVC_CHANNEL_ONLINE;
    f->code = CODE;
    f->body = BODY;
    f->body_len = strlen(BODY);
    f->body_sha256 = SHA;
    f->token = TOKEN;
    f->token_len = strlen(TOKEN);
    f->token_sha256 = TSHA;
}

static void
env_init(dvc_submit_env_t *env, const char *now)
{
    memset(env, 0, sizeof(*env));
    env->cal = cal;
    env->signing_key = key;
    env->now = t(now);
}

/* how many counters of this name move, and by how much in all */
static int
incr_sum(const dvc_plan_t *p, const char *counter, const char *day)
{
    int     sum;
    size_t  i, n;

    sum = 0;
    n = strlen(counter);

    for (i = 0; i < p->nincr; i++) {
        if (p->incr[i].key_len > n
            && memcmp(p->incr[i].key + p->incr[i].key_len - n, counter, n)
               == 0
            && p->incr[i].key[p->incr[i].key_len - n - 1] == ':')
        {
            assert_string_equal(p->incr[i].field, day);
            sum += p->incr[i].delta;
        }
    }

    return sum;
}

/* the signed payload of a JWS of that typ, parsed */
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

static const char *
str_at(yajl_val v, const char *a, const char *b)
{
    const char  *path[3] = { a, b, NULL };
    yajl_val     s;

    s = yajl_tree_get(v, path, yajl_t_string);
    return s ? s->u.string : NULL;
}

static void
decide(const dvc_submit_facts_t *f, const dvc_submit_env_t *env,
    dvc_submit_plan_t *sp)
{
    dvc_submit_plan_init(sp, &dvc_alloc_std);
    dvc_submit_decide(f, env, sp);
    assert_false(sp->p.failed);
    dvc_buf_cstr(&sp->p.answer);
    dvc_buf_cstr(&sp->idem);
}


/* online, the desk accepts later: status 1 and the receipt's facts kept */
static void
test_online_at_desk(void **state)
{
    yajl_val             ans, ack;
    dvc_procedure_t      p;
    dvc_submit_env_t     env;
    dvc_submit_plan_t    sp;
    dvc_submit_facts_t   f;
    dvc_dossier_facts_t  d;

    (void) state;
    procedure_init(&p, 0);
    dossier_init(&d, 1);
    facts_init(&f, &p, &d);
    env_init(&env, "2026-11-23T09:00:00+07:00");
    decide(&f, &env, &sp);

    assert_int_equal(sp.p.http, 200);
    assert_int_equal(sp.status, 1);
    assert_string_equal(sp.key, "dvc:d:" CODE);
    assert_int_equal(sp.key_len, strlen("dvc:d:" CODE));
    assert_int_equal(strtoll(sp.score, NULL, 10), env.now);

    assert_string_equal(set_of(&sp.p, "status"), "1");
    assert_string_equal(set_of(&sp.p, "code"), CODE);
    assert_string_equal(set_of(&sp.p, "agency"), AGENCY);
    assert_string_equal(set_of(&sp.p, "procedure"), "1.001193");
    assert_string_equal(set_of(&sp.p, "delivery"), "post");
    assert_string_equal(set_of(&sp.p, "token_sha256"), TSHA);
    assert_string_equal(set_of(&sp.p, "body_sha256"), SHA);
    assert_null(set_of(&sp.p, "channel"));          /* absent: online */
    assert_null(set_of(&sp.p, "updated_at"));       /* submitted_at */
    assert_string_equal(set_of(&sp.p, "submitted_at"),
                        "2026-11-23T09:00:00+07:00");
    assert_null(set_of(&sp.p, "submitted_ts"));     /* the index's score */
    assert_string_equal(set_of(&sp.p, "contact_email"), "a@example.vn");
    assert_null(set_of(&sp.p, "contact_phone"));
    assert_null(set_of(&sp.p, "receipt"));
    assert_null(set_of(&sp.p, "due_ts"));
    assert_string_equal(set_of(&sp.p, "history"),
        "[{\"at\":\"2026-11-23T09:00:00+07:00\",\"status\":\"submitted\","
        "\"status_number\":1,\"actor\":\"citizen\"}]");
    assert_string_equal(set_of(&sp.p, "receipt_facts"),
        "{\"applicant\":{\"name\":\"Nguyễn Văn A\",\"phone\":\"\",\"email\":"
        "\"a@example.vn\"},\"documents\":[{\"kind\":\"birth_cert\",\"name\":"
        "\"Giấy chứng sinh\",\"sha256\":\"" SHA "\"}]}");
    /* its statistics state: the desk's deadline, a working day later */
    assert_string_equal(set_of(&sp.p, "st_desk"), "1");
    assert_int_equal(strtoll(set_of(&sp.p, "st_adl"), NULL, 10),
                     t("2026-11-24T09:00:00+07:00"));
    assert_string_equal(set_of(&sp.p, "st_lv"), "4");
    assert_string_equal(set_of(&sp.p, "st_sec"), "ho_tich");

    /* every cell counts it waiting at the desk */
    assert_int_equal(sp.p.ncells, DVC_STAT_NCELLS);
    assert_int_equal(incr_sum(&sp.p, "submitted_online", "20261123"),
                     DVC_STAT_NCELLS);
    assert_int_equal(incr_sum(&sp.p, "accept_due", "20261124"),
                     DVC_STAT_NCELLS);

    /* the inbox: the body as sent; no store, no documents */
    assert_int_equal(sp.p.nxadd, 1);
    assert_string_equal(xadd_of(&sp.p, "dvc:inbox", "body"), BODY);
    assert_string_equal(xadd_of(&sp.p, "dvc:inbox", "code"), CODE);
    assert_null(xadd_of(&sp.p, "dvc:inbox", "documents"));
    assert_int_equal(sp.idem.len, 0);

    /* the answer and the acknowledgement it carries */
    ans = yajl_tree_parse(sp.p.answer.data, NULL, 0);
    assert_non_null(ans);
    assert_string_equal(str_at(ans, "code", NULL), CODE);
    assert_string_equal(str_at(ans, "status", NULL), "submitted");
    assert_string_equal(str_at(ans, "lookup_token", NULL), TOKEN);
    assert_null(str_at(ans, "receipt", NULL));
    assert_null(str_at(ans, "channel", NULL));
    assert_true(sp.p.signed_ack);
    assert_false(sp.p.signed_receipt);

    ack = verified(str_at(ans, "acknowledgement", NULL), "dvc-ack+jws");
    /* the citizen holds it; the hash does not keep it (docs/redis.md) */
    assert_null(set_of(&sp.p, "ack"));
    assert_string_equal(str_at(ack, "code", NULL), CODE);
    assert_string_equal(str_at(ack, "body_sha256", NULL), SHA);
    assert_string_equal(str_at(ack, "submitted_at", NULL),
                        "2026-11-23T09:00:00+07:00");
    assert_true(YAJL_IS_ARRAY(yajl_tree_get(ack,
                (const char *[]) { "documents", NULL }, yajl_t_array)));

    yajl_tree_free(ack);
    yajl_tree_free(ans);
    dvc_submit_plan_free(&sp);
}


/* "accept": "auto": the appointment two working days on, the receipt
 * signed, the notice of it when notices are on */
static void
test_accepted_at_once(void **state)
{
    yajl_val             ans, rc;
    dvc_procedure_t      p;
    dvc_submit_env_t     env;
    dvc_submit_plan_t    sp;
    dvc_submit_facts_t   f;
    dvc_dossier_facts_t  d;

    (void) state;
    procedure_init(&p, 1);
    dossier_init(&d, 1);
    facts_init(&f, &p, &d);
    env_init(&env, "2026-11-23T09:00:00+07:00");
    env.notify = 1;
    env.link = "https://dvc.example.vn/tra-cuu/";
    env.link_len = strlen(env.link);
    decide(&f, &env, &sp);

    /* Monday 09:00 + 960 office minutes: 390 on Monday, 480 on Tuesday,
     * 90 on Wednesday from 07:30 */
    assert_int_equal(sp.status, 2);
    assert_int_equal(sp.due, t("2026-11-25T09:00:00+07:00"));
    assert_string_equal(set_of(&sp.p, "status"), "2");
    assert_string_equal(set_of(&sp.p, "due_at"), "2026-11-25T09:00:00+07:00");
    assert_string_equal(set_of(&sp.p, "accepted_at"),
                        "2026-11-23T09:00:00+07:00");
    assert_null(set_of(&sp.p, "receipt_facts"));
    assert_null(set_of(&sp.p, "st_desk"));
    assert_string_equal(set_of(&sp.p, "history"),
        "[{\"at\":\"2026-11-23T09:00:00+07:00\",\"status\":\"submitted\","
        "\"status_number\":1,\"actor\":\"citizen\"},{\"at\":"
        "\"2026-11-23T09:00:00+07:00\",\"status\":\"accepted\","
        "\"status_number\":2,\"actor\":\"gateway\"}]");
    assert_int_equal(incr_sum(&sp.p, "received_online", "20261123"),
                     DVC_STAT_NCELLS);
    assert_int_equal(incr_sum(&sp.p, "submitted_online", "20261123"), 0);

    ans = yajl_tree_parse(sp.p.answer.data, NULL, 0);
    assert_non_null(ans);
    assert_string_equal(str_at(ans, "status", NULL), "accepted");
    assert_string_equal(str_at(ans, "due_at", NULL),
                        "2026-11-25T09:00:00+07:00");
    assert_string_equal(set_of(&sp.p, "receipt"),
                        str_at(ans, "receipt", NULL));
    assert_true(sp.p.signed_receipt);

    rc = verified(str_at(ans, "receipt", NULL), "dvc-receipt+jws");
    assert_string_equal(str_at(rc, "code", NULL), CODE);
    assert_string_equal(str_at(rc, "due_at", NULL), "2026-11-25T09:00");
    assert_string_equal(str_at(rc, "applicant", "name"), "Nguyễn Văn A");
    assert_string_equal(str_at(rc, "procedure", "name"), "Đăng ký khai sinh");
    assert_string_equal(str_at(rc, "delivery", NULL), "post");

    /* the notice of the appointment, with the lookup link */
    assert_int_equal(sp.p.nxadd, 2);
    assert_string_equal(xadd_of(&sp.p, "dvc:notify", "code"), CODE);
    assert_string_equal(xadd_of(&sp.p, "dvc:notify", "template"),
                        "accepted");
    assert_string_equal(xadd_of(&sp.p, "dvc:notify", "email"),
                        "a@example.vn");
    assert_non_null(strstr(xadd_of(&sp.p, "dvc:notify", "link"), CODE));

    yajl_tree_free(rc);
    yajl_tree_free(ans);
    dvc_submit_plan_free(&sp);

    /* notices off: none */
    env.notify = 0;
    decide(&f, &env, &sp);
    assert_int_equal(sp.p.nxadd, 1);
    assert_null(xadd_of(&sp.p, "dvc:notify", "code"));
    dvc_submit_plan_free(&sp);
}


/* a counter dossier the desk entered: accepted at once by the back-end */
static void
test_counter(void **state)
{
    yajl_val             ans;
    dvc_procedure_t      p;
    dvc_submit_env_t     env;
    dvc_submit_plan_t    sp;
    dvc_submit_facts_t   f;
    dvc_dossier_facts_t  d;

    (void) state;
    procedure_init(&p, 0);
    dossier_init(&d, 0);
    facts_init(&f, &p, &d);
    f.channel = DVC_CHANNEL_COUNTER;
    env_init(&env, "2026-11-23T09:00:00+07:00");
    decide(&f, &env, &sp);

    assert_int_equal(sp.status, 2);
    assert_string_equal(set_of(&sp.p, "channel"), "counter");
    assert_non_null(strstr(set_of(&sp.p, "history"),
                           "\"actor\":\"back-end\"}]"));
    assert_int_equal(incr_sum(&sp.p, "received_counter", "20261123"),
                     DVC_STAT_NCELLS);

    ans = yajl_tree_parse(sp.p.answer.data, NULL, 0);
    assert_string_equal(str_at(ans, "channel", NULL), "counter");
    yajl_tree_free(ans);
    dvc_submit_plan_free(&sp);
}


/* the inbox lists the uploads as the check read them; an Idempotency-Key
 * keeps the answer after the body's hash and the code */
static void
test_documents_and_idempotency(void **state)
{
    size_t               n;
    dvc_procedure_t      p;
    dvc_submit_env_t     env;
    dvc_submit_plan_t    sp;
    dvc_submit_facts_t   f;
    dvc_dossier_facts_t  d;

    (void) state;
    procedure_init(&p, 0);
    dossier_init(&d, 1);
    facts_init(&f, &p, &d);
    f.idempotent = 1;
    f.documents = "[{\"kind\":\"birth_cert\",\"sha256\":\"" SHA "\","
                  "\"size\":12345,\"type\":\"application/pdf\","
                  "\"scan\":\"clean\"}]";
    f.documents_len = strlen(f.documents);
    env_init(&env, "2026-11-23T09:00:00+07:00");
    decide(&f, &env, &sp);

    assert_string_equal(xadd_of(&sp.p, "dvc:inbox", "documents"),
                        f.documents);

    n = strlen("done:" SHA ":" CODE ":");
    assert_true(sp.idem.len > n);
    assert_memory_equal(sp.idem.data, "done:" SHA ":" CODE ":", n);
    assert_string_equal(sp.idem.data + n, sp.p.answer.data);

    dvc_submit_plan_free(&sp);

    /* none (none listed, or no store): no "documents" */
    f.documents = NULL;
    f.documents_len = 0;
    decide(&f, &env, &sp);
    assert_null(xadd_of(&sp.p, "dvc:inbox", "documents"));
    dvc_submit_plan_free(&sp);
}


/* a procedure without a sector: only the cells that need none */
static void
test_no_sector(void **state)
{
    dvc_procedure_t      p;
    dvc_submit_env_t     env;
    dvc_submit_plan_t    sp;
    dvc_submit_facts_t   f;
    dvc_dossier_facts_t  d;

    (void) state;
    procedure_init(&p, 0);
    p.sector = NULL;
    p.sector_len = 0;
    dossier_init(&d, 0);
    facts_init(&f, &p, &d);
    env_init(&env, "2026-11-23T09:00:00+07:00");
    decide(&f, &env, &sp);

    assert_true(sp.p.ncells > 0 && sp.p.ncells < DVC_STAT_NCELLS);
    assert_int_equal(incr_sum(&sp.p, "submitted_online", "20261123"),
                     (int) sp.p.ncells);
    assert_null(set_of(&sp.p, "st_sec"));
    dvc_submit_plan_free(&sp);
}


/* the calendar ends before the appointment or the desk's deadline: 503,
 * nothing to write */
static void
test_beyond_calendar(void **state)
{
    dvc_procedure_t      p;
    dvc_submit_env_t     env;
    dvc_submit_plan_t    sp;
    dvc_submit_facts_t   f;
    dvc_dossier_facts_t  d;

    (void) state;
    procedure_init(&p, 1);
    dossier_init(&d, 0);
    facts_init(&f, &p, &d);
    env_init(&env, "2026-12-31T16:00:00+07:00");
    dvc_submit_plan_init(&sp, &dvc_alloc_std);
    dvc_submit_decide(&f, &env, &sp);

    assert_false(sp.p.failed);
    assert_int_equal(sp.p.http, 503);
    assert_non_null(strstr(sp.p.err.message_en, "extend dvc_calendar"));
    assert_false(sp.p.signed_receipt);
    dvc_submit_plan_free(&sp);

    /* waiting at the desk: its deadline is a working day on */
    procedure_init(&p, 0);
    dvc_submit_plan_init(&sp, &dvc_alloc_std);
    dvc_submit_decide(&f, &env, &sp);
    assert_false(sp.p.failed);
    assert_int_equal(sp.p.http, 503);
    assert_non_null(strstr(sp.p.err.message_en, "calendar"));
    dvc_submit_plan_free(&sp);
}


/* no signing key: 500, never an unsigned acknowledgement */
static void
test_no_key(void **state)
{
    dvc_procedure_t      p;
    dvc_submit_env_t     env;
    dvc_submit_plan_t    sp;
    dvc_submit_facts_t   f;
    dvc_dossier_facts_t  d;

    (void) state;
    procedure_init(&p, 0);
    dossier_init(&d, 0);
    facts_init(&f, &p, &d);
    env_init(&env, "2026-11-23T09:00:00+07:00");
    env.signing_key = NULL;
    dvc_submit_plan_init(&sp, &dvc_alloc_std);
    dvc_submit_decide(&f, &env, &sp);

    assert_true(sp.p.failed);
    assert_false(sp.p.signed_ack);
    dvc_submit_plan_free(&sp);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_online_at_desk),
        cmocka_unit_test(test_accepted_at_once),
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_documents_and_idempotency),
        cmocka_unit_test(test_no_sector),
        cmocka_unit_test(test_beyond_calendar),
        cmocka_unit_test(test_no_key),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
