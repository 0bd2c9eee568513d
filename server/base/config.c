/*  config: kompassd's settings from defaults, file, environment, argv. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "curve.h"
#include "util.h"

const char kp_config_usage[] =
    "usage: kompassd [OPTIONS]\n"
    "\n"
    "The Kompass server: coordinates evaluators over ZeroMQ, stores in PostgreSQL.\n"
    "\n"
    "  --data-dir DIR     state directory (default ./var); holds kompassd.conf,\n"
    "                     keys and, without --db, the embedded PostgreSQL cluster\n"
    "  --db CONNINFO      use this PostgreSQL (libpq string or URI) instead of the\n"
    "                     embedded cluster in DIR/pg\n"
    "  --listen ENDPOINT  requests (default tcp://127.0.0.1:5555)\n"
    "  --publish ENDPOINT live updates (default tcp://127.0.0.1:5556)\n"
    "  --workers N        worker threads, each with one database connection (default 4)\n"
    "  --snapshot-cache MB  memory for evaluation snapshots kept between reads\n"
    "                     (default 64; 0: every snapshot read from the database)\n"
    "  --log-level L      debug, info, warn or error (default info)\n"
    "  --pg-user USER     when run as root: the OS user of the embedded cluster\n"
    "                     (default kompass, else postgres)\n"
    "  --session-idle T   a session ends after T without use (default 12h; T is\n"
    "                     seconds, or a number with s, m, h or d)\n"
    "  --session-max T    a session ends T after login whatever its use (default 7d)\n"
    "  --insecure         no CURVE: plain text, refused unless every endpoint is\n"
    "                     loopback TCP (127.0.0.1, ::1) or ipc://\n"
    "  --print-public-key print the server's CURVE public key (making the key pair in\n"
    "                     DIR/curve if there is none) and exit\n"
    "  --check-config     check the settings, data dir, keys, endpoints, database and\n"
    "                     schema, one line each, without starting anything (no socket,\n"
    "                     no lock, no new key); exit 0 when usable, 1 when not\n"
    "  --version          print the version and exit\n"
    "  --help             print this help and exit\n"
    "\n"
    "Every option can also be set as KOMPASS_<NAME> in the environment (KOMPASS_DB,\n"
    "KOMPASS_LISTEN, ...) or as `name = value` in DIR/kompassd.conf; the command\n"
    "line wins over the environment, which wins over the file.\n";

typedef enum { T_STR, T_INT, T_LEVEL, T_FLAG, T_DURATION } opt_type;

typedef struct {
    const char *name; /* --name, kompassd.conf key (with _ for -) */
    const char *env;
    opt_type type;
    size_t offset;
    size_t size;
} opt;

#define STR(field) T_STR, offsetof(kp_config, field), sizeof(((kp_config *)0)->field)
static const opt s_opts[] = {
    {"data-dir", "KOMPASS_DATA_DIR", STR(data_dir)},
    {"db", "KOMPASS_DB", STR(db)},
    {"listen", "KOMPASS_LISTEN", STR(listen)},
    {"publish", "KOMPASS_PUBLISH", STR(publish)},
    {"workers", "KOMPASS_WORKERS", T_INT, offsetof(kp_config, workers), sizeof(int)},
    {"snapshot-cache", "KOMPASS_SNAPSHOT_CACHE", T_INT, offsetof(kp_config, snapshot_cache_mb),
     sizeof(int)},
    {"log-level", "KOMPASS_LOG_LEVEL", T_LEVEL, offsetof(kp_config, log_level), 0},
    {"pg-user", "KOMPASS_PG_USER", STR(pg_user)},
    {"insecure", "KOMPASS_INSECURE", T_FLAG, offsetof(kp_config, insecure), sizeof(int)},
    {"session-idle", "KOMPASS_SESSION_IDLE", T_DURATION, offsetof(kp_config, session_idle),
     sizeof(int)},
    {"session-max", "KOMPASS_SESSION_MAX", T_DURATION, offsetof(kp_config, session_max),
     sizeof(int)},
};
#define N_OPTS (sizeof s_opts / sizeof s_opts[0])

static const opt *s_find(const char *name)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        const char *a = s_opts[i].name, *b = name;
        while (*a && (*a == *b || (*a == '-' && *b == '_'))) {
            a++;
            b++;
        }
        if (!*a && !*b) return &s_opts[i];
    }
    return NULL;
}

static int s_set(kp_config *cfg, const opt *o, const char *value, const char *where, char *err,
                 size_t errlen)
{
    char *field = (char *)cfg + o->offset;
    switch (o->type) {
    case T_STR:
        if (strlen(value) >= o->size) {
            snprintf(err, errlen, "%s: value of %s is too long (at most %zu characters)", where,
                     o->name, o->size - 1);
            return -1;
        }
        kp_strlcpy(field, value, o->size);
        return 0;
    case T_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || *end || end == value || v < 1 || v > 256) {
            snprintf(err, errlen, "%s: %s must be a whole number from 1 to 256, not '%s'", where,
                     o->name, value);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    case T_LEVEL:
        if (kp_log_parse_level(value, (kp_log_level *)field) != 0) {
            snprintf(err, errlen, "%s: %s must be debug, info, warn or error, not '%s'", where,
                     o->name, value);
            return -1;
        }
        return 0;
    case T_FLAG:
        if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0) {
            *(int *)field = 1;
        } else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 ||
                   strcmp(value, "no") == 0) {
            *(int *)field = 0;
        } else {
            snprintf(err, errlen, "%s: %s must be true or false, not '%s'", where, o->name, value);
            return -1;
        }
        return 0;
    case T_DURATION: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        long unit = 1;
        if (*end == 's' || *end == 'm' || *end == 'h' || *end == 'd') {
            unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 86400;
            end++;
        }
        /* at most a year: a session is not a credential to keep */
        if (errno || *end || end == value || v < 1 || v > 366L * 86400 / unit) {
            snprintf(err, errlen,
                     "%s: %s must be a duration from 1s to 366d (seconds, or a number with s, "
                     "m, h or d), not '%s'",
                     where, o->name, value);
            return -1;
        }
        *(int *)field = (int)(v * unit);
        return 0;
    }
    }
    return -1;
}

