/*  conffile: "name = value" files (see conffile.h). */
#define _GNU_SOURCE /* getline */
#include "conffile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int kp_conffile_read(const char *path, kp_conffile_set set, void *arg, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        char where[1200];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        kp_strip_comment(line);
        kp_trim(line);
        if (!*line) continue;
        char *eq = strchr(line, '=');
        if (!eq) {
            snprintf(err, errlen, "%s: expected 'name = value'", where);
            rc = -1;
            break;
        }
        *eq = '\0';
        rc = set(arg, kp_trim(line), kp_trim(eq + 1), where, err, errlen);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}
