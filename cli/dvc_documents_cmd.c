/*
 * dvc documents gc DIR: removes the uploads no Redis record keeps.
 *
 * The store (dvc_documents DIR) holds DIR/ab/abcdef... files; an upload's
 * record dvc:up:{sha256} expires after dvc_upload_ttl unless a dossier
 * listed it (then it has no TTL).  A file without a record is garbage: its
 * upload expired, or its record failed (Redis down after the rename).
 *
 * Safe against uploads in progress:
 * - a file modified less than --grace seconds ago (default 3600) is left
 *   alone: an upload renames its file in, then writes the record; an upload
 *   of a file already stored refreshes its time (utimes) before its record;
 * - a candidate is first renamed aside (DIR/ab/.gc-abcdef...), then its
 *   record and its time are looked at again: a record that appeared, or a
 *   time an upload refreshed meanwhile, puts it back; else it is deleted.
 *   An upload that comes after the rename finds no file and renames its
 *   own in.
 *
 * Names that are not a store file (other names, other places) are never
 * touched.  Exit status 0, 1 when something failed (listed on stderr).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "dvc_cli.h"
#include "dvc_upload.h"

#define GC_BATCH  256

typedef struct {
    redisContext  *redis;
    const char    *dir;
    long           grace;
    int            dry_run;
    unsigned long  seen, kept, young, removed, restored, failed;
} gc_t;


static void
gc_usage(void)
{
    fprintf(stderr,
            "usage: dvc documents gc DIR [--redis HOST:PORT|unix:PATH] "
            "[--db N] [--grace SECONDS] [--dry-run]\n"
            "  the password, if any, from DVC_REDIS_PASSWORD (and "
            "DVC_REDIS_USER)\n");
}


/* shared with dvc dossiers archive (dvc_cli.h) */
redisContext *
dvc_cli_redis_connect(const char *who, const char *addr, int db)
{
    char           host[256];
    const char    *colon, *user, *pass;
    redisContext  *c;
    redisReply    *r;
    struct timeval tv = { 5, 0 };

    if (strncmp(addr, "unix:", 5) == 0) {
        c = redisConnectUnixWithTimeout(addr + 5, tv);

    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL || (size_t) (colon - addr) >= sizeof(host)) {
            fprintf(stderr, "%s: --redis \"%s\": expected "
                    "HOST:PORT or unix:PATH\n", who, addr);
            return NULL;
        }
        memcpy(host, addr, (size_t) (colon - addr));
        host[colon - addr] = '\0';
        c = redisConnectWithTimeout(host, atoi(colon + 1), tv);
    }

    if (c == NULL || c->err) {
        fprintf(stderr, "%s: redis \"%s\": %s\n", who, addr,
                c ? c->errstr : "cannot connect");
        if (c) {
            redisFree(c);
        }
        return NULL;
    }

    user = getenv("DVC_REDIS_USER");
    pass = getenv("DVC_REDIS_PASSWORD");

    if (pass && *pass) {
        r = user && *user ? redisCommand(c, "AUTH %s %s", user, pass)
                          : redisCommand(c, "AUTH %s", pass);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "%s: AUTH failed: %s\n", who,
                    r ? r->str : c->errstr);
            freeReplyObject(r);
            redisFree(c);
            return NULL;
        }
        freeReplyObject(r);
    }

    if (db) {
        r = redisCommand(c, "SELECT %d", db);
        if (r == NULL || r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "%s: SELECT %d failed\n", who, db);
            freeReplyObject(r);
            redisFree(c);
            return NULL;
        }
        freeReplyObject(r);
    }

    return c;
}


/* 1: a record exists, 0: none, -1: Redis failed */
static int
gc_exists_batch(gc_t *gc, char (*shas)[DVC_SHA256_HEX_LEN + 1], size_t n,
    int *out)
{
    size_t       i;
    redisReply  *r;

    for (i = 0; i < n; i++) {
        if (redisAppendCommand(gc->redis, "EXISTS dvc:up:%s", shas[i])
            != REDIS_OK)
        {
            return -1;
        }
    }

    for (i = 0; i < n; i++) {
        if (redisGetReply(gc->redis, (void **) &r) != REDIS_OK || r == NULL) {
            return -1;
        }
        if (r->type != REDIS_REPLY_INTEGER) {
            freeReplyObject(r);
            return -1;
        }
        out[i] = r->integer > 0;
        freeReplyObject(r);
    }

    return 0;
}


static int
gc_exists(gc_t *gc, const char *sha)
{
    int   e;
    char  one[1][DVC_SHA256_HEX_LEN + 1];

    memcpy(one[0], sha, DVC_SHA256_HEX_LEN + 1);
    return gc_exists_batch(gc, one, 1, &e) == 0 ? e : -1;
}


