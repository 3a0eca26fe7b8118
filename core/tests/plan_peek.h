/*
 * What a decision's plan holds, for the unit tests of the decisions
 * (submit, citizen actions, events): a field it sets, a field it deletes,
 * a field of an entry it appends to a stream.  One copy, so the tests of
 * every decision read the plan the same way.
 */
#ifndef DVC_TESTS_PLAN_PEEK_H
#define DVC_TESTS_PLAN_PEEK_H

#include <string.h>

#include "dvc_plan.h"

/* the value the plan sets for field NAME of the dossier, or NULL */
static inline const char *
set_of(const dvc_plan_t *p, const char *name)
{
    size_t  i;

    for (i = 0; i < p->nset; i++) {
        if (strcmp(p->set[i].name, name) == 0) {
            return p->set[i].value;
        }
    }

    return NULL;
}

/* whether the plan deletes field NAME of the dossier */
static inline int
del_of(const dvc_plan_t *p, const char *name)
{
    size_t  i;

    for (i = 0; i < p->ndel; i++) {
        if (strcmp(p->del[i], name) == 0) {
            return 1;
        }
    }

    return 0;
}

/* field NAME of the entry the plan appends to STREAM, or NULL */
static inline const char *
xadd_of(const dvc_plan_t *p, const char *stream, const char *name)
{
    size_t  i, j;

    for (i = 0; i < p->nxadd; i++) {
        if (strcmp(p->xadd[i].stream, stream) != 0) {
            continue;
        }
        for (j = 0; j < p->xadd[i].nf; j++) {
            if (strcmp(p->xadd[i].f[j].name, name) == 0) {
                return p->xadd[i].f[j].value;
            }
        }
    }

    return NULL;
}

#endif /* DVC_TESTS_PLAN_PEEK_H */
