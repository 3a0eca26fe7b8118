/*
 * Every change to a dossier after its submission (back-end events, the
 * citizen's withdrawal, supplement and rating) is written by ONE Lua script:
 * Redis runs it atomically, so the dossier's fields, its statistics counters
 * and the back-end's inbox entry change together or not at all.  No WATCH:
 * the worker's Redis connection is shared and pipelined, so optimistic
 * locking is done inside the script with the hash's `ver`.
 *
 * It is sent with EVALSHA, by its SHA-1 (computed at configuration time),
 * not its text (949 bytes today).  When Redis answers NOSCRIPT (restarted,
 * SCRIPT FLUSH, a promoted replica whose cache is empty) the script did not
 * run, so the same call goes again once with EVAL and the text, which also
 * puts it back in Redis's cache.  No other answer is retried: an error of
 * the script or no answer at all (timeout, lost connection: the outcome is
 * unknown) goes to the caller as it came.
 *
 * The decisions (which status, which fields, which counters) are made in C
 * before; the script only checks its two guards and applies them:
 *
 *   KEYS[1]            the dossier's hash dvc:d:{code}
 *   KEYS[2 .. 1+ni]    the counters' hashes (dvc:st:{cell}:{counter})
 *   KEYS[2+ni .. 1+ni+nx]  the streams, one per entry (dvc:inbox, or a
 *                      receiving agency's dvc:inbox:{agency})
 *   ARGV[1]            the `ver` the gateway read ("0" when it had none)
 *   ARGV[2]            the once-only field ("e:{event id}") or ""
 *   ARGV[3]            the value to keep under it (body sha256, answer)
 *   ARGV[4..7]         ns, nd, ni, nx: how many of each follow
 *   then ns (field, value) pairs to HSET, nd fields to HDEL,
 *   ni (hash field, delta) pairs for HINCRBY on KEYS[2..], and
 *   nx stream entries, each its count of pairs k then k (field, value)
 *   pairs for XADD KEYS[1+ni+j] * ...
 *
 * It answers {"missing"} (no such dossier), {"done", stored} (the once-only
 * field exists: a replay; nothing is applied), {"conflict", ver} (someone
 * changed the dossier since it was read), or {"ok", new ver}.  The replay
 * guard comes first, so a retried event is recognised even after later
 * changes moved `ver` on.
 */

#include <openssl/evp.h>

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_apply.h"


/* One call of the script, kept on the request's pool until Redis answers:
 * the arguments, for the EVAL that may follow a NOSCRIPT. */
typedef struct {
    const char                     **argv;
    size_t                          *lens;
    ngx_uint_t                       argc;
    ngx_http_dvc_redis_handler_pt    handler;
    void                            *data;
    unsigned                         eval:1;    /* sent with the text */
} ngx_http_dvc_apply_call_t;


static ngx_int_t ngx_http_dvc_apply_set(ngx_http_dvc_apply_t *a,
    const char *name, const void *value, size_t len);
static ngx_int_t ngx_http_dvc_apply_del(ngx_http_dvc_apply_t *a,
    const char *name);
static ngx_int_t ngx_http_dvc_apply_incr(ngx_http_dvc_apply_t *a,
    const u_char *key, size_t key_len, const char *field, ngx_int_t delta);
static ngx_int_t ngx_http_dvc_apply_xadd_to(ngx_http_dvc_apply_t *a,
    const u_char *stream, size_t slen, const char *name, const void *value,
    size_t len);
static void ngx_http_dvc_apply_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);


