/*  util: small helpers shared by server, client and tests (time, files,
 *  hex, random ids). Nothing here knows about Kompass's domain.
 */
#ifndef KP_UTIL_H
#define KP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Wall-clock time in microseconds since the epoch. */
int64_t kp_now_us(void);

/* Formats microseconds since the epoch as UTC with microseconds,
 * "2026-11-26T17:48:24.012345Z" (27 characters), into out. This exact form is
 * part of the audit trail's hash (docs/audit.md). */
void kp_format_utc_us(int64_t us, char out[32]);

/* Parses a UTC time: "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM[:SS[.ffffff]]" with an
 * optional "Z" ("T" may be a space). 0 with *us, or -1. */
int kp_parse_utc(const char *text, int64_t *us);

/* Monotonic time in milliseconds. */
int64_t kp_mono_ms(void);

/* Monotonic time in microseconds (for latencies). */
int64_t kp_mono_us(void);

/* mkdir -p with the given mode for created directories; 0 or -1 (errno). */
int kp_mkdir_p(const char *path, mode_t mode);

/* Reads a whole file; the result is the caller's to free. NULL on error
 * (errno). len may be NULL. Refuses files larger than max bytes (EFBIG). */
char *kp_read_file(const char *path, size_t max, size_t *len);

/* Writes data to path atomically (temp file, fsync, rename) with mode. */
int kp_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void kp_hex(const unsigned char *bytes, size_t len, char *out);

/* A random id of 32 hex characters into out (33 bytes). */
void kp_random_id(char out[33]);

/* Cuts a `# comment` off a config line in place: a '#' that starts the line
 * or follows white space. A '#' inside a value (Z85 keys have them) stays.
 * Returns line. */
char *kp_strip_comment(char *line);

/* Trims leading and trailing white space in place; returns s. */
char *kp_trim(char *s);

/* Copies src into dst of size n, always terminated; returns dst. */
char *kp_strlcpy(char *dst, const char *src, size_t n);

#endif
