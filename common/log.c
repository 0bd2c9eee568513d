/*  log: one line per event on stderr, level-filtered. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int s_level = KP_LOG_INFO;
static const char *s_names[] = {"debug", "info", "warn", "error"};

void kp_log_set_level(kp_log_level level)
{
    atomic_store(&s_level, (int)level);
}

int kp_log_parse_level(const char *name, kp_log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, s_names[i]) == 0) {
            *out = (kp_log_level)i;
            return 0;
        }
    if (strcmp(name, "warning") == 0) {
        *out = KP_LOG_WARN;
        return 0;
    }
    return -1;
}

int kp_log_enabled(kp_log_level level)
{
    return (int)level >= atomic_load(&s_level);
}

void kp_log(kp_log_level level, const char *module, const char *fmt, ...)
{
    if (!kp_log_enabled(level)) return;
    char line[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %-5s %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(tv.tv_usec / 1000), s_names[level], module);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    /* One event, one line: fold any newline in the message. */
    for (size_t i = (size_t)n; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
