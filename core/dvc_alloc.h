/*
 * Caller-provided allocation for core/.  nginx hands in its pool (free is a
 * no-op there); the CLI and tests use dvc_alloc_std.  core/ never calls malloc
 * directly, so ownership always follows the allocator that made a thing.
 */
#ifndef DVC_ALLOC_H
#define DVC_ALLOC_H

#include <stddef.h>

typedef struct dvc_alloc {
    void *(*malloc)(void *ud, size_t size);
    void *(*realloc)(void *ud, void *ptr, size_t old_size, size_t new_size);
    void  (*free)(void *ud, void *ptr);
    void  *ud;
} dvc_alloc_t;

/* The C library's allocator; a const object, so still no global state. */
extern const dvc_alloc_t dvc_alloc_std;

void *dvc_malloc(const dvc_alloc_t *a, size_t size);
void *dvc_calloc(const dvc_alloc_t *a, size_t n, size_t size);
void *dvc_realloc(const dvc_alloc_t *a, void *p, size_t old_size, size_t new_size);
void  dvc_free(const dvc_alloc_t *a, void *p);
char *dvc_strndup(const dvc_alloc_t *a, const char *s, size_t len);

#endif
