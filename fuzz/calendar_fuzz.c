/*
 * libFuzzer target: the working-calendar parser (calendar/vn-2025-2027.cal, docs/
 * calendar.md) on arbitrary text, then every question the gateway asks a
 * parsed calendar, over each day of its years.  A calendar is configuration,
 * but one mistyped file must be refused with a message, never crash nginx -t.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_calendar.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char             err[512];
    char            *text;
    dvc_calendar_t  *c;
    int              first, last, y, m, d, w;
    const char      *name;

    text = malloc(size ? size : 1);         /* no NUL: overreads show */
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    err[0] = '\0';
    c = dvc_calendar_parse(&dvc_alloc_std, text, size, err, sizeof(err));
    if (c == NULL) {
        if (err[0] == '\0') {
            fprintf(stderr, "calendar refused without a message\n");
            abort();
        }
        free(text);
        return 0;
    }
    dvc_calendar_years(c, &first, &last);
    if (dvc_calendar_day_minutes(c) < 0) {
        abort();
    }
    /* at most a few years, so a run stays fast; one day either side */
    for (y = first - 1; y <= last + 1 && y <= first + 3; y++) {
        for (m = 0; m <= 13; m++) {
            for (d = 0; d <= 32; d++) {
                w = dvc_calendar_is_working_day(c, y, m, d);
                if (w < -1 || w > 1) {
                    abort();
                }
                name = dvc_calendar_day_name(c, y, m, d);
                if (name != NULL && strlen(name) > 4096) {
                    abort();
                }
            }
        }
    }
    dvc_calendar_free(&dvc_alloc_std, c);
    free(text);
    return 0;
}
