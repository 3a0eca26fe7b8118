/*
 * Vietnam civil time without the C library's time zone machinery: Vietnam
 * (Asia/Ho_Chi_Minh) is UTC+07:00 all year, no daylight saving since 1975, so
 * an instant's civil date and time are a fixed offset and the proleptic
 * Gregorian arithmetic below (days from civil and back).
 */
#ifndef DVC_TIME_H
#define DVC_TIME_H

#include <stddef.h>
#include <stdint.h>

#define DVC_VN_UTC_OFFSET  (7 * 3600)
#define DVC_TIME_VN_LEN    25               /* 2026-11-21T09:15:00+07:00 */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t dvc_days_from_civil(int y, int m, int d);
void    dvc_civil_from_days(int64_t days, int *y, int *m, int *d);
/* 0 = Sunday ... 6 = Saturday, for a day count from dvc_days_from_civil. */
int     dvc_weekday(int64_t days);
/* 1 if y-m-d is a real date (years 1..9999). */
int     dvc_date_valid(int y, int m, int d);

/* An instant in Vietnam civil time, ISO 8601 with its offset; out gets
 * DVC_TIME_VN_LEN + 1 bytes: "2026-11-21T09:15:00+07:00". */
void dvc_time_format_vn(int64_t unix_time, char out[DVC_TIME_VN_LEN + 1]);
/* Parses "YYYY-MM-DDTHH:MM:SS", an optional fraction (dropped) and a
 * mandatory offset: "Z", "+07:00" or any other +hh:mm / -hh:mm.  Returns 0,
 * or -1 when malformed, not a real date or time, or without an offset. */
int  dvc_time_parse_vn(const char *s, size_t len, int64_t *unix_time);
/* The Vietnam civil date of an instant. */
void dvc_time_vn_date(int64_t unix_time, int *y, int *m, int *d);
/* "HH:MM" (00:00-23:59) as minutes after midnight, or -1. */
int  dvc_time_parse_hhmm(const char *s, size_t len);

#endif
