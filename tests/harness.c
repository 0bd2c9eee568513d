/*  harness: real servers for integration tests (see harness.h). */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "util.h"

static void *s_zctx;

void *th_zctx(void)
{
    if (!s_zctx) s_zctx = zmq_ctx_new();
    return s_zctx;
}

const char *th_bin(const char *name)
{
    static char buf[4][512];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, 512, "%s/%s", KP_BIN_DIR, name);
    return b;
}

static const char *s_pgdir(void)
{
    const char *d = getenv("KOMPASS_TEST_PGDIR");
    cr_assert(d && *d, "KOMPASS_TEST_PGDIR is not set: run the tests through ctest");
    return d;
}

void th_db_conninfo(const char *dbname, char *out, size_t len)
{
    snprintf(out, len, "host=%s port=5432 user=kompass dbname=%s connect_timeout=5", s_pgdir(),
             dbname);
}

void th_db_create(char *dbname, size_t nlen, char *conninfo, size_t clen)
{
    char id[33], admin[1024];
    kp_random_id(id);
    snprintf(dbname, nlen, "t_%.16s", id);
    th_db_conninfo("postgres", admin, sizeof admin);
    PGconn *c = PQconnectdb(admin);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "test cluster: %s", PQerrorMessage(c));
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    th_db_conninfo(dbname, conninfo, clen);
}

static void s_db_drop(const char *dbname)
{
    char admin[1024], sql[160];
    th_db_conninfo("postgres", admin, sizeof admin);
    PGconn *c = PQconnectdb(admin);
    if (PQstatus(c) == CONNECTION_OK) {
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
        PQclear(PQexec(c, sql));
    }
    PQfinish(c);
}

