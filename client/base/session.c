/*  session: the CLI's login session on disk (see session.h). */
#include "session.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void kp_cli_session_path(const kp_settings *s, char *out, size_t len)
{
    snprintf(out, len, "%s/session", s->config_dir);
}

int kp_cli_session_load(const kp_settings *s, kp_cli_session *sess, char *err, size_t errlen)
{
    memset(sess, 0, sizeof *sess);
    char path[1100];
    kp_cli_session_path(s, path, sizeof path);
    size_t len = 0;
    char *text = kp_read_file(path, 64 * 1024, &len);
    if (!text) {
        if (errno == ENOENT || errno == ENOTDIR) return 0;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq) continue;
        *eq = '\0';
        char *key = kp_trim(line), *value = kp_trim(eq + 1);
        if (strcmp(key, "server") == 0) kp_strlcpy(sess->server, value, sizeof sess->server);
        if (strcmp(key, "server_key") == 0)
            kp_strlcpy(sess->server_key, value, sizeof sess->server_key);
        if (strcmp(key, "login") == 0) kp_strlcpy(sess->login, value, sizeof sess->login);
        if (strcmp(key, "token") == 0) kp_strlcpy(sess->token, value, sizeof sess->token);
        if (strcmp(key, "expires_us") == 0) sess->expires_us = atoll(value);
    }
    sodium_memzero(text, len);
    free(text);
    if (!sess->token[0] || !sess->server[0]) {
        snprintf(err, errlen, "%s is not a kompass session file (remove it and log in again)",
                 path);
        return -1;
    }
    return 1;
}

int kp_cli_session_matches(const kp_settings *s, const kp_cli_session *sess)
{
    const char *key = s->insecure ? "" : s->server_key;
    return strcmp(sess->server, s->server) == 0 && strcmp(sess->server_key, key) == 0;
}

int kp_cli_session_save(const kp_settings *s, const kp_cli_session *sess, char *err, size_t errlen)
{
    if (kp_mkdir_p(s->config_dir, 0700) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", s->config_dir, strerror(errno));
        return -1;
    }
    char path[1100], text[2048];
    kp_cli_session_path(s, path, sizeof path);
    int n = snprintf(text, sizeof text,
                     "# kompass session: written by `kompass login`, removed by `kompass "
                     "logout`.\n# The token opens the session: keep this file to yourself.\n"
                     "server = %s\nserver_key = %s\nlogin = %s\ntoken = %s\nexpires_us = %lld\n",
                     sess->server, sess->server_key, sess->login, sess->token,
                     (long long)sess->expires_us);
    int rc = kp_write_file(path, text, (size_t)n, 0600);
    sodium_memzero(text, sizeof text);
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int kp_cli_session_remove(const kp_settings *s, char *err, size_t errlen)
{
    char path[1100];
    kp_cli_session_path(s, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
