/*  pgcluster: a private PostgreSQL cluster in a directory. */
#include "pgcluster.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

static void s_fail(kp_pgcluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void s_fail(kp_pgcluster *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
}

/* The last lines of the log, to explain a failure without a second look. */
static void s_log_tail(const kp_pgcluster *c, char *out, size_t len)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/server.log", c->dir);
    out[0] = '\0';
    size_t n = 0;
    char *text = kp_read_file(path, 64 * 1024 * 1024, &n);
    if (!text) return;
    size_t start = n > len - 1 ? n - (len - 1) : 0;
    /* start at a line boundary */
    while (start > 0 && start < n && text[start - 1] != '\n')
        start++;
    kp_strlcpy(out, text + start, len);
    free(text);
    for (char *p = out; *p; p++)
        if (*p == '\n') *p = ' ';
    kp_trim(out);
}

/* Runs BINDIR/prog with args as the cluster's user, output appended to
 * DIR/server.log; returns the exit status, or -1. */
static int s_run(kp_pgcluster *c, const char *prog, const char *const *args)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", c->bindir, prog);
    const char *argv[32];
    int n = 0;
    argv[n++] = path;
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;

    char logpath[1100];
    snprintf(logpath, sizeof logpath, "%s/server.log", c->dir);
    pid_t pid = fork();
    if (pid < 0) {
        s_fail(c, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (c->drop) {
            if (initgroups(c->user, c->gid) != 0 || setgid(c->gid) != 0 || setuid(c->uid) != 0)
                _exit(126);
        }
        int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (null >= 0) dup2(null, 0);
        /* The user may not be allowed into our working directory. */
        if (chdir(c->dir) != 0) _exit(126);
        setenv("LANG", "C.UTF-8", 1);
        setenv("LC_ALL", "C.UTF-8", 1);
        unsetenv("PGDATA");
        unsetenv("PGHOST");
        unsetenv("PGPORT");
        execv(path, (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            s_fail(c, "waitpid: %s", strerror(errno));
            return -1;
        }
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) == 127) {
            s_fail(c, "cannot run %s (is postgresql-15 installed? set KOMPASS_PG_BINDIR)", path);
            return -1;
        }
        if (WEXITSTATUS(status) == 126) {
            s_fail(c, "cannot run %s as user %s in %s", prog, c->user, c->dir);
            return -1;
        }
        return WEXITSTATUS(status);
    }
    s_fail(c, "%s was killed by signal %d", prog, WTERMSIG(status));
    return -1;
}

