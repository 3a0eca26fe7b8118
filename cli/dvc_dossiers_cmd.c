/*
 * dvc dossiers archive --retention 2y: moves the dossiers finished for longer
 * than the retention out of Redis, into the archive stream the back-end
 * consumes (issue 18; docs/operations.md "Retention", docs/redis.md).
 *
 * Candidates come from dvc:idx:submitted (submitted before now - retention:
 * a younger dossier cannot have closed long enough), oldest first, in
 * batches; each one's status, updated_at (its last change) and ver are read
 * with HMGET, and core decides (dvc_retention_due: refused, stopped or
 * returned, unchanged for the retention).  Each chosen dossier then goes in
 * one Lua script call, atomic in Redis: it checks that ver and status are
 * still what was read (a change meanwhile keeps the dossier: the next run
 * judges it again), XADDs every field of the hash to the archive stream,
 * then DELetes the hash and ZREMs its index member.  An interrupted sweep
 * (killed, Redis gone) therefore leaves every dossier either in Redis or in
 * the archive, never both nor neither; the next run goes on.  The
 * statistics' counters (dvc:st:*) are not touched: the report keeps them.
 *
 * The gateway's lookup answers 410 for a code too old to be in Redis
 * (dvc_retention, same value).  Exit 0, 1 when Redis failed, 2 wrong call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "dvc_cli.h"
#include "dvc_code.h"
#include "dvc_retention.h"
#include "dvc_time.h"

#define ARCHIVE_BATCH  200

static const char archive_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "local ver = redis.call('HGET', KEYS[1], 'ver') or '0'\n"
    "if ver ~= ARGV[2] or redis.call('HGET', KEYS[1], 'status') ~= ARGV[3]"
    " then return -1 end\n"
    "local h = redis.call('HGETALL', KEYS[1])\n"
    "local e = {'XADD', KEYS[2], '*', 'code', ARGV[1], 'archived_at', ARGV[4],"
    " 'retention', ARGV[5]}\n"
    "for i = 1, #h, 2 do\n"
    "  if h[i] ~= 'code' then e[#e + 1] = h[i]; e[#e + 1] = h[i + 1] end\n"
    "end\n"
    "redis.call(unpack(e))\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('ZREM', KEYS[3], ARGV[1])\n"
    "return 1\n";

typedef struct {
    redisContext  *redis;
    const char    *stream;
    int64_t        retention, now;
    int            dry_run;
    unsigned long  seen, archived, kept, changed, gone;
} archive_t;


static void
archive_usage(void)
{
    fprintf(stderr,
            "usage: dvc dossiers archive --retention TIME [--redis HOST:PORT|"
            "unix:PATH] [--db N]\n"
            "           [--stream KEY] [--dry-run]\n"
            "  TIME as dvc_retention (2y, 730d...); the stream defaults to "
            "dvc:archive;\n"
            "  the password, if any, from DVC_REDIS_PASSWORD (and "
            "DVC_REDIS_USER)\n");
}


static int
archive_fail(archive_t *a, redisReply *r)
{
    fprintf(stderr, "dvc dossiers archive: redis: %s\n",
            r && r->type == REDIS_REPLY_ERROR ? r->str
            : a->redis->err ? a->redis->errstr : "unexpected reply");
    freeReplyObject(r);
    return -1;
}


/* one batch of codes: judge each, archive the due ones; *kept: how many of
 * the batch stay in the index */
