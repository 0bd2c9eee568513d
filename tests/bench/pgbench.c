/*  pgbench: see pgbench.h. */
#include "pgbench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *kb_pgbench_program(void)
{
    const char *env = getenv("KOMPASS_PGBENCH");
    if (env && *env) return env;
    static char found[4096];
    const char *path = getenv("PATH");
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        if (n > 0 && n < sizeof found - 10) {
            snprintf(found, sizeof found, "%.*s/pgbench", (int)n, path);
            if (access(found, X_OK) == 0) return found;
        }
        path = colon ? colon + 1 : NULL;
    }
    return "/usr/lib/postgresql/15/bin/pgbench";
}

static int s_exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

int kb_pgbench_prepare(const char *conninfo, int clients, int questions, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "pgbench's tables: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    /* Shaped like scores and audit_events: the same kinds of columns and
     * keys, so that an update and an insert cost what kompassd's do. */
    char seed[400];
    snprintf(seed, sizeof seed,
             "INSERT INTO kompass_bench.score (client, question, points, rationale, version)"
             " SELECT c, q, 0, 'Benchmark write.', 1 FROM generate_series(0, %d) c,"
             " generate_series(1, %d) q",
             clients - 1, questions);
    const char *steps[] = {
        "SET client_min_messages = warning",
        "DROP SCHEMA IF EXISTS kompass_bench CASCADE",
        "CREATE SCHEMA kompass_bench",
        "CREATE TABLE kompass_bench.score (client int, question int, points numeric(6,2),"
        " rationale text, version bigint, written_at timestamptz DEFAULT now(),"
        " PRIMARY KEY (client, question))",
        "CREATE TABLE kompass_bench.audit (id bigserial PRIMARY KEY, client int, seq bigserial,"
        " at timestamptz, after text, hash text, UNIQUE (client, seq))",
        seed,
        "ANALYZE kompass_bench.score",
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof steps / sizeof *steps; i++)
        rc = s_exec(c, steps[i], err, errlen);
    PQfinish(c);
    return rc;
}

void kb_pgbench_cleanup(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    char err[256];
    if (PQstatus(c) == CONNECTION_OK && s_exec(c, "SET client_min_messages = warning", err, sizeof err) == 0)
        s_exec(c, "DROP SCHEMA IF EXISTS kompass_bench CASCADE", err, sizeof err);
    PQfinish(c);
}

static void s_lat_add(kb_pgbench_result *out, int64_t us)
{
    if (out->n_lat == out->cap_lat) {
        size_t cap = out->cap_lat ? out->cap_lat * 2 : 4096;
        int64_t *v = realloc(out->lat_us, cap * sizeof *v);
        if (!v) return;
        out->lat_us = v;
        out->cap_lat = cap;
    }
    out->lat_us[out->n_lat++] = us;
}

/* Reads pgbench's per-transaction logs in dir (files "tx.*"): "client_id
 * transaction_no time script_no time_epoch time_us ...", time in µs. */
static void s_read_logs(const char *dir, kb_pgbench_result *out)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4200], line[512];
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "tx.", 3) != 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        while (fgets(line, sizeof line, f)) {
            long long client, tx, us;
            if (sscanf(line, "%lld %lld %lld", &client, &tx, &us) == 3) s_lat_add(out, us);
        }
        fclose(f);
        unlink(path);
    }
    closedir(d);
}

/* The number after label in text, or -1. */
static double s_figure(const char *text, const char *label)
{
    const char *p = strstr(text, label);
    return p ? strtod(p + strlen(label), NULL) : -1;
}

int kb_pgbench_run(const char *conninfo, const char *script, int clients, double seconds,
                   const char *const *defs, kb_pgbench_result *out)
{
    char dir[] = "/tmp/kompass-pgbench-XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(out->error, sizeof out->error, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    char c_arg[16], j_arg[16], t_arg[16], prefix[64], outpath[64];
    snprintf(c_arg, sizeof c_arg, "%d", clients);
    snprintf(j_arg, sizeof j_arg, "%d", clients < 2 ? 1 : 2); /* the machine's cores */
    snprintf(t_arg, sizeof t_arg, "%d", seconds < 1 ? 1 : (int)(seconds + 0.5));
    snprintf(prefix, sizeof prefix, "%s/tx", dir);
    snprintf(outpath, sizeof outpath, "%s/out", dir);
    const char *argv[64];
    int n = 0;
    argv[n++] = kb_pgbench_program();
    const char *fixed[] = {"--no-vacuum", "--protocol", "prepared", "--client", c_arg, "--jobs",
                           j_arg,         "--time",     t_arg,      "--file",   script, "--log",
                           "--log-prefix", prefix};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        argv[n++] = fixed[i];
    for (size_t i = 0; defs && defs[i] && n < 60; i++) {
        argv[n++] = "--define";
        argv[n++] = defs[i];
    }
    argv[n++] = conninfo; /* pgbench takes a connection string as its database */
    argv[n] = NULL;

    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) status = -1;

    char text[16384] = "";
    FILE *f = fopen(outpath, "r");
    if (f) {
        size_t got = fread(text, 1, sizeof text - 1, f);
        text[got] = '\0';
        fclose(f);
        unlink(outpath);
    }
    s_read_logs(dir, out);
    rmdir(dir);

    double done = s_figure(text, "number of transactions actually processed: ");
    double failed = s_figure(text, "number of failed transactions: ");
    double tps = s_figure(text, "tps = ");
    if (status != 0 || done < 0 || tps <= 0) {
        if (!out->error[0]) {
            /* pgbench's own words, on one line */
            char *nl = strchr(text, '\n');
            snprintf(out->error, sizeof out->error, "%s exited %d: %.*s", argv[0],
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                     nl ? (int)(nl - text) : (int)strlen(text), text);
        }
        return -1;
    }
    out->transactions += (int64_t)done;
    if (failed > 0) out->failed += (int64_t)failed;
    out->seconds += done / tps;
    return 0;
}
