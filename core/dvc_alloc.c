#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "dvc_alloc.h"

static void *
std_malloc(void *ud, size_t size)
{
    (void) ud;
    return malloc(size ? size : 1);
}

static void *
std_realloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    (void) ud;
    (void) old_size;
    return realloc(ptr, new_size ? new_size : 1);
}

static void
std_free(void *ud, void *ptr)
{
    (void) ud;
    free(ptr);
}

const dvc_alloc_t dvc_alloc_std = { std_malloc, std_realloc, std_free, NULL };

void *
dvc_malloc(const dvc_alloc_t *a, size_t size)
{
    return a->malloc(a->ud, size);
}

void *
dvc_calloc(const dvc_alloc_t *a, size_t n, size_t size)
{
    void *p;

    if (size && n > SIZE_MAX / size) {
        return NULL;
    }
    p = a->malloc(a->ud, n * size);
    if (p) {
        memset(p, 0, n * size);
    }
    return p;
}

void *
dvc_realloc(const dvc_alloc_t *a, void *p, size_t old_size, size_t new_size)
{
    void *n;

    if (a->realloc) {
        return a->realloc(a->ud, p, old_size, new_size);
    }
    /* allocators without realloc (nginx pools): copy */
    n = a->malloc(a->ud, new_size);
    if (n && p) {
        memcpy(n, p, old_size < new_size ? old_size : new_size);
        if (a->free) {
            a->free(a->ud, p);
        }
    }
    return n;
}

void
dvc_free(const dvc_alloc_t *a, void *p)
{
    if (p && a->free) {
        a->free(a->ud, p);
    }
}

char *
dvc_strndup(const dvc_alloc_t *a, const char *s, size_t len)
{
    char *d = a->malloc(a->ud, len + 1);

    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}