int kp_pgcluster_open(kp_pgcluster *c, const char *dir, const char *run_as)
{
    memset(c, 0, sizeof *c);
    const char *bindir = getenv("KOMPASS_PG_BINDIR");
    kp_strlcpy(c->bindir, bindir && *bindir ? bindir : KOMPASS_PG_BINDIR, sizeof c->bindir);

    if (kp_mkdir_p(dir, 0700) != 0) {
        s_fail(c, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    char real[PATH_MAX];
    if (!realpath(dir, real)) {
        s_fail(c, "cannot resolve %s: %s", dir, strerror(errno));
        return -1;
    }
    if (strlen(real) + sizeof "/.s.PGSQL.5432" > 107) {
        s_fail(c, "%s is too long a path for PostgreSQL's unix socket (at most 92 characters)",
               real);
        return -1;
    }
    kp_strlcpy(c->dir, real, sizeof c->dir);

    if (geteuid() == 0) {
        const char *names[] = {run_as, "kompass", "postgres"};
        struct passwd *pw = NULL;
        for (int i = run_as && *run_as ? 0 : 1; i < 3 && !pw; i++) {
            pw = getpwnam(names[i]);
            if (run_as && *run_as) break;
        }
        if (!pw) {
            s_fail(c,
                   "running as root, PostgreSQL needs an unprivileged user: %s%s%s "
                   "(deploy/install-deps "
                   "creates 'kompass')",
                   run_as && *run_as ? "user '" : "create user 'kompass' or set KOMPASS_PG_USER",
                   run_as && *run_as ? run_as : "", run_as && *run_as ? "' does not exist" : "");
            return -1;
        }
        if (pw->pw_uid == 0) {
            s_fail(c, "PostgreSQL cannot run as root: choose an unprivileged KOMPASS_PG_USER");
            return -1;
        }
        kp_strlcpy(c->user, pw->pw_name, sizeof c->user);
        c->uid = pw->pw_uid;
        c->gid = pw->pw_gid;
        c->drop = 1;
        if (chown(c->dir, c->uid, c->gid) != 0) {
            s_fail(c, "cannot give %s to user %s: %s", c->dir, c->user, strerror(errno));
            return -1;
        }
        /* Every parent must be searchable by that user, or initdb fails
         * with an obscure message: check, and say what to do. */
        pid_t pid = fork();
        if (pid == 0) {
            if (setgid(c->gid) != 0 || setuid(c->uid) != 0) _exit(2);
            _exit(access(c->dir, R_OK | W_OK | X_OK) == 0 ? 0 : 1);
        }
        int status = 0;
        if (pid > 0) waitpid(pid, &status, 0);
        if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            s_fail(c,
                   "user %s cannot reach %s: a parent directory is not searchable by others "
                   "(chmod o+x it, or choose a data dir elsewhere)",
                   c->user, c->dir);
            return -1;
        }
    } else {
        struct passwd *pw = getpwuid(geteuid());
        kp_strlcpy(c->user, pw ? pw->pw_name : "?", sizeof c->user);
        c->uid = geteuid();
        c->gid = getegid();
    }
    chmod(c->dir, 0700);
    return 0;
}

/* Rewrites DIR/data/kompass.conf, included by postgresql.conf: the socket
 * directory is absolute, so it follows the data directory if moved. */
static int s_write_conf(kp_pgcluster *c)
{
    char quoted[2100];
    size_t q = 0;
    for (const char *p = c->dir; *p && q < sizeof quoted - 2; p++) {
        if (*p == '\'') quoted[q++] = '\'';
        quoted[q++] = *p;
    }
    quoted[q] = '\0';
    char conf[3000];
    int n = snprintf(conf, sizeof conf,
                     "# Written by Kompass at every start: do not edit.\n"
                     "listen_addresses = ''\n"
                     "unix_socket_directories = '%s'\n"
                     "port = 5432\n"
                     "max_connections = 200\n"
                     "log_min_messages = warning\n"
                     "log_line_prefix = '%%m [%%p] '\n",
                     quoted);
    char path[1100];
    snprintf(path, sizeof path, "%s/data/kompass.conf", c->dir);
    if (kp_write_file(path, conf, (size_t)n, 0600) != 0) {
        s_fail(c, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    if (c->drop && chown(path, c->uid, c->gid) != 0) {
        s_fail(c, "cannot chown %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int kp_pgcluster_init(kp_pgcluster *c)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/data/PG_VERSION", c->dir);
    if (access(path, F_OK) == 0) return 0;

    char data[1100];
    snprintf(data, sizeof data, "%s/data", c->dir);
    const char *args[] = {"-D",
                          data,
                          "-U",
                          KP_PG_SUPERUSER,
                          "-E",
                          "UTF8",
                          "--locale=C.UTF-8",
                          "--auth-local=trust",
                          "--auth-host=scram-sha-256",
                          "--no-instructions",
                          NULL};
    int rc = s_run(c, "initdb", args);
    if (rc != 0) {
        if (rc > 0) {
            char tail[600];
            s_log_tail(c, tail, sizeof tail);
            s_fail(c, "initdb failed (exit %d) in %s: %s", rc, data, tail);
        }
        return -1;
    }
    snprintf(path, sizeof path, "%s/data/postgresql.conf", c->dir);
    FILE *f = fopen(path, "a");
    if (!f) {
        s_fail(c, "cannot append to %s: %s", path, strerror(errno));
        return -1;
    }
    fputs("\ninclude_if_exists = 'kompass.conf'\n", f);
    fclose(f);
    return 1;
}

int kp_pgcluster_running(kp_pgcluster *c)
{
    char data[1100];
    snprintf(data, sizeof data, "%s/data", c->dir);
    const char *args[] = {"status", "-D", data, NULL};
    return s_run(c, "pg_ctl", args) == 0;
}

int kp_pgcluster_start(kp_pgcluster *c)
{
    if (s_write_conf(c) != 0) return -1;
    if (kp_pgcluster_running(c)) return 0;
    char data[1100], log[1100];
    snprintf(data, sizeof data, "%s/data", c->dir);
    snprintf(log, sizeof log, "%s/server.log", c->dir);
    const char *args[] = {"start", "-D", data, "-l", log, "-w", "-t", "120", NULL};
    int rc = s_run(c, "pg_ctl", args);
    if (rc != 0) {
        if (rc > 0) {
            char tail[600];
            s_log_tail(c, tail, sizeof tail);
            s_fail(c, "PostgreSQL did not start in %s (see %s): %s", data, log, tail);
        }
        return -1;
    }
    return 0;
}

int kp_pgcluster_stop(kp_pgcluster *c)
{
    char data[1100];
    snprintf(data, sizeof data, "%s/data", c->dir);
    const char *args[] = {"stop", "-D", data, "-m", "fast", "-w", "-t", "60", NULL};
    int rc = s_run(c, "pg_ctl", args);
    if (rc != 0) {
        if (rc > 0) s_fail(c, "pg_ctl stop failed (exit %d) for %s", rc, data);
        return -1;
    }
    return 0;
}

int kp_pgcluster_crash(kp_pgcluster *c)
{
    char data[1100];
    snprintf(data, sizeof data, "%s/data", c->dir);
    const char *args[] = {"stop", "-D", data, "-m", "immediate", "-w", "-t", "60", NULL};
    int rc = s_run(c, "pg_ctl", args);
    if (rc != 0) {
        if (rc > 0) s_fail(c, "pg_ctl stop -m immediate failed (exit %d) for %s", rc, data);
        return -1;
    }
    return 0;
}

int kp_pgcluster_init_standby(kp_pgcluster *c, const kp_pgcluster *primary)
{
    char data[1100], path[1200];
    snprintf(data, sizeof data, "%s/data", c->dir);
    snprintf(path, sizeof path, "%s/PG_VERSION", data);
    if (access(path, F_OK) == 0) {
        s_fail(c, "%s already holds a cluster", data);
        return -1;
    }
    const char *args[] = {"-D", data, "-h",     primary->dir, "-p",   "5432", "-U", KP_PG_SUPERUSER,
                          "-R", "-X", "stream", "-c",         "fast", NULL};
    int rc = s_run(c, "pg_basebackup", args);
    if (rc != 0) {
        if (rc > 0) {
            char tail[600];
            s_log_tail(c, tail, sizeof tail);
            s_fail(c, "pg_basebackup from %s failed (exit %d): %s", primary->dir, rc, tail);
        }
        return -1;
    }
    return 0;
}

int kp_pgcluster_promote(kp_pgcluster *c)
{
    char data[1100];
    snprintf(data, sizeof data, "%s/data", c->dir);
    const char *args[] = {"promote", "-D", data, "-w", "-t", "60", NULL};
    int rc = s_run(c, "pg_ctl", args);
    if (rc != 0) {
        if (rc > 0) s_fail(c, "pg_ctl promote failed (exit %d) for %s", rc, data);
        return -1;
    }
    return 0;
}

void kp_pgcluster_conninfo(const kp_pgcluster *c, const char *dbname, char *out, size_t len)
{
    /* Values are quoted for libpq: backslash and single quote escaped. */
    char host[2100];
    size_t q = 0;
    for (const char *p = c->dir; *p && q < sizeof host - 2; p++) {
        if (*p == '\'' || *p == '\\') host[q++] = '\\';
        host[q++] = *p;
    }
    host[q] = '\0';
    snprintf(out, len, "host='%s' port=5432 dbname='%s' user='%s' connect_timeout=5", host, dbname,
             KP_PG_SUPERUSER);
}
