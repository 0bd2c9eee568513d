/*  log: one line per event on stderr, level-filtered.
 *
 *  Lines look like `2026-11-26T17:50:00.123Z info  broker: listening on ...`;
 *  journald adds its own timestamp, so the level word is what it filters on.
 *  Never log a password, a token or a secret key: callers pass only what a
 *  reader may see. Thread-safe: each line is one write(2).
 */
#ifndef KP_LOG_H
#define KP_LOG_H

typedef enum { KP_LOG_DEBUG = 0, KP_LOG_INFO, KP_LOG_WARN, KP_LOG_ERROR } kp_log_level;

/* Sets the lowest level printed (default info). */
void kp_log_set_level(kp_log_level level);

/* Parses "debug", "info", "warn" or "error"; 0 on success, -1 otherwise. */
int kp_log_parse_level(const char *name, kp_log_level *out);

/* Whether a line of this level would be printed. */
int kp_log_enabled(kp_log_level level);

void kp_log(kp_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define kp_debug(...) kp_log(KP_LOG_DEBUG, __VA_ARGS__)
#define kp_info(...)  kp_log(KP_LOG_INFO, __VA_ARGS__)
#define kp_warn(...)  kp_log(KP_LOG_WARN, __VA_ARGS__)
#define kp_error(...) kp_log(KP_LOG_ERROR, __VA_ARGS__)

#endif
