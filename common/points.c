/*  points: scores as whole hundredths. */
#include "points.h"

#include <stdio.h>
#include <string.h>

int kp_points_parse(const char *text, int64_t *centi)
{
    if (!text || !*text) return -1;
    int64_t whole = 0;
    int digits = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 9) return -1;
        whole = whole * 10 + (*p - '0');
    }
    if (digits == 0) return -1;
    int64_t frac = 0;
    if (*p == '.' || *p == ',') {
        p++;
        int fd = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (++fd > 2) return -1;
            frac = frac * 10 + (*p - '0');
        }
        if (fd == 0) return -1;
        if (fd == 1) frac *= 10;
    }
    if (*p) return -1;
    *centi = whole * 100 + frac;
    return 0;
}

char *kp_points_format(int64_t centi, char *out)
{
    const char *sign = centi < 0 ? "-" : "";
    int64_t v = centi < 0 ? -centi : centi;
    if (v % 100 == 0)
        snprintf(out, 24, "%s%lld", sign, (long long)(v / 100));
    else if (v % 10 == 0)
        snprintf(out, 24, "%s%lld.%lld", sign, (long long)(v / 100), (long long)(v % 100 / 10));
    else
        snprintf(out, 24, "%s%lld.%02lld", sign, (long long)(v / 100), (long long)(v % 100));
    return out;
}

int64_t kp_points_round(int64_t centi)
{
    return (centi + 50) / 100;
}

int64_t kp_points_percent(int64_t part_centi, int64_t whole_centi)
{
    /* 100 * part / whole, half up, in integers: (200 * part + whole) / (2 * whole) */
    return (200 * part_centi + whole_centi) / (2 * whole_centi);
}