char *th_sql(th_server *s, const char *sql)
{
    PGconn *c = PQconnectdb(s->conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    cr_assert(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    char *v = NULL;
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return v;
}

/* Reads all of fd until EOF or deadline into a growing buffer. */
typedef struct {
    char *data;
    size_t len, cap;
} buf_t;

static void s_buf_add(buf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

int th_run(const char *const *argv, const char *input, char **out, char **err, int timeout_ms)
{
    int pin[2], pout[2], perr[2];
    cr_assert(pipe(pin) == 0 && pipe(pout) == 0 && pipe(perr) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        setsid(); /* no controlling terminal: a password prompt cannot block a test */
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        close(pin[1]);
        close(pout[0]);
        close(perr[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    if (input) {
        ssize_t w = write(pin[1], input, strlen(input));
        (void)w;
    }
    close(pin[1]);
    buf_t bo = {0}, be = {0};
    s_buf_add(&bo, "", 0);
    s_buf_add(&be, "", 0);
    int64_t deadline = kp_mono_ms() + timeout_ms;
    int open_fds = 2;
    struct pollfd fds[2] = {{pout[0], POLLIN, 0}, {perr[0], POLLIN, 0}};
    while (open_fds > 0) {
        int left = (int)(deadline - kp_mono_ms());
        if (left <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        if (poll(fds, 2, left) <= 0) continue;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            char chunk[4096];
            ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            } else {
                s_buf_add(i == 0 ? &bo : &be, chunk, (size_t)n);
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0) close(fds[i].fd);
    int status;
    waitpid(pid, &status, 0);
    if (out)
        *out = bo.data;
    else
        free(bo.data);
    if (err)
        *err = be.data;
    else
        free(be.data);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int th_cli_full(th_server *s, const char *config_home, const char *input, char **out, char **err,
                const char *const *args)
{
    /* The CLI reads its config and session from XDG_CONFIG_HOME: point it at
     * the test's own directory, never at the developer's. */
    const char *argv[64];
    int n = 0;
    argv[n++] = th_bin("kompass");
    if (s) {
        argv[n++] = "--server";
        argv[n++] = s->listen;
        if (s->insecure) argv[n++] = "--insecure";
    }
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char *old = getenv("XDG_CONFIG_HOME") ? strdup(getenv("XDG_CONFIG_HOME")) : NULL;
    setenv("XDG_CONFIG_HOME", config_home ? config_home : (s ? s->dir : "/nonexistent"), 1);
    /* ... and keeps its drafts beside them (client/draft.h) */
    char state[1100];
    snprintf(state, sizeof state, "%s/state",
             config_home ? config_home : (s ? s->dir : "/nonexistent"));
    setenv("XDG_STATE_HOME", state, 1);
    /* ... and its offline copies (client/offline.h) */
    char data[1100];
    snprintf(data, sizeof data, "%s/data",
             config_home ? config_home : (s ? s->dir : "/nonexistent"));
    setenv("XDG_DATA_HOME", data, 1);
    unsetenv("KOMPASS_SERVER");
    if (s && !s->insecure)
        setenv("KOMPASS_SERVER_KEY", s->server_key, 1);
    else
        unsetenv("KOMPASS_SERVER_KEY");
    int rc = th_run(argv, input, out, err, 60000);
    unsetenv("KOMPASS_SERVER_KEY");
    unsetenv("XDG_STATE_HOME");
    unsetenv("XDG_DATA_HOME");
    if (old) {
        setenv("XDG_CONFIG_HOME", old, 1);
        free(old);
    } else {
        unsetenv("XDG_CONFIG_HOME");
    }
    return rc;
}

int th_cli(th_server *s, char **out, char **err, const char *arg, ...)
{
    const char *args[60];
    int n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 59; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return th_cli_full(s, NULL, NULL, out, err, args);
}

int th_cli_as(th_server *s, const char *home, const char *input, char **out, char **err,
              const char *arg, ...)
{
    const char *args[60];
    int n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 59; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return th_cli_full(s, home, input, out, err, args);
}

void th_home(th_server *s, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/home-%s", s->dir, name);
    cr_assert_eq(kp_mkdir_p(out, 0700), 0, "%s: %s", out, strerror(errno));
}

void th_login(th_server *s, const char *home, const char *login, const char *password)
{
    char input[1200], *out = NULL, *err = NULL;
    snprintf(input, sizeof input, "%s\n", password);
    int rc = th_cli_as(s, home, input, &out, &err, "login", login, "--password-stdin", NULL);
    cr_assert_eq(rc, 0, "kompass login %s exited %d: %s%s", login, rc, out, err);
    free(out);
    free(err);
}

const char *th_admin(th_server *s)
{
    if (!s->admin_home[0]) {
        th_home(s, "admin", s->admin_home, sizeof s->admin_home);
        th_login(s, s->admin_home, "admin", TH_ADMIN_PASSWORD);
    }
    return s->admin_home;
}

void th_user_add(th_server *s, const char *login, const char *role, const char *password)
{
    char input[1200], name[128], *out = NULL, *err = NULL;
    snprintf(input, sizeof input, "%s\n", password);
    snprintf(name, sizeof name, "Test %s", login);
    int rc = th_cli_as(s, th_admin(s), input, &out, &err, "user", "add", login, "--name", name,
                       "--org", "Testkommun", "--role", role, "--password-stdin", NULL);
    cr_assert_eq(rc, 0, "kompass user add %s exited %d: %s%s", login, rc, out, err);
    free(out);
    free(err);
}

const char *th_token(void *sock, kp_arena *arena, const char *login, const char *password)
{
    kp_request *req = kp_arena_zalloc(arena, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__LoginRequest *in = kp_arena_zalloc(arena, sizeof *in);
    kompass__v1__login_request__init(in);
    in->login = kp_arena_strdup(arena, login);
    in->password = kp_arena_strdup(arena, password);
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOGIN;
    req->login = in;
    kp_response *r = th_call(sock, arena, req, 20000);
    cr_assert(r, "no answer to login");
    cr_assert_eq(r->status, KOMPASS__V1__STATUS__OK, "login %s: %s", login, r->error);
    return r->login->session_token;
}

char *th_db_fingerprint(th_server *s)
{
    PGconn *c = PQconnectdb(s->conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *tables = PQexec(c, "SELECT quote_ident(table_name) FROM information_schema.tables "
                                 "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' "
                                 "AND table_name NOT IN ('sessions', 'security_log') "
                                 "ORDER BY table_name");
    cr_assert_eq(PQresultStatus(tables), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(tables));
    buf_t b = {0};
    s_buf_add(&b, "", 0);
    for (int i = 0; i < PQntuples(tables); i++) {
        const char *t = PQgetvalue(tables, i, 0);
        char sql[512];
        /* table names come from the catalogue, quoted: no input here */
        snprintf(sql, sizeof sql,
                 "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY "
                 "x::text)), '') FROM %s x",
                 t);
        PGresult *r = PQexec(c, sql);
        cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
        s_buf_add(&b, t, strlen(t));
        s_buf_add(&b, "=", 1);
        s_buf_add(&b, PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)));
        s_buf_add(&b, "\n", 1);
        PQclear(r);
    }
    PQclear(tables);
    PQfinish(c);
    return b.data;
}

static int s_read_endpoints(th_server *s)
{
    char path[400];
    snprintf(path, sizeof path, "%s/kompassd.endpoints", s->dir);
    char *text = kp_read_file(path, 4096, NULL);
    if (!text) return -1;
    char pidline[32];
    snprintf(pidline, sizeof pidline, "pid=%d\n", (int)s->pid);
    int ok = strstr(text, pidline) != NULL; /* not a stale file of an earlier run */
    char *l = strstr(text, "listen="), *p = strstr(text, "publish=");
    if (ok && l && p) {
        sscanf(l, "listen=%255s", s->listen);
        sscanf(p, "publish=%255s", s->publish);
    }
    free(text);
    if (!(ok && l && p)) return -1;
    if (s->insecure) return 0;
    snprintf(path, sizeof path, "%s/curve/server.pub", s->dir);
    char *key = kp_read_file(path, 4096, NULL);
    cr_assert(key, "kompassd is ready but %s cannot be read: %s", path, strerror(errno));
    kp_trim(key);
    cr_assert(kp_curve_key_valid(key), "%s does not hold a CURVE key: '%s'", path, key);
    kp_strlcpy(s->server_key, key, sizeof s->server_key);
    free(key);
    return 0;
}

th_server *th_server_start_opts(const th_opts *o)
{
    th_server *s = calloc(1, sizeof *s);
    if (o->data_dir) {
        kp_strlcpy(s->dir, o->data_dir, sizeof s->dir);
    } else {
        kp_strlcpy(s->dir, "/tmp/kompass-test-XXXXXX", sizeof s->dir);
        cr_assert(mkdtemp(s->dir), "mkdtemp: %s", strerror(errno));
        chmod(s->dir, 0755); /* the embedded cluster's user must get through */
    }
    s->embedded = o->embedded;
    s->insecure = o->insecure;
    if (o->conninfo) {
        kp_strlcpy(s->conninfo, o->conninfo, sizeof s->conninfo);
    } else if (!o->embedded) {
        if (o->dbname) {
            kp_strlcpy(s->dbname, o->dbname, sizeof s->dbname);
            th_db_conninfo(s->dbname, s->conninfo, sizeof s->conninfo);
        } else {
            th_db_create(s->dbname, sizeof s->dbname, s->conninfo, sizeof s->conninfo);
        }
    } else {
        snprintf(s->conninfo, sizeof s->conninfo,
                 "host=%s/pg port=5432 user=kompass dbname=kompass connect_timeout=5", s->dir);
    }
    snprintf(s->log, sizeof s->log, "%s/kompassd.log", s->dir);

    const char *argv[64];
    int n = 0;
    char workers[16];
    argv[n++] = th_bin("kompassd");
    argv[n++] = "--data-dir";
    argv[n++] = s->dir;
    if (!o->embedded) {
        argv[n++] = "--db";
        argv[n++] = s->conninfo;
    }
    argv[n++] = "--listen";
    argv[n++] = "tcp://127.0.0.1:*";
    argv[n++] = "--publish";
    argv[n++] = "tcp://127.0.0.1:*";
    argv[n++] = "--log-level";
    argv[n++] = "debug";
    if (o->insecure) argv[n++] = "--insecure";
    if (o->workers) {
        snprintf(workers, sizeof workers, "%d", o->workers);
        argv[n++] = "--workers";
        argv[n++] = workers;
    }
    for (int i = 0; o->extra_args && o->extra_args[i] && n < 62; i++)
        argv[n++] = o->extra_args[i];
    argv[n] = NULL;

    pid_t parent = getpid();
    s->pid = fork();
    cr_assert(s->pid >= 0);
    if (s->pid == 0) {
        /* A failed assertion ends the test process without th_server_free:
         * the server must not outlive it (SIGTERM stops it cleanly). */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(127);
        int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 2);
        dup2(fd, 1);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        const char *ap = o->admin_password ? o->admin_password : TH_ADMIN_PASSWORD;
        if (*ap)
            setenv("KOMPASS_ADMIN_PASSWORD", ap, 1);
        else
            unsetenv("KOMPASS_ADMIN_PASSWORD");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (o->expect_fail) return s;
    int64_t deadline = kp_mono_ms() + 120000;
    while (kp_mono_ms() < deadline) {
        if (s_read_endpoints(s) == 0) return s;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            char *log = th_server_log(s);
            cr_assert_fail("kompassd exited during start-up:\n%s", log);
        }
        usleep(20000);
    }
    char *log = th_server_log(s);
    cr_assert_fail("kompassd did not become ready in 120 s:\n%s", log);
    return NULL;
}

th_server *th_server_start(const char *const *extra_args)
{
    th_opts o = {0};
    o.extra_args = extra_args;
    return th_server_start_opts(&o);
}

int th_server_wait_exit(th_server *s, int timeout_ms)
{
    if (!s->pid) return -1;
    int64_t deadline = kp_mono_ms() + timeout_ms;
    while (kp_mono_ms() < deadline) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(10000);
    }
    return -1;
}

int th_server_stop(th_server *s)
{
    if (!s->pid) return -1;
    kill(s->pid, SIGTERM);
    int rc = th_server_wait_exit(s, 60000);
    if (rc < 0 && s->pid) {
        kill(s->pid, SIGKILL);
        th_server_wait_exit(s, 10000);
        return -1;
    }
    return rc;
}

void th_server_free(th_server **s_p)
{
    th_server *s = *s_p;
    if (!s) return;
    if (s->pid) th_server_stop(s);
    /* A sanitizer's report in kompassd fails the test that ran it. */
    char *log = th_server_log(s);
    const char *report = strstr(log, "Sanitizer");
    if (!report) report = strstr(log, "runtime error:");
    if (report) {
        const char *from = report - log > 2000 ? report - 2000 : log;
        cr_assert_fail("kompassd's log has a sanitizer report:\n%.6000s", from);
    }
    free(log);
    if (s->dbname[0]) s_db_drop(s->dbname);
    if (s->embedded) {
        /* if kompassd died, its cluster may still run */
        char data[400];
        snprintf(data, sizeof data, "%s/pg/data", s->dir);
        char pg_ctl[600];
        snprintf(pg_ctl, sizeof pg_ctl, "%s/pg_ctl", KOMPASS_PG_BINDIR);
        struct stat st;
        if (stat(data, &st) == 0 && getuid() == 0) {
            char cmd[3000];
            snprintf(cmd, sizeof cmd,
                     "runuser -u \\#%d -- %s -D %s status >/dev/null 2>&1 && runuser -u \\#%d -- "
                     "%s -D %s -m immediate stop >/dev/null 2>&1",
                     (int)st.st_uid, pg_ctl, data, (int)st.st_uid, pg_ctl, data);
            (void)!system(cmd);
        } else if (stat(data, &st) == 0) {
            char cmd[3000];
            snprintf(cmd, sizeof cmd, "%s -D %s -m immediate stop >/dev/null 2>&1", pg_ctl, data);
            (void)!system(cmd);
        }
    }
    const char *rm[] = {"/bin/rm", "-rf", s->dir, NULL};
    if (strncmp(s->dir, "/tmp/kompass-test-", 18) == 0) th_run(rm, NULL, NULL, NULL, 30000);
    free(s);
    *s_p = NULL;
}

char *th_server_log(const th_server *s)
{
    char *t = kp_read_file(s->log, 64 * 1024 * 1024, NULL);
    return t ? t : strdup("(no log)");
}

void th_curve_client(th_server *s, void *sock, char *public_key)
{
    char pub[KP_CURVE_KEY_LEN + 1], sec[KP_CURVE_KEY_LEN + 1];
    cr_assert(!s->insecure, "th_curve_client: this server runs without CURVE");
    cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
    cr_assert_eq(zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, s->server_key, KP_CURVE_KEY_LEN), 0);
    cr_assert_eq(zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, KP_CURVE_KEY_LEN), 0);
    cr_assert_eq(zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, KP_CURVE_KEY_LEN), 0);
    if (public_key) kp_strlcpy(public_key, pub, KP_CURVE_KEY_LEN + 1);
}

static void *s_dealer(th_server *s, int curve)
{
    void *sock = zmq_socket(th_zctx(), ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (curve) th_curve_client(s, sock, NULL);
    cr_assert_eq(zmq_connect(sock, s->listen), 0);
    return sock;
}

void *th_dealer(th_server *s)
{
    return s_dealer(s, !s->insecure);
}

void *th_dealer_plain(th_server *s)
{
    return s_dealer(s, 0);
}

static kp_response *s_wait(void *sock, kp_arena *arena, int timeout_ms)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, timeout_ms) <= 0) return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sock, 0) < 0) return NULL;
    cr_assert(!zmq_msg_more(&m), "reply has more than one frame");
    kp_response *r = NULL;
    const char *e;
    kp_wire_decode_response(arena, zmq_msg_data(&m), zmq_msg_size(&m), &r, &e);
    zmq_msg_close(&m);
    cr_assert(r, "reply is not a kompass.v1.Response");
    return r;
}