static int
archive_batch(archive_t *a, redisReply *codes, size_t *kept)
{
    size_t       i, n;
    int          status[ARCHIVE_BATCH], due[ARCHIVE_BATCH];
    char         ver[ARCHIVE_BATCH][24], at[DVC_TIME_VN_LEN + 1];
    char         ret[24];
    int64_t      changed;
    redisReply  *r, *f;

    n = codes->elements;
    *kept = 0;

    for (i = 0; i < n; i++) {
        redisAppendCommand(a->redis, "HMGET dvc:d:%b status updated_at ver",
                           codes->element[i]->str,
                           codes->element[i]->len);
    }

    for (i = 0; i < n; i++) {
        if (redisGetReply(a->redis, (void **) &r) != REDIS_OK || r == NULL
            || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        {
            return archive_fail(a, r);
        }

        f = r->element[0];
        status[i] = f->type == REDIS_REPLY_STRING ? atoi(f->str) : 0;
        f = r->element[1];
        changed = 0;
        if (f->type != REDIS_REPLY_STRING
            || dvc_time_parse_vn(f->str, f->len, &changed) != 0)
        {
            changed = 0;
        }
        f = r->element[2];
        snprintf(ver[i], sizeof(ver[i]), "%s",
                 f->type == REDIS_REPLY_STRING ? f->str : "0");

        due[i] = dvc_retention_due(status[i], changed, a->now, a->retention);
        freeReplyObject(r);
    }

    dvc_time_format_vn(a->now, at);
    snprintf(ret, sizeof(ret), "%lld", (long long) a->retention);

    for (i = 0; i < n; i++) {
        a->seen++;

        if (!due[i]) {
            a->kept++;
            (*kept)++;
            continue;
        }

        if (a->dry_run) {
            printf("would archive %s (status %d)\n", codes->element[i]->str,
                   status[i]);
            a->archived++;
            (*kept)++;
            continue;
        }

        r = redisCommand(a->redis, "EVAL %s 3 dvc:d:%b %s dvc:idx:submitted "
                         "%b %s %d %s %s", archive_lua,
                         codes->element[i]->str, codes->element[i]->len,
                         a->stream, codes->element[i]->str,
                         codes->element[i]->len, ver[i], status[i], at, ret);

        if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
            return archive_fail(a, r);
        }

        if (r->integer == 1) {
            a->archived++;
            printf("archived %s (status %d)\n", codes->element[i]->str,
                   status[i]);

        } else if (r->integer == 0) {
            a->gone++;               /* no hash: an index member alone */
            (*kept)++;

        } else {
            a->changed++;            /* moved since it was read */
            (*kept)++;
        }

        freeReplyObject(r);
    }

    fflush(stdout);
    return 0;
}


static int
archive_run(archive_t *a)
{
    size_t       offset, kept;
    char         max[24], off[24];
    redisReply  *r;
    int          rc;

    offset = 0;

    for ( ;; ) {
        /* submitted at least `retention` ago; archived members leave the
         * index, so the window moves on by what stays */
        /* hiredis's format knows no %zu */
        snprintf(max, sizeof(max), "%lld", (long long) (a->now - a->retention));
        snprintf(off, sizeof(off), "%zu", offset);
        r = redisCommand(a->redis, "ZRANGEBYSCORE dvc:idx:submitted -inf %s "
                         "LIMIT %s %d", max, off, ARCHIVE_BATCH);
        if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
            return archive_fail(a, r);
        }

        if (r->elements == 0) {
            freeReplyObject(r);
            return 0;
        }

        rc = archive_batch(a, r, &kept);
        freeReplyObject(r);
        if (rc != 0) {
            return rc;
        }

        offset += kept;
    }
}


int
dvc_cmd_dossiers(int argc, char **argv)
{
    int          i, db, rc;
    const char  *redis = "127.0.0.1:6379", *retention = NULL;
    archive_t    a;

    memset(&a, 0, sizeof(a));
    a.stream = "dvc:archive";
    db = 0;

    if (argc < 2 || strcmp(argv[1], "archive") != 0) {
        archive_usage();
        return 2;
    }

    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--redis") == 0 && i + 1 < argc) {
            redis = argv[++i];
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--retention") == 0 && i + 1 < argc) {
            retention = argv[++i];
        } else if (strcmp(argv[i], "--stream") == 0 && i + 1 < argc) {
            a.stream = argv[++i];
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            a.dry_run = 1;
        } else {
            archive_usage();
            return 2;
        }
    }

    if (retention == NULL
        || dvc_retention_parse(retention, strlen(retention), &a.retention)
           != 0)
    {
        fprintf(stderr, "dvc dossiers archive: --retention \"%s\": expected "
                "a time such as 2y or 730d\n", retention ? retention : "");
        return 2;
    }

    a.now = (int64_t) time(NULL);
    a.redis = dvc_cli_redis_connect("dvc dossiers archive", redis, db);
    if (a.redis == NULL) {
        return 1;
    }

    rc = archive_run(&a);

    fprintf(stderr, "dvc dossiers archive: %lu old enough to look at, %lu %s"
            " to %s, %lu kept (open, or changed within the retention), "
            "%lu changed meanwhile, %lu without a dossier\n", a.seen,
            a.archived, a.dry_run ? "would go" : "archived", a.stream,
            a.kept, a.changed, a.gone);

    redisFree(a.redis);
    return rc == 0 ? 0 : 1;
}
