/*  Transport security: every TCP endpoint speaks CURVE with the key pair
 *  kompassd keeps in DATA-DIR/curve; a client with the wrong key or without
 *  CURVE gets nothing, and the CLI says why; plain text only with --insecure
 *  and only on loopback. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "util.h"

static kp_request *s_ping(kp_arena *a)
{
    kp_request *req = kp_arena_zalloc(a, sizeof *req);
    kompass__v1__request__init(req);
    Kompass__V1__PingRequest *p = kp_arena_zalloc(a, sizeof *p);
    kompass__v1__ping_request__init(p);
    req->body_case = KOMPASS__V1__REQUEST__BODY_PING;
    req->ping = p;
    return req;
}

/* A valid public key that belongs to no server. */
static void s_other_key(char *out)
{
    char sec[KP_CURVE_KEY_LEN + 1];
    cr_assert_eq(zmq_curve_keypair(out, sec), 0);
}

static char *s_file(const th_server *s, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", s->dir, name);
    char *t = kp_read_file(path, 4096, NULL);
    cr_assert(t, "cannot read %s", path);
    return kp_trim(t);
}

static mode_t s_mode(const th_server *s, const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", s->dir, name);
    cr_assert_eq(stat(path, &st), 0, "%s missing", path);
    return st.st_mode & 07777;
}

Test(transport, key_pair_made_at_first_start_secret_is_0600, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    cr_assert_eq(s_mode(s, "curve/server.key"), 0600);
    cr_assert_eq(s_mode(s, "curve/server.pub"), 0644);
    char *pub = s_file(s, "curve/server.pub");
    cr_assert_str_eq(pub, s->server_key);
    free(pub);
    char *log = th_server_log(s);
    char *sec = s_file(s, "curve/server.key");
    cr_assert(!strstr(log, sec), "the secret key is in the log");
    cr_assert(strstr(log, "made a new CURVE key pair"), "%s", log);
    free(sec);
    free(log);
    th_server_free(&s);
}

Test(transport, print_public_key_needs_no_server_and_is_stable, .timeout = 60)
{
    char dir[] = "/tmp/kompass-test-XXXXXX";
    cr_assert(mkdtemp(dir));
    const char *argv[] = {th_bin("kompassd"), "--data-dir", dir, "--print-public-key", NULL};
    char *out1 = NULL, *out2 = NULL, *err = NULL;
    cr_assert_eq(th_run(argv, NULL, &out1, &err, 30000), 0, "%s", err);
    free(err);
    kp_trim(out1);
    cr_assert(kp_curve_key_valid(out1), "not a key: '%s'", out1);
    cr_assert_eq(th_run(argv, NULL, &out2, NULL, 30000), 0);
    kp_trim(out2);
    cr_assert_str_eq(out1, out2, "a second run made a new key");
    char pg[300];
    snprintf(pg, sizeof pg, "%s/pg", dir);
    cr_assert_neq(access(pg, F_OK), 0, "--print-public-key started a database");

    /* A server started on that data dir uses the same pair. */
    th_opts o = {0};
    o.data_dir = dir;
    th_server *s = th_server_start_opts(&o);
    cr_assert_str_eq(s->server_key, out1);
    char *out = NULL;
    cr_assert_eq(th_cli(s, &out, NULL, "ping", NULL), 0, "%s", out);
    free(out);
    free(out1);
    free(out2);
    th_server_free(&s);
}