kp_response *th_call_raw(void *sock, kp_arena *arena, const void *data, size_t len, int timeout_ms)
{
    cr_assert(zmq_send(sock, data, len, 0) >= 0);
    return s_wait(sock, arena, timeout_ms);
}

kp_response *th_call(void *sock, kp_arena *arena, kp_request *req, int timeout_ms)
{
    if (!req->request_id || !*req->request_id) {
        char id[33];
        kp_random_id(id);
        req->request_id = kp_arena_strdup(arena, id);
    }
    if (!req->protocol_version) req->protocol_version = KP_PROTOCOL_VERSION;
    size_t len;
    void *frame = kp_wire_encode_request(arena, req, &len);
    return th_call_raw(sock, arena, frame, len, timeout_ms);
}

/* ---------------------------------------------------------------- teams */

void th_login_new(th_server *s, const char *login, char *home, size_t len)
{
    snprintf(home, len, "%s/home-%s-%d", s->dir, login, (int)s->pid);
    mkdir(home, 0700);
    th_login(s, home, login, strcmp(login, "admin") == 0 ? TH_ADMIN_PASSWORD : TH_PASSWORD);
}

void th_admin_login(th_server *s, char *home, size_t len)
{
    th_home(s, "admin", home, len);
    th_login(s, home, "admin", TH_ADMIN_PASSWORD);
}

