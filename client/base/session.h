/*  session: the CLI's login session on disk.
 *
 *  `kompass login` writes $XDG_CONFIG_HOME/kompass/session (else
 *  ~/.config/kompass/session), mode 0600 in a 0700 directory: the server it
 *  is for, that server's key, the login and the session token. `kompass
 *  logout` removes it. The token is sent only to the server (and key) it came
 *  from: a session file for another server is ignored. Two people on one
 *  machine use two config homes.
 */
#ifndef KP_CLIENT_SESSION_H
#define KP_CLIENT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "settings.h"

typedef struct {
    char server[1024];   /* the endpoint the session belongs to */
    char server_key[64]; /* that server's key ("" when --insecure) */
    char login[64];      /* who is logged in */
    char token[128];     /* the session token; never printed */
    int64_t expires_us;  /* the session's absolute end, for messages */
} kp_cli_session;

/* The session file's path for settings s into out. */
void kp_cli_session_path(const kp_settings *s, char *out, size_t len);

/* Reads the session file. 1 when there is one (*sess filled), 0 when none,
 * -1 when it cannot be read (err). */
int kp_cli_session_load(const kp_settings *s, kp_cli_session *sess, char *err, size_t errlen);

/* Whether sess belongs to the server of s (endpoint and key). */
int kp_cli_session_matches(const kp_settings *s, const kp_cli_session *sess);

/* Writes sess, mode 0600 (the directory 0700). 0, or -1 with err. */
int kp_cli_session_save(const kp_settings *s, const kp_cli_session *sess, char *err, size_t errlen);

/* Removes the session file. 0 (also when there was none), or -1 with err. */
int kp_cli_session_remove(const kp_settings *s, char *err, size_t errlen);

#endif
