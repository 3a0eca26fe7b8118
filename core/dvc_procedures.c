/*
 * The set of procedures a gateway serves: every DIR/ *.json schema, plus the
 * shared definitions in DIR/common/, loaded once at configuration time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "dvc_err.h"
#include "dvc_procedure.h"

typedef struct {
    char   **names;
    size_t   n;
    size_t   cap;
} name_list_t;


static char *
join_path(const dvc_alloc_t *a, const char *dir, const char *name)
{
    size_t  dl = strlen(dir), nl = strlen(name);
    char   *p;

    while (dl > 1 && dir[dl - 1] == '/') {
        dl--;
    }
    p = dvc_malloc(a, dl + 1 + nl + 1);
    if (p) {
        memcpy(p, dir, dl);
        p[dl] = '/';
        memcpy(p + dl + 1, name, nl + 1);
    }
    return p;
}

static void
names_free(const dvc_alloc_t *a, name_list_t *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        dvc_free(a, l->names[i]);
    }
    dvc_free(a, l->names);
}

static int
cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *) x, *(char *const *) y);
}

/* The names of the regular files DIR/ *.json (symbolic links followed, hidden
 * files skipped), sorted.  0, 1 when DIR does not exist and missing_ok, or -1
 * with err set. */
static int
list_json(const dvc_alloc_t *a, const char *dir, int missing_ok,
    name_list_t *l, char *err, size_t errlen)
{
    DIR            *d;
    struct dirent  *e;
    struct stat     st;
    size_t          nl, cap;
    char           *path, **names;
    int             rc;

    memset(l, 0, sizeof(*l));
    d = opendir(dir);
    if (d == NULL) {
        if (missing_ok && errno == ENOENT) {
            return 1;
        }
        dvc_errf(err, errlen, "%s: cannot open the schema directory: %s", dir,
             strerror(errno));
        return -1;
    }
    for (;;) {
        errno = 0;
        e = readdir(d);
        if (e == NULL) {
            break;
        }
        nl = strlen(e->d_name);
        if (e->d_name[0] == '.' || nl <= 5
            || strcmp(e->d_name + nl - 5, ".json") != 0)
        {
            continue;
        }
        path = join_path(a, dir, e->d_name);
        if (path == NULL) {
            goto oom;
        }
        rc = stat(path, &st);
        dvc_free(a, path);
        if (rc != 0 || !S_ISREG(st.st_mode)) {
            /* a dangling link or a directory named *.json: say so, a file
             * the sysadmin meant to load must not vanish silently */
            dvc_errf(err, errlen, "%s/%s: not a readable regular file%s%s", dir,
                 e->d_name, rc ? ": " : "", rc ? strerror(errno) : "");
            goto failed;
        }
        if (l->n == l->cap) {
            cap = l->cap ? l->cap * 2 : 16;
            names = dvc_realloc(a, l->names, l->cap * sizeof(char *),
                                cap * sizeof(char *));
            if (names == NULL) {
                goto oom;
            }
            l->names = names;
            l->cap = cap;
        }
        l->names[l->n] = dvc_strndup(a, e->d_name, nl);
        if (l->names[l->n] == NULL) {
            goto oom;
        }
        l->n++;
    }
    if (errno != 0) {
        dvc_errf(err, errlen, "%s: cannot read the directory: %s", dir,
             strerror(errno));
        goto failed;
    }
    closedir(d);
    if (l->n > 1) {
        qsort(l->names, l->n, sizeof(char *), cmp_str);
    }
    return 0;

oom:
    dvc_errf(err, errlen, "%s: out of memory", dir);
failed:
    closedir(d);
    names_free(a, l);
    memset(l, 0, sizeof(*l));
    return -1;
}