void th_user(th_server *s, const char *admin_home, const char *login, const char *name,
             const char *org, const char *role, char *home, size_t len)
{
    const char *args[] = {"user", "add",    login, "--name",           name, "--org",
                          org,    "--role", role,  "--password-stdin", NULL};
    char *err = NULL;
    int rc = th_cli_full(s, admin_home, TH_PASSWORD, NULL, &err, args);
    cr_assert_eq(rc, 0, "user add %s failed: %s", login, err);
    free(err);
    th_home(s, login, home, len);
    th_login(s, home, login, TH_PASSWORD);
}

json_t *th_json(th_server *s, const char *home, int expect, const char *arg, ...)
{
    const char *args[60];
    int n = 0;
    args[n++] = "--json";
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 59; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    char *out = NULL, *err = NULL;
    int rc = th_cli_full(s, home, NULL, &out, &err, args);
    cr_assert_eq(rc, expect, "kompass %s exited %d, not %d: %s %s", arg, rc, expect, out, err);
    json_error_t e;
    json_t *doc = json_loads(out, 0, &e);
    cr_assert(doc, "kompass --json %s printed no JSON (%s): %s", arg, e.text, out);
    free(out);
    free(err);
    return doc;
}

long long th_eval(th_server *s, const char *admin_home, const char *municipality, const char *label)
{
    th_cli_as(s, admin_home, NULL, NULL, NULL, "municipality", "add", municipality, NULL);
    json_t *doc = th_json(s, admin_home, 0, "eval", "create", "--municipality", municipality,
                          "--framework", "KK2015", "--label", label, NULL);
    long long id = (long long)json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    cr_assert_gt(id, 0);
    return id;
}

long long th_scoring_eval(th_server *s, const char *admin_home, char *lead, char *peer)
{
    th_user(s, admin_home, "christine", "Christine Feuk", "SKL", "evaluator", lead, 300);
    th_user(s, admin_home, "ewa", "Ewa Luvö", "Borås Stad", "evaluator", peer, 300);
    long long id = th_eval(s, admin_home, "Västerås stad", "2017");
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    cr_assert_eq(th_cli_as(s, admin_home, NULL, NULL, NULL, "eval", "assign", ids, "christine",
                           "--as", "lead", NULL),
                 0);
    cr_assert_eq(th_cli_as(s, admin_home, NULL, NULL, NULL, "eval", "assign", ids, "ewa", "--as",
                           "peer", NULL),
                 0);
    char *err = NULL;
    cr_assert_eq(th_cli_as(s, lead, NULL, NULL, &err, "eval", "start", ids, NULL), 0, "%s", err);
    free(err);
    return id;
}

int th_sql_try(th_server *s, const char *sql, char **err)
{
    PGconn *c = PQconnectdb(s->conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? 0 : -1;
    if (rc != 0 && err) *err = strdup(PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return rc;
}
