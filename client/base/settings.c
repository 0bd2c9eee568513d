/*  settings: how the CLI finds its server. */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "util.h"

static int s_set(kp_settings *s, const char *key, const char *value, const char *where, char *err,
                 size_t errlen)
{
    if (strcmp(key, "server") == 0) {
        if (strlen(value) >= sizeof s->server) {
            snprintf(err, errlen, "%s: server is too long", where);
            return -1;
        }
        kp_strlcpy(s->server, value, sizeof s->server);
        return 0;
    }
    if (strcmp(key, "server_key") == 0) {
        if (!kp_curve_key_valid(value)) {
            snprintf(err, errlen,
                     "%s: server_key must be the server's CURVE public key, 40 characters of Z85 "
                     "as `kompassd --print-public-key` prints it",
                     where);
            return -1;
        }
        kp_strlcpy(s->server_key, value, sizeof s->server_key);
        return 0;
    }
    if (strcmp(key, "timeout") == 0) {
        char *end;
        errno = 0;
        double t = strtod(value, &end);
        if (errno || *end || end == value || t <= 0 || t > 3600) {
            snprintf(err, errlen,
                     "%s: timeout must be a number of seconds from 0 to 3600, not '%s'", where,
                     value);
            return -1;
        }
        s->timeout = t;
        return 0;
    }
    snprintf(err, errlen, "%s: unknown setting '%s'", where, key);
    return -1;
}

/* A setting of the config file (kp_conffile_set). */
static int s_set_file(void *arg, const char *key, const char *value, const char *where, char *err,
                      size_t errlen)
{
    return s_set(arg, key, value, where, err, errlen);
}

int kp_settings_load(kp_settings *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    kp_strlcpy(s->server, "tcp://127.0.0.1:5555", sizeof s->server);
    s->timeout = 5.0;

    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(s->config_dir, sizeof s->config_dir, "%s/kompass", xdg);
    else
        snprintf(s->config_dir, sizeof s->config_dir, "%s/.config/kompass", home ? home : ".");

    char path[1100];
    snprintf(path, sizeof path, "%s/config", s->config_dir);
    if (kp_conffile_read(path, s_set_file, s, err, errlen) != 0) return -1;
    const char *v = getenv("KOMPASS_SERVER");
    if (v && *v && s_set(s, "server", v, "KOMPASS_SERVER", err, errlen) != 0) return -1;
    v = getenv("KOMPASS_SERVER_KEY");
    if (v && *v && s_set(s, "server_key", v, "KOMPASS_SERVER_KEY", err, errlen) != 0) return -1;
    v = getenv("KOMPASS_TIMEOUT");
    if (v && *v && s_set(s, "timeout", v, "KOMPASS_TIMEOUT", err, errlen) != 0) return -1;
    return 0;
}

int kp_settings_option(kp_settings *s, const char *name, const char *value, char *err,
                       size_t errlen)
{
    if (strcmp(name, "json") == 0) {
        s->json = 1;
        return 0;
    }
    if (strcmp(name, "insecure") == 0) {
        s->insecure = 1;
        return 0;
    }
    if (strcmp(name, "server") == 0 || strcmp(name, "timeout") == 0 ||
        strcmp(name, "server-key") == 0) {
        if (!value) {
            snprintf(err, errlen, "option --%s needs a value", name);
            return -1;
        }
        char where[64];
        snprintf(where, sizeof where, "--%s", name);
        return s_set(s, strcmp(name, "server-key") == 0 ? "server_key" : name, value, where, err,
                     errlen) == 0
                   ? 1
                   : -1;
    }
    snprintf(err, errlen, "unknown option '--%s'", name);
    return -1;
}