/* A setting of kompassd.conf (kp_conffile_set): any but data-dir, which
 * says where the file is. */
static int s_set_file(void *arg, const char *key, const char *value, const char *where, char *err,
                      size_t errlen)
{
    const opt *o = s_find(key);
    if (!o || strcmp(o->name, "data-dir") == 0) {
        snprintf(err, errlen, "%s: unknown setting '%s'", where, key);
        return -1;
    }
    return s_set(arg, o, value, where, err, errlen);
}

static int s_load_file(kp_config *cfg, char *err, size_t errlen)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/kompassd.conf", cfg->data_dir);
    return kp_conffile_read(path, s_set_file, cfg, err, errlen); /* the file is optional */
}

/* Rules that concern several settings at once. */
static int s_check(const kp_config *cfg, char *err, size_t errlen)
{
    if (cfg->snapshot_cache_mb < 0 || cfg->snapshot_cache_mb > 65536) {
        snprintf(err, errlen, "snapshot-cache must be 0 to 65536 (MB), not %d",
                 cfg->snapshot_cache_mb);
        return -1;
    }
    if (cfg->insecure) {
        const char *eps[] = {cfg->listen, cfg->publish};
        for (int i = 0; i < 2; i++)
            if (!kp_endpoint_is_local(eps[i])) {
                snprintf(err, errlen,
                         "--insecure is refused for %s: plain text is only allowed on loopback "
                         "TCP (127.0.0.1, ::1) or ipc:// endpoints; without --insecure every "
                         "endpoint uses CURVE",
                         eps[i]);
                return -1;
            }
    }
    if (cfg->session_idle > cfg->session_max) {
        snprintf(err, errlen,
                 "session-idle (%d s) is longer than session-max (%d s): a session ends at "
                 "session-max whatever its use",
                 cfg->session_idle, cfg->session_max);
        return -1;
    }
    return 0;
}

int kp_config_load(kp_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    kp_strlcpy(cfg->data_dir, "./var", sizeof cfg->data_dir);
    kp_strlcpy(cfg->listen, "tcp://127.0.0.1:5555", sizeof cfg->listen);
    kp_strlcpy(cfg->publish, "tcp://127.0.0.1:5556", sizeof cfg->publish);
    cfg->workers = 4;
    cfg->snapshot_cache_mb = 64;
    cfg->log_level = KP_LOG_INFO;
    cfg->session_idle = 12 * 3600;
    cfg->session_max = 7 * 86400;

    /* Pass 1: the command line's shape, flags, and the data directory. */
    const char *dd_arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cfg->print_help = 1;
            continue;
        }
        if (strcmp(a, "--version") == 0) {
            cfg->print_version = 1;
            continue;
        }
        if (strcmp(a, "--print-public-key") == 0) {
            cfg->print_public_key = 1;
            continue;
        }
        if (strcmp(a, "--check-config") == 0) {
            cfg->check_config = 1;
            continue;
        }
        const opt *o = strncmp(a, "--", 2) == 0 ? s_find(a + 2) : NULL;
        if (o && o->type == T_FLAG) continue;
        if (!o) {
            snprintf(err, errlen, "unknown option '%s' (see kompassd --help)", a);
            return -1;
        }
        if (i + 1 >= argc) {
            snprintf(err, errlen, "option %s needs a value", a);
            return -1;
        }
        if (strcmp(a, "--data-dir") == 0) dd_arg = argv[i + 1];
        i++;
    }
    if (cfg->print_help || cfg->print_version) return 0;
    /* --print-public-key needs the data dir, so it reads the settings too. */
    const char *dd_env = getenv("KOMPASS_DATA_DIR");
    const char *dd = dd_arg ? dd_arg : (dd_env && *dd_env ? dd_env : NULL);
    if (dd && s_set(cfg, s_find("data-dir"), dd, "data dir", err, errlen) != 0) return -1;

    /* Pass 2: file, environment, command line, each overriding the last. */
    if (s_load_file(cfg, err, errlen) != 0) return -1;
    for (size_t i = 0; i < N_OPTS; i++) {
        const char *v = getenv(s_opts[i].env);
        if (v && *v && s_set(cfg, &s_opts[i], v, s_opts[i].env, err, errlen) != 0) return -1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "--print-public-key") == 0 ||
            strcmp(argv[i], "--check-config") == 0)
            continue;
        const opt *o = s_find(argv[i] + 2);
        if (o->type == T_FLAG) {
            *(int *)((char *)cfg + o->offset) = 1;
            continue;
        }
        if (s_set(cfg, o, argv[i + 1], argv[i], err, errlen) != 0) return -1;
        i++;
    }
    return s_check(cfg, err, errlen);
}