Test(transport, wrong_server_key_gets_no_answer_and_cli_says_so, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    char wrong[KP_CURVE_KEY_LEN + 1];
    s_other_key(wrong);

    /* Raw: the handshake fails, nothing comes back. */
    void *sock = zmq_socket(th_zctx(), ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    th_server fake = *s;
    kp_strlcpy(fake.server_key, wrong, sizeof fake.server_key);
    th_curve_client(&fake, sock, NULL);
    cr_assert_eq(zmq_connect(sock, s->listen), 0);
    kp_arena *a = kp_arena_new();
    size_t len;
    kp_request *req = s_ping(a);
    req->request_id = "x";
    req->protocol_version = 1;
    void *frame = kp_wire_encode_request(a, req, &len);
    zmq_send(sock, frame, len, ZMQ_DONTWAIT);
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&it, 1, 1500), 0, "a client with the wrong server key got an answer");
    zmq_close(sock);

    /* CLI: exit 6 and a sentence that points at the key. */
    const char *args[] = {"--server",  s->listen, "--server-key", wrong,
                          "--timeout", "1.5",     "ping",         NULL};
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_full(NULL, s->dir, NULL, &out, &err, args), 6, "%s", err);
    cr_assert(strstr(err, "server key may be wrong"), "%s", err);
    cr_assert(strstr(err, "--print-public-key"), "%s", err);
    free(out);
    free(err);

    /* And the right key still works. */
    cr_assert_eq(th_cli(s, &out, NULL, "ping", NULL), 0, "%s", out);
    free(out);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(transport, plain_text_client_cannot_talk_to_a_curve_endpoint, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    void *sock = th_dealer_plain(s);
    kp_arena *a = kp_arena_new();
    cr_assert_null(th_call(sock, a, s_ping(a), 1500), "a plain-text client got an answer");
    zmq_close(sock);

    /* The CLI with --insecure against it: refused, and told why. */
    const char *args[] = {"--server", s->listen, "--insecure", "--timeout", "1.5", "ping", NULL};
    char *err = NULL;
    cr_assert_eq(th_cli_full(NULL, s->dir, NULL, NULL, &err, args), 6, "%s", err);
    cr_assert(strstr(err, "refused a plain-text (--insecure) connection"), "%s", err);
    free(err);
    kp_arena_destroy(&a);
    th_server_free(&s);
}

Test(transport, publisher_speaks_curve_too, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    for (int curve = 0; curve <= 1; curve++) {
        void *sub = zmq_socket(th_zctx(), ZMQ_SUB);
        int linger = 0;
        zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
        if (curve) th_curve_client(s, sub, NULL);
        char mon_ep[64];
        snprintf(mon_ep, sizeof mon_ep, "inproc://sub-monitor-%d", curve);
        cr_assert_eq(zmq_socket_monitor(sub, mon_ep,
                                        ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL),
                     0);
        void *mon = zmq_socket(th_zctx(), ZMQ_PAIR);
        zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof linger);
        cr_assert_eq(zmq_connect(mon, mon_ep), 0);
        cr_assert_eq(zmq_connect(sub, s->publish), 0);
        zmq_pollitem_t it = {mon, 0, ZMQ_POLLIN, 0};
        cr_assert_eq(zmq_poll(&it, 1, 5000), 1, "no handshake event from the publisher");
        zmq_msg_t ev;
        zmq_msg_init(&ev);
        zmq_msg_recv(&ev, mon, 0);
        uint16_t id;
        memcpy(&id, zmq_msg_data(&ev), 2);
        zmq_msg_close(&ev);
        if (curve)
            cr_assert_eq(id, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, "CURVE subscriber: event %u", id);
        else
            cr_assert_neq(id, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, "a plain subscriber was let in");
        zmq_close(sub);
        zmq_close(mon);
    }
    th_server_free(&s);
}

Test(transport, insecure_is_refused_for_non_loopback_addresses, .timeout = 60)
{
    const char *listen_any[] = {"--insecure", "--listen", "tcp://0.0.0.0:*", NULL};
    const char *publish_any[] = {"--insecure", "--publish", "tcp://*:*", NULL};
    const char *const *cases[] = {listen_any, publish_any};
    for (int i = 0; i < 2; i++) {
        th_opts o = {0};
        o.extra_args = cases[i];
        o.expect_fail = 1;
        th_server *s = th_server_start_opts(&o);
        cr_assert_eq(th_server_wait_exit(s, 30000), 2);
        char *log = th_server_log(s);
        cr_assert(strstr(log, "--insecure is refused for"), "%s", log);
        cr_assert(strstr(log, "only allowed on loopback"), "%s", log);
        free(log);
        th_server_free(&s);
    }
}