static const char  ngx_http_dvc_apply_lua[] =
    "local h = KEYS[1]\n"
    "if redis.call('EXISTS', h) == 0 then return {'missing'} end\n"
    "if ARGV[2] ~= '' then\n"
    "  local prev = redis.call('HGET', h, ARGV[2])\n"
    "  if prev then return {'done', prev} end\n"
    "end\n"
    "local ver = redis.call('HGET', h, 'ver') or '0'\n"
    "if ver ~= ARGV[1] then return {'conflict', ver} end\n"
    "local ns, nd, ni, nx = tonumber(ARGV[4]), tonumber(ARGV[5]),\n"
    "                       tonumber(ARGV[6]), tonumber(ARGV[7])\n"
    "local a = 8\n"
    "local nv = tostring(tonumber(ver) + 1)\n"
    "redis.call('HSET', h, 'ver', nv)\n"
    "if ARGV[2] ~= '' then redis.call('HSET', h, ARGV[2], ARGV[3]) end\n"
    "for i = 1, ns do\n"
    "  redis.call('HSET', h, ARGV[a], ARGV[a + 1]); a = a + 2\n"
    "end\n"
    "for i = 1, nd do\n"
    "  redis.call('HDEL', h, ARGV[a]); a = a + 1\n"
    "end\n"
    "for i = 1, ni do\n"
    "  redis.call('HINCRBY', KEYS[1 + i], ARGV[a], ARGV[a + 1]); a = a + 2\n"
    "end\n"
    "for j = 1, nx do\n"
    "  local k, x = tonumber(ARGV[a]), {}\n"
    "  for i = 1, 2 * k do x[i] = ARGV[a + i] end\n"
    "  redis.call('XADD', KEYS[1 + ni + j], '*', unpack(x)); a = a + 1 + 2 * k\n"
    "end\n"
    "return {'ok', nv}\n";


/* The script's SHA-1 in lowercase hex, as EVALSHA takes it; set at
 * configuration time (the same in every cycle: the text is constant). */
static u_char  ngx_http_dvc_apply_sha1[40];


ngx_int_t
ngx_http_dvc_apply_prepare(ngx_conf_t *cf)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  n;

    if (EVP_Digest(ngx_http_dvc_apply_lua, sizeof(ngx_http_dvc_apply_lua) - 1,
                   md, &n, EVP_sha1(), NULL) != 1
        || n != sizeof(ngx_http_dvc_apply_sha1) / 2)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: SHA-1 of the apply script failed");
        return NGX_ERROR;
    }

    ngx_hex_dump(ngx_http_dvc_apply_sha1, md, n);

    return NGX_OK;
}