/* Reads a whole file (at most DVC_PROCEDURE_MAX_FILE bytes). */
static char *
read_file(const dvc_alloc_t *a, const char *path, size_t *len, char *err,
    size_t errlen)
{
    int          fd;
    struct stat  st;
    char        *buf;
    size_t       got = 0;
    ssize_t      n;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        dvc_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        dvc_errf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (st.st_size > DVC_PROCEDURE_MAX_FILE) {
        dvc_errf(err, errlen, "%s: larger than %d bytes", path,
             DVC_PROCEDURE_MAX_FILE);
        close(fd);
        return NULL;
    }
    buf = dvc_malloc(a, (size_t) st.st_size + 1);
    if (buf == NULL) {
        dvc_errf(err, errlen, "%s: out of memory", path);
        close(fd);
        return NULL;
    }
    while (got < (size_t) st.st_size) {
        n = read(fd, buf + got, (size_t) st.st_size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            dvc_errf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            dvc_free(a, buf);
            close(fd);
            return NULL;
        }
        if (n == 0) {
            break;   /* truncated under us: parse what is there */
        }
        got += (size_t) n;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}

static int
cmp_procedure(const void *x, const void *y)
{
    const dvc_procedure_t *a = *(dvc_procedure_t *const *) x;
    const dvc_procedure_t *b = *(dvc_procedure_t *const *) y;

    return strcmp(a->code, b->code);
}

/* A shared definition: any strict JSON object with a string "$id" (it is
 * compiled with the procedures that reference it). */
static int
load_common(const dvc_alloc_t *a, dvc_schema_file_t *f, char *path,
    char *err, size_t errlen)
{
    yajl_val  root, id;
    char      ebuf[256];
    size_t    i;

    f->file_name = path;
    f->raw = read_file(a, path, &f->raw_len, err, errlen);
    if (f->raw == NULL) {
        return -1;
    }
    if (dvc_procedure_check_json(f->raw, f->raw_len, path, err, errlen) != 0) {
        return -1;
    }
    root = yajl_tree_parse(f->raw, ebuf, sizeof(ebuf));
    if (root == NULL) {
        for (i = 0; ebuf[i]; i++) {
            if (ebuf[i] == '\n') {
                ebuf[i] = ' ';
            }
        }
        dvc_errf(err, errlen, "%s: invalid JSON: %s", path, ebuf);
        return -1;
    }
    id = YAJL_IS_OBJECT(root) ? NULL : root;
    if (YAJL_IS_OBJECT(root)) {
        for (i = 0; i < root->u.object.len; i++) {
            if (strcmp(root->u.object.keys[i], "$id") == 0) {
                id = root->u.object.values[i];
            }
        }
    }
    if (!YAJL_IS_OBJECT(root) || !YAJL_IS_STRING(id)) {
        dvc_errf(err, errlen, "%s: a shared definition must be a JSON object with "
             "a string \"$id\"", path);
        yajl_tree_free(root);
        return -1;
    }
    f->id = dvc_strndup(a, id->u.string, strlen(id->u.string));
    yajl_tree_free(root);
    if (f->id == NULL) {
        dvc_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

dvc_procedures_t *
dvc_procedures_load_dir(const dvc_alloc_t *a, const char *dir, char *err,
    size_t errlen)
{
    dvc_procedures_t  *set;
    name_list_t        files, common;
    dvc_procedure_t   *p;
    char              *path, *text, *common_dir = NULL;
    size_t             i, len;
    int                rc;

    if (errlen) {
        err[0] = '\0';
    }
    memset(&common, 0, sizeof(common));
    if (list_json(a, dir, 0, &files, err, errlen) != 0) {
        return NULL;
    }
    set = dvc_calloc(a, 1, sizeof(*set));
    if (set == NULL || (files.n
        && (set->items = dvc_calloc(a, files.n, sizeof(*set->items))) == NULL))
    {
        dvc_errf(err, errlen, "%s: out of memory", dir);
        goto failed;
    }
    set->alloc = a;
    if (files.n == 0) {
        dvc_errf(err, errlen, "%s: no procedure schemas (*.json) in the directory",
             dir);
        goto failed;
    }

    for (i = 0; i < files.n; i++) {
        path = join_path(a, dir, files.names[i]);
        if (path == NULL) {
            dvc_errf(err, errlen, "%s: out of memory", dir);
            goto failed;
        }
        text = read_file(a, path, &len, err, errlen);
        if (text == NULL) {
            dvc_free(a, path);
            goto failed;
        }
        p = dvc_procedure_parse(a, text, len, path, err, errlen);
        dvc_free(a, text);
        dvc_free(a, path);
        if (p == NULL) {
            goto failed;
        }
        set->items[set->n++] = p;
    }
    qsort(set->items, set->n, sizeof(*set->items), cmp_procedure);
    for (i = 1; i < set->n; i++) {
        if (strcmp(set->items[i - 1]->code, set->items[i]->code) == 0) {
            /* report against the file read later, naming the earlier one */
            dvc_errf(err, errlen, "%s: x-dvc.code \"%s\" is already the code of %s",
                 strcmp(set->items[i]->file_name, set->items[i - 1]->file_name) > 0
                 ? set->items[i]->file_name : set->items[i - 1]->file_name,
                 set->items[i]->code,
                 strcmp(set->items[i]->file_name, set->items[i - 1]->file_name) > 0
                 ? set->items[i - 1]->file_name : set->items[i]->file_name);
            goto failed;
        }
    }

    common_dir = join_path(a, dir, "common");
    if (common_dir == NULL) {
        dvc_errf(err, errlen, "%s: out of memory", dir);
        goto failed;
    }
    rc = list_json(a, common_dir, 1, &common, err, errlen);
    if (rc < 0) {
        goto failed;
    }
    if (rc == 0 && common.n) {
        set->common = dvc_calloc(a, common.n, sizeof(*set->common));
        if (set->common == NULL) {
            dvc_errf(err, errlen, "%s: out of memory", common_dir);
            goto failed;
        }
        for (i = 0; i < common.n; i++) {
            path = join_path(a, common_dir, common.names[i]);
            if (path == NULL) {
                dvc_errf(err, errlen, "%s: out of memory", common_dir);
                goto failed;
            }
            set->ncommon++;   /* owns path from here, even on failure */
            if (load_common(a, &set->common[i], path, err, errlen) != 0) {
                goto failed;
            }
            for (len = 0; len < i; len++) {
                if (strcmp(set->common[len].id, set->common[i].id) == 0) {
                    dvc_errf(err, errlen, "%s: $id \"%s\" is already the $id of %s",
                         path, set->common[i].id, set->common[len].file_name);
                    goto failed;
                }
            }
        }
    }
    names_free(a, &files);
    names_free(a, &common);
    dvc_free(a, common_dir);
    return set;

failed:
    names_free(a, &files);
    names_free(a, &common);
    dvc_free(a, common_dir);
    dvc_procedures_free(set);
    return NULL;
}

void
dvc_procedures_free(dvc_procedures_t *set)
{
    size_t i;

    if (set == NULL) {
        return;
    }
    for (i = 0; i < set->n; i++) {
        dvc_procedure_free(set->items[i]);
    }
    for (i = 0; i < set->ncommon; i++) {
        dvc_free(set->alloc, set->common[i].file_name);
        dvc_free(set->alloc, set->common[i].id);
        dvc_free(set->alloc, set->common[i].raw);
    }
    dvc_free(set->alloc, set->items);
    dvc_free(set->alloc, set->common);
    dvc_free(set->alloc, set);
}

const dvc_procedure_t *
dvc_procedures_find(const dvc_procedures_t *set, const char *code, size_t len)
{
    size_t  lo = 0, hi = set->n, mid;
    int     c;
    const dvc_procedure_t *p;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        p = set->items[mid];
        c = memcmp(p->code, code, p->code_len < len ? p->code_len : len);
        if (c == 0) {
            c = p->code_len < len ? -1 : p->code_len > len ? 1 : 0;
        }
        if (c == 0) {
            return p;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

int
dvc_procedures_listing_json(const dvc_procedures_t *set, dvc_buf_t *out)
{
    size_t i;

    dvc_buf_puts(out, "{\"procedures\":[");
    for (i = 0; i < set->n; i++) {
        if (i) {
            dvc_buf_putc(out, ',');
        }
        dvc_procedure_summary_json(set->items[i], out);
    }
    dvc_buf_puts(out, "]}");
    return out->failed ? -1 : 0;
}
