/*  util: small helpers shared by server, client and tests. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t kp_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void kp_format_utc_us(int64_t us, char out[32])
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[96]; /* the compiler cannot know that the year has 4 digits */
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
    kp_strlcpy(out, buf, 32);
}

/* Reads exactly n digits at *p into *out, advancing *p; -1 if not digits. */
static int s_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int kp_parse_utc(const char *text, int64_t *us)
{
    const char *p = text;
    int y, mo, d, h = 0, mi = 0, s = 0, frac = 0;
    if (s_digits(&p, 4, &y) || *p++ != '-' || s_digits(&p, 2, &mo) || *p++ != '-' ||
        s_digits(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (s_digits(&p, 2, &h) || *p++ != ':' || s_digits(&p, 2, &mi)) return -1;
        if (*p == ':') {
            p++;
            if (s_digits(&p, 2, &s)) return -1;
            if (*p == '.') {
                p++;
                int n = 0;
                while (isdigit((unsigned char)*p) && n < 6) {
                    frac = frac * 10 + (*p++ - '0');
                    n++;
                }
                if (n == 0 || isdigit((unsigned char)*p)) return -1;
                for (; n < 6; n++)
                    frac *= 10;
            }
        }
        if (*p == 'Z') p++;
    }
    if (*p) return -1;
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    *us = (int64_t)timegm(&tm) * 1000000 + frac;
    return 0;
}

int64_t kp_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kp_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int kp_mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST) return -1;
    return 0;
}

char *kp_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) goto err;
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) goto err;
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (n > max) {
            errno = EFBIG;
            goto err;
        }
        if (r == 0) break;
    }
    if (ferror(f)) goto err;
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
err : {
    int e = errno;
    free(buf);
    fclose(f);
    errno = e;
}
    return NULL;
}

int kp_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return -1;
    fchmod(fd, mode); /* umask must not widen or narrow what we asked for */
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            goto err;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) != 0) goto err;
    if (close(fd) != 0) {
        fd = -1;
        goto err;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
err : {
    int e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp);
    errno = e;
}
    return -1;
}

void kp_hex(const unsigned char *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

void kp_random_id(char out[33])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    kp_hex(b, sizeof b, out);
}

char *kp_strip_comment(char *line)
{
    for (char *p = line; *p; p++)
        if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            break;
        }
    return line;
}

char *kp_trim(char *s)
{
    char *start = s;
    while (*start && isspace((unsigned char)*start))
        start++;
    size_t n = strlen(start);
    while (n > 0 && isspace((unsigned char)start[n - 1]))
        n--;
    memmove(s, start, n);
    s[n] = '\0';
    return s;
}

char *kp_strlcpy(char *dst, const char *src, size_t n)
{
    if (n == 0) return dst;
    size_t len = strlen(src);
    if (len >= n) len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return dst;
}