ngx_int_t
ngx_http_dvc_apply_init(ngx_pool_t *pool, ngx_http_dvc_apply_t *a,
    ngx_str_t *key, int64_t ver)
{
    ngx_memzero(a, sizeof(ngx_http_dvc_apply_t));

    a->pool = pool;
    a->key = *key;
    a->ver = ver;

    if (ngx_array_init(&a->set, pool, 16, sizeof(ngx_keyval_t)) != NGX_OK
        || ngx_array_init(&a->del, pool, 4, sizeof(ngx_str_t)) != NGX_OK
        || ngx_array_init(&a->incr, pool, 16,
                          sizeof(ngx_http_dvc_apply_incr_t)) != NGX_OK
        || ngx_array_init(&a->xadd, pool, 2,
                          sizeof(ngx_http_dvc_apply_stream_t)) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* A name and its value, both kept by reference, onto set or xadd. */
static ngx_int_t
ngx_http_dvc_apply_push(ngx_array_t *pairs, const char *name,
    const void *value, size_t len)
{
    ngx_keyval_t  *kv;

    kv = ngx_array_push(pairs);
    if (kv == NULL) {
        return NGX_ERROR;
    }

    kv->key.data = (u_char *) name;
    kv->key.len = ngx_strlen(name);
    kv->value.data = (u_char *) value;
    kv->value.len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dvc_apply_set(ngx_http_dvc_apply_t *a, const char *name,
    const void *value, size_t len)
{
    return ngx_http_dvc_apply_push(&a->set, name, value, len);
}


static ngx_int_t
ngx_http_dvc_apply_del(ngx_http_dvc_apply_t *a, const char *name)
{
    ngx_str_t  *s;

    s = ngx_array_push(&a->del);
    if (s == NULL) {
        return NGX_ERROR;
    }

    s->data = (u_char *) name;
    s->len = ngx_strlen(name);

    return NGX_OK;
}


static ngx_int_t
ngx_http_dvc_apply_incr(ngx_http_dvc_apply_t *a, const u_char *key,
    size_t key_len, const char *field, ngx_int_t delta)
{
    u_char                     *p;
    ngx_http_dvc_apply_incr_t  *in;

    in = ngx_array_push(&a->incr);
    if (in == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(a->pool, key_len + ngx_strlen(field) + NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    /* copies: callers build keys in stack buffers */
    in->key.data = p;
    in->key.len = key_len;
    p = ngx_cpymem(p, key, key_len);

    in->field.data = p;
    in->field.len = ngx_strlen(field);
    p = ngx_cpymem(p, field, in->field.len);

    in->delta.data = p;
    in->delta.len = ngx_sprintf(p, "%i", delta) - p;

    return NGX_OK;
}


/* One entry per stream: the first pair for a stream opens its entry. */
static ngx_int_t
ngx_http_dvc_apply_xadd_to(ngx_http_dvc_apply_t *a, const u_char *stream,
    size_t slen, const char *name, const void *value, size_t len)
{
    ngx_uint_t                    i;
    ngx_http_dvc_apply_stream_t  *st;

    st = a->xadd.elts;

    for (i = 0; i < a->xadd.nelts; i++) {
        if (st[i].key.len == slen
            && ngx_strncmp(st[i].key.data, stream, slen) == 0)
        {
            return ngx_http_dvc_apply_push(&st[i].fields, name, value, len);
        }
    }

    st = ngx_array_push(&a->xadd);
    if (st == NULL) {
        return NGX_ERROR;
    }

    st->key.data = (u_char *) stream;
    st->key.len = slen;

    if (ngx_array_init(&st->fields, a->pool, 8, sizeof(ngx_keyval_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_dvc_apply_push(&st->fields, name, value, len);
}


void
ngx_http_dvc_apply_once(ngx_http_dvc_apply_t *a, ngx_str_t *field,
    ngx_str_t *value)
{
    a->once_field = *field;
    a->once_value = *value;
}


/* the stream entries' pairs, all streams together */
static ngx_uint_t
ngx_http_dvc_apply_npairs(ngx_http_dvc_apply_t *a)
{
    ngx_uint_t                    i, n;
    ngx_http_dvc_apply_stream_t  *st;

    st = a->xadd.elts;
    n = 0;

    for (i = 0; i < a->xadd.nelts; i++) {
        n += st[i].fields.nelts;
    }

    return n;
}


/*
 * The EVAL that may follow a NOSCRIPT is sent from the reply's handler,
 * after the callers' values are gone (some point into an earlier Redis
 * reply, freed by then): the arguments ref[] lists (len bytes in all) get
 * copies on the pool, made now.
 */
static ngx_int_t
ngx_http_dvc_apply_copy(ngx_pool_t *pool, const char **argv, size_t *lens,
    ngx_uint_t *ref, ngx_uint_t nref, size_t len)
{
    u_char      *p;
    ngx_uint_t   i;

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < nref; i++) {
        p = ngx_cpymem(p, argv[ref[i]], lens[ref[i]]);
        argv[ref[i]] = (const char *) p - lens[ref[i]];
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_dvc_apply_send(ngx_http_request_t *r, ngx_http_dvc_apply_t *a,
    ngx_http_dvc_redis_handler_pt handler, void *data)
{
    u_char                     *p;
    size_t                      len, *lens;
    ngx_uint_t                  i, j, n, argc, nkeys, nref, npairs, *ref;
    const char                **argv;
    ngx_keyval_t               *kv;
    ngx_http_dvc_apply_stream_t  *st;
    ngx_str_t                  *s;
    ngx_http_dvc_apply_incr_t  *in;
    ngx_http_dvc_redis_cmd_t    cmd;
    ngx_http_dvc_apply_call_t  *call;

    st = a->xadd.elts;
    npairs = ngx_http_dvc_apply_npairs(a);

    nkeys = 1 + a->incr.nelts + a->xadd.nelts;
    n = 3 + nkeys + 7 + 2 * a->set.nelts + a->del.nelts + 2 * a->incr.nelts
        + a->xadd.nelts + 2 * npairs;

    argv = ngx_palloc(r->pool, n * sizeof(char *));
    lens = ngx_palloc(r->pool, n * sizeof(size_t));
    p = ngx_pnalloc(r->pool, (6 + a->xadd.nelts) * (NGX_INT64_LEN + 1));
    call = ngx_palloc(r->pool, sizeof(ngx_http_dvc_apply_call_t));
    ref = ngx_palloc(r->pool, n * sizeof(ngx_uint_t));

    if (argv == NULL || lens == NULL || p == NULL || call == NULL
        || ref == NULL)
    {
        return NGX_ERROR;
    }

    /* dvc_ref: the caller's, copied below; dvc_arg: static or already on
     * the pool (numbers, counters' keys, fields and deltas) */
#define dvc_arg(s, l)  argv[argc] = (const char *) (s); lens[argc++] = (l)
#define dvc_ref(s, l)  len += (l); ref[nref++] = argc; dvc_arg(s, l)
#define dvc_num(v)                                                            \
    dvc_arg(p, ngx_sprintf(p, "%L", (int64_t) (v)) - p);                      \
    p += NGX_INT64_LEN + 1

    argc = 0;
    nref = 0;
    len = 0;
    dvc_arg("EVALSHA", 7);
    dvc_arg(ngx_http_dvc_apply_sha1, sizeof(ngx_http_dvc_apply_sha1));
    dvc_num(nkeys);

    dvc_ref(a->key.data, a->key.len);

    in = a->incr.elts;
    for (i = 0; i < a->incr.nelts; i++) {
        dvc_arg(in[i].key.data, in[i].key.len);
    }

    for (i = 0; i < a->xadd.nelts; i++) {
        dvc_ref(st[i].key.data, st[i].key.len);
    }

    dvc_num(a->ver);
    dvc_ref(a->once_field.len ? (const char *) a->once_field.data : "",
            a->once_field.len);
    dvc_ref(a->once_value.len ? (const char *) a->once_value.data : "",
            a->once_value.len);
    dvc_num(a->set.nelts);
    dvc_num(a->del.nelts);
    dvc_num(a->incr.nelts);
    dvc_num(a->xadd.nelts);

    kv = a->set.elts;
    for (i = 0; i < a->set.nelts; i++) {
        dvc_ref(kv[i].key.data, kv[i].key.len);
        dvc_ref(kv[i].value.data, kv[i].value.len);
    }

    s = a->del.elts;
    for (i = 0; i < a->del.nelts; i++) {
        dvc_ref(s[i].data, s[i].len);
    }

    for (i = 0; i < a->incr.nelts; i++) {
        dvc_arg(in[i].field.data, in[i].field.len);
        dvc_arg(in[i].delta.data, in[i].delta.len);
    }

    for (j = 0; j < a->xadd.nelts; j++) {
        dvc_num(st[j].fields.nelts);

        kv = st[j].fields.elts;
        for (i = 0; i < st[j].fields.nelts; i++) {
            dvc_ref(kv[i].key.data, kv[i].key.len);
            dvc_ref(kv[i].value.data, kv[i].value.len);
        }
    }

#undef dvc_arg
#undef dvc_ref
#undef dvc_num

    if (ngx_http_dvc_apply_copy(r->pool, argv, lens, ref, nref, len)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    call->argv = argv;
    call->lens = lens;
    call->argc = argc;
    call->handler = handler;
    call->data = data;
    call->eval = 0;

    cmd.argc = argc;
    cmd.argv = argv;
    cmd.argvlen = lens;

    return ngx_http_dvc_redis_send_durable(r, &cmd, 1, ngx_http_dvc_apply_reply,
                                           call);
}


/*
 * Redis's answer to EVALSHA.  NOSCRIPT is the one error that says the script
 * did not run (nothing was applied), so sending the same call with the text
 * cannot apply anything twice; it goes once.  Everything else, NULL (no
 * answer: outcome unknown) included, is the caller's.
 */
static void
ngx_http_dvc_apply_reply(ngx_http_request_t *r, ngx_http_dvc_reply_t *reply,
    void *data)
{
    ngx_http_dvc_apply_call_t *call = data;

    ngx_int_t                 rc;
    const char               *err;
    ngx_http_dvc_redis_cmd_t  cmd;

    err = ngx_http_dvc_reply_error(reply);

    if (err == NULL || call->eval || ngx_strncmp(err, "NOSCRIPT", 8) != 0) {
        call->handler(r, reply, call->data);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "dvc: redis does not know the apply script (restarted, "
                  "flushed or failed over): sending its text");

    call->eval = 1;
    call->argv[0] = "EVAL";
    call->lens[0] = 4;
    call->argv[1] = ngx_http_dvc_apply_lua;
    call->lens[1] = sizeof(ngx_http_dvc_apply_lua) - 1;

    cmd.argc = call->argc;
    cmd.argv = call->argv;
    cmd.argvlen = call->lens;

    rc = ngx_http_dvc_redis_send_durable(r, &cmd, 1, ngx_http_dvc_apply_reply,
                                         call);

    if (rc == NGX_OK) {
        /* the EVAL holds the request now; this answer's hold goes */
        ngx_http_dvc_finalize(r, NGX_DONE);
        return;
    }

    /* Redis went meanwhile: nothing was applied, and the caller answers
     * NOSCRIPT as the failure it is (503) */
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "dvc: the apply script's text could not be sent to redis");

    call->handler(r, reply, call->data);
}


ngx_http_dvc_apply_result_e
ngx_http_dvc_apply_result(ngx_http_dvc_reply_t *reply, ngx_str_t *value)
{
    ngx_http_dvc_val_t   v[2], *tag;

    ngx_str_null(value);

    if (ngx_http_dvc_reply_vals(reply, v, 2) < 1
        || v[0].type != NGX_HTTP_DVC_VAL_STRING)
    {
        return NGX_HTTP_DVC_APPLY_FAILED;
    }

    tag = &v[0];

    if (v[1].type == NGX_HTTP_DVC_VAL_STRING) {
        value->data = (u_char *) v[1].str;
        value->len = v[1].len;
    }

    if (tag->len == 2 && ngx_strncmp(tag->str, "ok", 2) == 0) {
        return NGX_HTTP_DVC_APPLY_OK;
    }

    if (tag->len == 4 && ngx_strncmp(tag->str, "done", 4) == 0) {
        return NGX_HTTP_DVC_APPLY_DONE;
    }

    if (tag->len == 8 && ngx_strncmp(tag->str, "conflict", 8) == 0) {
        return NGX_HTTP_DVC_APPLY_CONFLICT;
    }

    if (tag->len == 7 && ngx_strncmp(tag->str, "missing", 7) == 0) {
        return NGX_HTTP_DVC_APPLY_MISSING;
    }

    return NGX_HTTP_DVC_APPLY_FAILED;
}


/* A core decision's plan (dvc_plan.h) into the script's call: values are
 * referenced, so the plan lives until ngx_http_dvc_apply_send() returns. */
ngx_int_t
ngx_http_dvc_apply_plan(ngx_http_dvc_apply_t *a, const dvc_plan_t *p)
{
    size_t                  i, j;
    const dvc_plan_xadd_t  *x;

    for (i = 0; i < p->nset; i++) {
        if (ngx_http_dvc_apply_set(a, p->set[i].name, p->set[i].value,
                                   p->set[i].len) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    for (i = 0; i < p->ndel; i++) {
        if (ngx_http_dvc_apply_del(a, p->del[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    for (i = 0; i < p->nincr; i++) {
        if (ngx_http_dvc_apply_incr(a, (u_char *) p->incr[i].key,
                                    p->incr[i].key_len, p->incr[i].field,
                                    p->incr[i].delta) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    for (i = 0; i < p->nxadd; i++) {
        x = &p->xadd[i];

        for (j = 0; j < x->nf; j++) {
            if (ngx_http_dvc_apply_xadd_to(a, (u_char *) x->stream,
                                           x->stream_len, x->f[j].name,
                                           x->f[j].value, x->f[j].len)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}