/* the candidate has no record: aside, look again, delete or put back */
static void
gc_remove(gc_t *gc, const char *sub, const char *sha, time_t now)
{
    int          e;
    char         path[4096], aside[4096];
    struct stat  st;

    snprintf(path, sizeof(path), "%s/%.2s/%.64s", gc->dir, sub, sha);
    snprintf(aside, sizeof(aside), "%s/%.2s/.gc-%.64s", gc->dir, sub, sha);

    if (gc->dry_run) {
        printf("would remove %s/%s\n", sub, sha);
        gc->removed++;
        return;
    }

    if (rename(path, aside) != 0) {
        if (errno != ENOENT) {
            fprintf(stderr, "dvc documents gc: rename %s: %s\n", path,
                    strerror(errno));
            gc->failed++;
        }
        return;
    }

    e = gc_exists(gc, sha);

    if (e != 0 || stat(aside, &st) != 0 || now - st.st_mtime < gc->grace) {
        /* an upload came meanwhile (or Redis failed): back, unless the
         * upload renamed its own file in already */
        if (link(aside, path) != 0 && errno != EEXIST) {
            fprintf(stderr, "dvc documents gc: restore %s: %s\n", path,
                    strerror(errno));
            gc->failed++;
            return;
        }
        (void) unlink(aside);
        gc->restored++;
        if (e < 0) {
            gc->failed++;
        }
        return;
    }

    if (unlink(aside) != 0) {
        fprintf(stderr, "dvc documents gc: unlink %s: %s\n", aside,
                strerror(errno));
        gc->failed++;
        return;
    }

    gc->removed++;
}


static int
gc_subdir(gc_t *gc, const char *sub, time_t now)
{
    int             exists[GC_BATCH];
    DIR            *d;
    char            path[4096];
    char            shas[GC_BATCH][DVC_SHA256_HEX_LEN + 1];
    size_t          n, i, len;
    struct stat     st;
    struct dirent  *de;

    snprintf(path, sizeof(path), "%s/%s", gc->dir, sub);

    d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "dvc documents gc: %s: %s\n", path, strerror(errno));
        gc->failed++;
        return 0;
    }

    n = 0;

    for ( ;; ) {
        de = readdir(d);

        if (de != NULL) {
            len = strlen(de->d_name);

            /* only DIR/ab/ab...: 64 lowercase hex digits under their first
             * two */
            if (!dvc_sha256_hex_valid(de->d_name, len)
                || memcmp(de->d_name, sub, 2) != 0)
            {
                continue;
            }

            snprintf(path, sizeof(path), "%s/%s/%s", gc->dir, sub,
                     de->d_name);

            if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
                continue;
            }

            gc->seen++;

            if (now - st.st_mtime < gc->grace) {
                gc->young++;
                continue;
            }

            memcpy(shas[n++], de->d_name, DVC_SHA256_HEX_LEN + 1);

            if (n < GC_BATCH) {
                continue;
            }
        }

        if (n) {
            if (gc_exists_batch(gc, shas, n, exists) != 0) {
                fprintf(stderr, "dvc documents gc: redis: %s\n",
                        gc->redis->err ? gc->redis->errstr
                                       : "unexpected reply");
                closedir(d);
                return -1;
            }

            for (i = 0; i < n; i++) {
                if (exists[i]) {
                    gc->kept++;
                } else {
                    gc_remove(gc, sub, shas[i], now);
                }
            }

            n = 0;
        }

        if (de == NULL) {
            break;
        }
    }

    closedir(d);
    return 0;
}


static int
gc_run(int argc, char **argv)
{
    int             i, db = 0;
    DIR            *d;
    gc_t            gc;
    time_t          now;
    const char     *redis = "127.0.0.1:6379";
    struct dirent  *de;

    memset(&gc, 0, sizeof(gc));
    gc.grace = 3600;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--redis") == 0 && i + 1 < argc) {
            redis = argv[++i];
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--grace") == 0 && i + 1 < argc) {
            gc.grace = atol(argv[++i]);
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            gc.dry_run = 1;
        } else if (argv[i][0] == '-' || gc.dir) {
            gc_usage();
            return 2;
        } else {
            gc.dir = argv[i];
        }
    }

    if (gc.dir == NULL || gc.grace < 0) {
        gc_usage();
        return 2;
    }

    d = opendir(gc.dir);
    if (d == NULL) {
        fprintf(stderr, "dvc documents gc: %s: %s\n", gc.dir,
                strerror(errno));
        return 1;
    }

    gc.redis = dvc_cli_redis_connect("dvc documents gc", redis, db);
    if (gc.redis == NULL) {
        closedir(d);
        return 1;
    }

    now = time(NULL);

    while ((de = readdir(d)) != NULL) {
        /* DIR/ab: two lowercase hex digits */
        if (strlen(de->d_name) != 2
            || strchr("0123456789abcdef", de->d_name[0]) == NULL
            || strchr("0123456789abcdef", de->d_name[1]) == NULL)
        {
            continue;
        }

        if (gc_subdir(&gc, de->d_name, now) != 0) {
            closedir(d);
            redisFree(gc.redis);
            return 1;
        }
    }

    closedir(d);
    redisFree(gc.redis);

    printf("dvc documents gc: %lu file(s): %lu kept (recorded), %lu too "
           "recent, %lu %s, %lu put back, %lu failed\n", gc.seen, gc.kept,
           gc.young, gc.removed, gc.dry_run ? "to remove" : "removed",
           gc.restored, gc.failed);

    return gc.failed ? 1 : 0;
}


int
dvc_cmd_documents(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "gc") == 0) {
        return gc_run(argc - 1, argv + 1);
    }

    gc_usage();
    return 2;
}
