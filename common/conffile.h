/*  conffile: the "name = value" files kompassd and the CLI read.
 *
 *  kompassd.conf (server/config.c) and the CLI's config (client/settings.c)
 *  share one syntax: a setting per line as `name = value`, blanks around
 *  either trimmed; `#` at the start of a line or after a blank starts a
 *  comment (so a `#` inside a value, as in a Z85 key, stays); blank lines
 *  are skipped. Lines may be of any length. Every problem names the file and
 *  line ("path:line: ...").
 */
#ifndef KP_CONFFILE_H
#define KP_CONFFILE_H

#include <stddef.h>

/* One setting: 0, or -1 with a sentence in err that starts with where
 * ("path:line"). */
typedef int (*kp_conffile_set)(void *arg, const char *name, const char *value, const char *where,
                               char *err, size_t errlen);

/* Reads path, calling set for each setting in order and stopping at the
 * first that fails. 0 when every setting was taken, and when there is no
 * such file (both files are optional); -1 with a sentence in err otherwise. */
int kp_conffile_read(const char *path, kp_conffile_set set, void *arg, char *err, size_t errlen);

#endif
