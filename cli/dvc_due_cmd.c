/*
 * dvc due: the due time a calendar file gives a dossier, so a sysadmin can
 * check the file before nginx loads it.
 *   dvc due --calendar FILE --accepted TIME (--days N | --hours N) [--cutoff HH:MM]
 *   dvc due --calendar FILE --list YEAR
 * Exit: 0 answered, 1 the calendar cannot answer (beyond its years), 2 a wrong
 * call or an unusable file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_calendar.h"
#include "dvc_cli.h"

static const char *const wday_en[] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"
};

static int
usage(void)
{
    fprintf(stderr,
        "usage: dvc due --calendar FILE --accepted TIME (--days N | --hours N)"
        " [--cutoff HH:MM]\n"
        "       dvc due --calendar FILE --list YEAR\n"
        "TIME is ISO 8601 with an offset, e.g. 2026-11-20T16:59:00+07:00;\n"
        "N may be a half day (2.5) or a fraction of an hour that makes whole"
        " minutes.\n");
    return 2;
}

static char *
read_file(const char *path, size_t *len)
{
    FILE   *f;
    char   *text = NULL, *p;
    size_t  cap = 0, n = 0, got;

    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "dvc due: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16384;
            p = realloc(text, cap);
            if (p == NULL) {
                fprintf(stderr, "dvc due: out of memory\n");
                free(text);
                fclose(f);
                return NULL;
            }
            text = p;
        }
        got = fread(text + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "dvc due: %s: read error\n", path);
        free(text);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return text;
}

static const char *
weekday_of(int64_t t)
{
    int y, m, d;

    dvc_time_vn_date(t, &y, &m, &d);
    return wday_en[dvc_weekday(dvc_days_from_civil(y, m, d))];
}

/* every day of a year that is not what its weekday says, and every named day */
static int
list_year(const dvc_calendar_t *c, const char *arg)
{
    int         first, last, year, m, d, w, working, nworking = 0;
    int64_t     day;
    const char *name;
    char       *end;

    dvc_calendar_years(c, &first, &last);
    year = (int) strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || year < first || year > last) {
        fprintf(stderr, "dvc due: the calendar covers %d-%d, not \"%s\"\n",
                first, last, arg);
        return 1;
    }
    for (day = dvc_days_from_civil(year, 1, 1);
         day < dvc_days_from_civil(year + 1, 1, 1); day++)
    {
        int y;

        dvc_civil_from_days(day, &y, &m, &d);
        w = dvc_weekday(day);
        working = dvc_calendar_is_working_day(c, y, m, d);
        nworking += working;
        name = dvc_calendar_day_name(c, y, m, d);
        if (name != NULL) {
            printf("%04d-%02d-%02d %-9s %-11s %s\n", y, m, d, wday_en[w],
                   working ? "working" : "not working", name);
        }
    }
    printf("%d: %d working days, %d office minutes a day\n", year, nworking,
           dvc_calendar_day_minutes(c));
    return 0;
}

int
dvc_cmd_due(int argc, char **argv)
{
    const char     *file = NULL, *accepted = NULL, *ndays = NULL, *nhours = NULL;
    const char     *cutoff_s = NULL, *list = NULL;
    char            err[512], out[DVC_TIME_VN_LEN + 1];
    char           *text;
    size_t          len;
    int             i, cutoff = -1, rc, first, last;
    int64_t         acc, start, due, minutes;
    dvc_calendar_t *c;

    for (i = 1; i < argc; i++) {
        const char **slot = NULL;

        if (strcmp(argv[i], "--calendar") == 0) {
            slot = &file;
        } else if (strcmp(argv[i], "--accepted") == 0) {
            slot = &accepted;
        } else if (strcmp(argv[i], "--days") == 0) {
            slot = &ndays;
        } else if (strcmp(argv[i], "--hours") == 0) {
            slot = &nhours;
        } else if (strcmp(argv[i], "--cutoff") == 0) {
            slot = &cutoff_s;
        } else if (strcmp(argv[i], "--list") == 0) {
            slot = &list;
        } else {
            fprintf(stderr, "dvc due: unknown option \"%s\"\n", argv[i]);
            return usage();
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "dvc due: %s needs a value\n", argv[i]);
            return usage();
        }
        *slot = argv[++i];
    }
    if (file == NULL || (list == NULL && (accepted == NULL
                                          || (ndays == NULL) == (nhours == NULL))))
    {
        return usage();
    }
    if (accepted && dvc_time_parse_vn(accepted, strlen(accepted), &acc) != 0) {
        fprintf(stderr, "dvc due: --accepted \"%s\" is not a time like "
                "2026-11-20T16:59:00+07:00\n", accepted);
        return 2;
    }
    if (cutoff_s && (cutoff = dvc_time_parse_hhmm(cutoff_s, strlen(cutoff_s))) < 0) {
        fprintf(stderr, "dvc due: --cutoff \"%s\" is not HH:MM\n", cutoff_s);
        return 2;
    }

    text = read_file(file, &len);
    if (text == NULL) {
        return 2;
    }
    c = dvc_calendar_parse(&dvc_alloc_std, text, len, err, sizeof(err));
    free(text);
    if (c == NULL) {
        /* "calendar:12: ..." becomes "FILE:12: ..." like a compiler's */
        fprintf(stderr, "%s%s\n", file, strncmp(err, "calendar", 8) == 0
                ? err + 8 : err);
        return 2;
    }
    if (list) {
        rc = list_year(c, list);
        dvc_calendar_free(&dvc_alloc_std, c);
        return rc;
    }

    rc = 0;
    if (dvc_calendar_processing_minutes(c, ndays ? ndays : nhours,
                                        strlen(ndays ? ndays : nhours),
                                        ndays != NULL, &minutes) != 0)
    {
        fprintf(stderr, "dvc due: %s \"%s\" is not a processing time (%s)\n",
                ndays ? "--days" : "--hours", ndays ? ndays : nhours,
                ndays ? "whole or half days, at most 1000"
                      : "hours that make whole minutes");
        rc = 2;
        goto done;
    }
    dvc_calendar_years(c, &first, &last);
    dvc_time_format_vn(acc, out);
    printf("accepted:   %s (%s)\n", out, weekday_of(acc));
    if (dvc_calendar_start(c, acc, cutoff, &start) != 0
        || dvc_calendar_due(c, acc, minutes, cutoff, &due) != 0)
    {
        printf("due:        unknown: the count runs outside the calendar's years"
               " %d-%d; add the next year to %s\n", first, last, file);
        rc = 1;
        goto done;
    }
    dvc_time_format_vn(start, out);
    printf("counting:   from %s (%s)\n", out, weekday_of(start));
    printf("processing: %s %s = %lld office minutes (a day is %d)\n",
           ndays ? ndays : nhours,
           ndays ? (strcmp(ndays, "1") == 0 ? "working day" : "working days")
                 : (strcmp(nhours, "1") == 0 ? "office hour" : "office hours"),
           (long long) minutes, dvc_calendar_day_minutes(c));
    dvc_time_format_vn(due, out);
    printf("due:        %s (%s)\n", out, weekday_of(due));

done:
    dvc_calendar_free(&dvc_alloc_std, c);
    return rc;
}
