/*  settings: how the CLI finds its server.
 *
 *  Lowest precedence first: defaults, $XDG_CONFIG_HOME/kompass/config
 *  (`name = value` lines: server, server_key, timeout), the environment
 *  (KOMPASS_SERVER, KOMPASS_SERVER_KEY, KOMPASS_TIMEOUT), then the global
 *  options (--server, --server-key, --timeout, --insecure, --json).
 */
#ifndef KP_SETTINGS_H
#define KP_SETTINGS_H

#include <stddef.h>

#include "curve.h"

typedef struct {
    char server[1024];                     /* endpoint */
    char server_key[KP_CURVE_KEY_LEN + 1]; /* the server's CURVE public key (Z85) */
    int insecure;                          /* --insecure: plain text, loopback/ipc only */
    double timeout;                        /* seconds to wait for an answer */
    int json;                              /* --json: one JSON document on stdout */
    char config_dir[1024];                 /* $XDG_CONFIG_HOME/kompass */
} kp_settings;

/* Fills s from defaults, config file and environment. 0, or -1 with err. */
int kp_settings_load(kp_settings *s, char *err, size_t errlen);

/* Applies a global option (name without --, value may be NULL for flags).
 * Returns 1 if value was consumed, 0 if not, -1 on a bad value (err). */
int kp_settings_option(kp_settings *s, const char *name, const char *value, char *err,
                       size_t errlen);

#endif