Test(transport, insecure_loopback_server_and_cli, .timeout = 120)
{
    th_opts o = {0};
    o.insecure = 1;
    th_server *s = th_server_start_opts(&o);
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli(s, &out, &err, "ping", NULL), 0, "%s", err);
    free(out);
    free(err);
    char *log = th_server_log(s);
    cr_assert(strstr(log, "--insecure: no CURVE"), "%s", log);
    free(log);
    /* No key pair is made for a server that does not use one. */
    char path[400];
    snprintf(path, sizeof path, "%s/curve/server.key", s->dir);
    cr_assert_neq(access(path, F_OK), 0);

    /* A CURVE client against a plain server: the CLI says the key or the
     * server's mode may be the problem. */
    char key[KP_CURVE_KEY_LEN + 1];
    s_other_key(key);
    const char *args[] = {"--server",  s->listen, "--server-key", key,
                          "--timeout", "1.5",     "ping",         NULL};
    cr_assert_eq(th_cli_full(NULL, s->dir, NULL, NULL, &err, args), 6, "%s", err);
    cr_assert(strstr(err, "or the server runs --insecure"), "%s", err);
    free(err);
    th_server_free(&s);
}

Test(transport, cli_refuses_insecure_to_another_machine, .timeout = 30)
{
    /* Refused before any connection is attempted. */
    const char *args[] = {"--server", "tcp://kompass.example:5555", "--insecure", "ping", NULL};
    char *err = NULL;
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, NULL, &err, args), 1, "%s", err);
    cr_assert(strstr(err, "--insecure is refused for tcp://kompass.example:5555"), "%s", err);
    free(err);
}

Test(transport, cli_without_a_server_key_says_where_to_get_one, .timeout = 30)
{
    const char *args[] = {"--server", "tcp://127.0.0.1:9", "ping", NULL};
    char *err = NULL;
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, NULL, &err, args), 1, "%s", err);
    cr_assert(strstr(err, "no server key for tcp://127.0.0.1:9"), "%s", err);
    cr_assert(strstr(err, "kompassd --print-public-key"), "%s", err);
    free(err);
    const char *bad[] = {"--server-key", "not-a-key", "ping", NULL};
    cr_assert_eq(th_cli_full(NULL, "/nonexistent", NULL, NULL, &err, bad), 2, "%s", err);
    cr_assert(strstr(err, "server_key must be the server's CURVE public key"), "%s", err);
    free(err);
}

Test(transport, server_and_key_from_the_config_file, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    char home[400], path[500];
    snprintf(home, sizeof home, "%s/home", s->dir);
    snprintf(path, sizeof path, "%s/kompass", home);
    cr_assert_eq(kp_mkdir_p(path, 0700), 0);
    snprintf(path, sizeof path, "%s/kompass/config", home);
    char text[600];
    int n = snprintf(text, sizeof text, "server = %s\nserver_key = %s\n", s->listen, s->server_key);
    cr_assert_eq(kp_write_file(path, text, (size_t)n, 0600), 0);
    const char *args[] = {"ping", NULL};
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_full(NULL, home, NULL, &out, &err, args), 0, "%s", err);
    free(out);
    free(err);
    th_server_free(&s);
}

Test(transport, loose_secret_key_or_foreign_public_key_stop_startup, .timeout = 120)
{
    th_server *s = th_server_start(NULL);
    cr_assert_eq(th_server_stop(s), 0);
    char key[400], pub[400];
    snprintf(key, sizeof key, "%s/curve/server.key", s->dir);
    snprintf(pub, sizeof pub, "%s/curve/server.pub", s->dir);

    cr_assert_eq(chmod(key, 0644), 0);
    th_opts o = {0};
    o.data_dir = s->dir;
    o.dbname = s->dbname;
    o.expect_fail = 1;
    th_server *again = th_server_start_opts(&o);
    cr_assert_eq(th_server_wait_exit(again, 30000), 1);
    char *log = th_server_log(again);
    cr_assert(strstr(log, "is readable by others (mode 0644)"), "%s", log);
    free(log);
    free(again);
    cr_assert_eq(chmod(key, 0600), 0);

    char other[KP_CURVE_KEY_LEN + 2];
    s_other_key(other);
    strcat(other, "\n");
    cr_assert_eq(kp_write_file(pub, other, strlen(other), 0644), 0);
    again = th_server_start_opts(&o);
    cr_assert_eq(th_server_wait_exit(again, 30000), 1);
    log = th_server_log(again);
    cr_assert(strstr(log, "server.pub does not belong to"), "%s", log);
    free(log);
    free(again);

    /* Without server.pub it is derived again from the secret key. */
    cr_assert_eq(unlink(pub), 0);
    o.expect_fail = 0;
    again = th_server_start_opts(&o);
    cr_assert_str_eq(again->server_key, s->server_key);
    cr_assert_eq(th_server_stop(again), 0);
    free(again);
    th_server_free(&s);
}
