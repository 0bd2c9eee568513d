/*  The audit module against a real PostgreSQL: appending inside the caller's
 *  transaction, the database's append-only enforcement, tampering by a
 *  superuser caught by verify at the right event, concurrent writers, the
 *  canonical form against Python's.
 *
 *  Each test gets a fresh database with every migration applied, and works
 *  through real kp_db handles: as kompass_app (what kompassd's workers are)
 *  for the module, as the superuser (th_sql) for tampering.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_verify.h"
#include "harness.h"
#include "statements.h"
#include "migrate.h"
#include "util.h"

/* A migrated database, named like a server's so that th_sql works on it. */
static th_server db_owner;
static kp_db *db;
static kp_arena *arena;

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    memset(&db_owner, 0, sizeof db_owner);
    th_db_create(db_owner.dbname, sizeof db_owner.dbname, db_owner.conninfo,
                 sizeof db_owner.conninfo);
    PGconn *c = PQconnectdb(db_owner.conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    char err[1024];
    cr_assert(kp_migrate(c, kp_migrations, err, sizeof err) >= 0, "%s", err);
    PQfinish(c);
    kp_db_use_statements(kp_statement_sets);
    db = kp_db_new(db_owner.conninfo);
    cr_assert_eq(kp_db_ensure(db), KP_OK, "%s", kp_db_error(db));
    arena = kp_arena_new();
}

static void teardown(void)
{
    kp_db_destroy(&db);
    kp_arena_destroy(&arena);
    /* th_server_free drops the database; the struct is static */
    th_server *s = calloc(1, sizeof *s);
    memcpy(s, &db_owner, sizeof *s);
    kp_strlcpy(s->dir, "/nonexistent", sizeof s->dir);
    th_server_free(&s);
}

TestSuite(audit, .init = setup, .fini = teardown, .timeout = 120);

/* A request as the session check would leave it: user ewa, an admin. */
static kp_req *s_req(kp_db *d, kp_arena *a)
{
    kp_req *r = kp_arena_zalloc(a, sizeof *r);
    r->arena = a;
    r->db = d;
    r->resp = kp_arena_zalloc(a, sizeof *r->resp);
    kompass__v1__response__init(r->resp);
    r->peer_addr = "192.0.2.7";
    r->peer_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    r->user_id = 2;
    r->login = "ewa";
    r->full_name = "Ewa Luvö";
    r->role = "admin";
    return r;
}

/* Appends one event in its own transaction; the status. */
static int s_append(kp_req *r, const kp_audit_event *ev)
{
    cr_assert_eq(kp_db_begin(r->db), KP_OK);
    int rc = kp_audit_append(r, ev);
    if (rc == KP_OK)
        rc = kp_db_commit(r->db);
    else
        kp_db_rollback(r->db);
    return rc;
}

/* Appends n global events "user.set" with after {"n": i}. */
static void s_fill(int n)
{
    kp_req *r = s_req(db, arena);
    for (int i = 1; i <= n; i++) {
        kp_audit_event ev = {0};
        ev.action = "user.set";
        ev.target = kp_arena_printf(arena, "user u%d", i);
        ev.before = i > 1 ? kp_arena_printf(arena, "{\"n\":%d}", i - 1) : NULL;
        ev.after = kp_arena_printf(arena, "{\"n\":%d}", i);
        cr_assert_eq(s_append(r, &ev), KP_OK, "%s", r->resp->error);
    }
}

static int64_t s_count(const char *where)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_events WHERE %s", where);
    char *v = th_sql(&db_owner, sql);
    int64_t n = strtoll(v, NULL, 10);
    free(v);
    return n;
}

static kp_audit_chain_report s_verify(int64_t chain)
{
    kp_audit_chain_report rep;
    cr_assert_eq(kp_audit_verify_chain(db, arena, chain, &rep), KP_OK, "%s", kp_db_error(db));
    return rep;
}

/* Runs sql as the superuser on a fresh connection; the SQLSTATE of its
 * failure, or "" when it succeeded. */
static char *s_try_sql(const char *sql)
{
    static char state[8];
    PGconn *c = PQconnectdb(db_owner.conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK);
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    kp_strlcpy(state, st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? "" : (s ? s : "?"),
               sizeof state);
    PQclear(res);
    PQfinish(c);
    return state;
}

/* ------------------------------------------------------------ recording */

Test(audit, events_form_a_linked_chain_with_every_field)
{
    kp_req *r = s_req(db, arena);
    kp_audit_event ev = {0};
    ev.action = "score.set";
    ev.evaluation_id = 12;
    ev.target = "score 1.4 of evaluator ewa";
    ev.before = "{\"points\":\"20\"}";
    ev.after = "{\"points\":\"22.5\"}";
    ev.eval_version = 17;
    int64_t t0 = kp_now_us();
    cr_assert_eq(s_append(r, &ev), KP_OK, "%s", r->resp->error);
    ev.before = ev.after;
    ev.after = "{\"points\":\"25\"}";
    ev.eval_version = 18;
    ev.on_behalf_id = 5;
    ev.on_behalf_login = "christine";
    ev.reason = "agreed at the consensus meeting";
    cr_assert_eq(s_append(r, &ev), KP_OK, "%s", r->resp->error);

    PGresult *res = NULL;
    const char *p[2] = {"12", "0"};
    cr_assert_eq(kp_db_call(db, "audit_verify_page", 2, p, &res), KP_OK);
    cr_assert_eq(PQntuples(res), 2);
    kp_audit_record e1, e2;
    kp_audit_record_from_row(res, 0, &e1);
    kp_audit_record_from_row(res, 1, &e2);
    cr_assert_eq(e1.seq, 1);
    cr_assert_str_eq(e1.prev_hash, KP_AUDIT_GENESIS);
    cr_assert_eq(e1.actor_id, 2);
    cr_assert_str_eq(e1.actor, "ewa");
    cr_assert_eq(e1.real_actor_id, 0);
    cr_assert_str_eq(e1.real_actor, "");
    cr_assert_str_eq(e1.client_addr, "192.0.2.7");
    cr_assert_str_eq(e1.client_key, "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
    cr_assert_str_eq(e1.action, "score.set");
    cr_assert_str_eq(e1.target, "score 1.4 of evaluator ewa");
    cr_assert_str_eq(e1.before, "{\"points\":\"20\"}");
    cr_assert_str_eq(e1.after, "{\"points\":\"22.5\"}");
    cr_assert_eq(e1.eval_version, 17);
    cr_assert(e1.at_us >= t0 - 5000000 && e1.at_us <= kp_now_us() + 5000000,
              "server time %" PRId64 " is far from ours", e1.at_us);
    char h[65];
    cr_assert_eq(kp_audit_hash(&e1, h), 0);
    cr_assert_str_eq(h, e1.hash);

    /* on behalf: the actor is christine, the admin ewa the real actor */
    cr_assert_eq(e2.seq, 2);
    cr_assert_str_eq(e2.prev_hash, e1.hash);
    cr_assert_eq(e2.actor_id, 5);
    cr_assert_str_eq(e2.actor, "christine");
    cr_assert_eq(e2.real_actor_id, 2);
    cr_assert_str_eq(e2.real_actor, "ewa");
    cr_assert_str_eq(e2.reason, "agreed at the consensus meeting");
    cr_assert(e2.at_us >= e1.at_us);
    char head[65];
    kp_strlcpy(head, e2.hash, sizeof head);
    PQclear(res);

    /* the global chain is separate */
    kp_audit_event g = {0};
    g.action = "user.add";
    g.target = "user anna";
    g.after = "{\"login\":\"anna\"}";
    cr_assert_eq(s_append(r, &g), KP_OK);
    cr_assert_eq(s_count("evaluation_id = 0 AND seq = 1"), 1);
    cr_assert(s_verify(12).ok);
    cr_assert(s_verify(0).ok);
    cr_assert_eq(s_verify(12).head_seq, 2);
    cr_assert_str_eq(s_verify(12).head_hash, head);
}

Test(audit, rolled_back_change_leaves_no_event)
{
    kp_req *r = s_req(db, arena);
    kp_audit_event ev = {0};
    ev.action = "user.disable";
    ev.target = "user ewa";
    ev.before = "{\"disabled\":false}";
    ev.after = "{\"disabled\":true}";
    cr_assert_eq(kp_db_begin(db), KP_OK);
    cr_assert_eq(kp_audit_append(r, &ev), KP_OK, "%s", r->resp->error);
    kp_db_rollback(db); /* the change failed after the event was written */
    cr_assert_eq(s_count("true"), 0);

    /* and the chain carries on from where it was: seq 1, genesis */
    cr_assert_eq(s_append(r, &ev), KP_OK);
    cr_assert_eq(s_count("seq = 1"), 1);
    cr_assert(s_verify(0).ok);
}

Test(audit, reason_is_required_where_the_action_needs_one)
{
    kp_req *r = s_req(db, arena);
    kp_audit_event ev = {0};
    ev.action = "lock.break";
    ev.evaluation_id = 3;
    ev.target = "section 4.2 held by ewa";
    ev.reason_required = 1;
    cr_assert_eq(s_append(r, &ev), KP_BAD_REQUEST);
    cr_assert(strstr(r->resp->error, "lock.break requires a reason"), "%s", r->resp->error);
    ev.reason = "  \t ";
    cr_assert_eq(s_append(r, &ev), KP_BAD_REQUEST, "white space is no reason");
    cr_assert_eq(s_count("true"), 0);
    ev.reason = "ewa is on leave";
    cr_assert_eq(s_append(r, &ev), KP_OK, "%s", r->resp->error);
    char *reason = th_sql(&db_owner, "SELECT reason FROM audit_events");
    cr_assert_str_eq(reason, "ewa is on leave");
    free(reason);
}

Test(audit, malformed_events_and_secrets_are_refused_and_nothing_is_written)
{
    kp_req *r = s_req(db, arena);
    kp_audit_event ok = {0};
    ok.action = "user.passwd";
    ok.target = "user ewa";
    ok.after = "{\"password_changed\":true}";

    kp_audit_event ev = ok;
    ev.after = "{\"login\":\"ewa\",\"password_hash\":\"$argon2id$...\"}";
    cr_assert_eq(s_append(r, &ev), KP_INTERNAL);
    ev.after = "{\"creds\":[{\"Token\":\"abc\"}]}";
    cr_assert_eq(s_append(r, &ev), KP_INTERNAL, "a nested secret is still a secret");
    ev = ok;
    ev.before = "{not json";
    cr_assert_eq(s_append(r, &ev), KP_INTERNAL);
    ev = ok;
    ev.action = "User Add";
    cr_assert_eq(s_append(r, &ev), KP_INTERNAL);
    ev = ok;
    ev.target = "";
    cr_assert_eq(s_append(r, &ev), KP_INTERNAL);
    cr_assert(strstr(r->resp->error, "internal error while recording"), "%s", r->resp->error);
    cr_assert_eq(s_count("true"), 0);

    /* outside a transaction: refused, nothing written */
    r->resp->status = 0;
    cr_assert_eq(kp_audit_append(r, &ok), KP_INTERNAL);
    cr_assert_eq(s_count("true"), 0);

    /* "password_changed" is a secret-looking key too: handlers say what
     * happened without such words */
    ok.after = "{\"changed\":\"credentials\"}";
    cr_assert_eq(s_append(r, &ok), KP_OK, "%s", r->resp->error);
}

/* ------------------------------------------------------------ append-only */

Test(audit, app_role_cannot_update_delete_or_truncate)
{
    s_fill(2);
    PGconn *c = kp_db_conn(db); /* kompassd's worker session: SET ROLE kompass_app */
    const char *refused[] = {"UPDATE audit_events SET reason = 'x'",
                             "DELETE FROM audit_events WHERE seq = 2",
                             "TRUNCATE audit_events",
                             "UPDATE audit_events SET hash = hash WHERE false",
                             "ALTER TABLE audit_events DISABLE TRIGGER USER",
                             "DROP TABLE audit_events",
                             "UPDATE security_log SET detail = ''",
                             "DELETE FROM security_log",
                             "TRUNCATE security_log",
                             NULL};
    for (int i = 0; refused[i]; i++) {
        PGresult *res = PQexec(c, refused[i]);
        cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "kompass_app may: %s", refused[i]);
        PQclear(res);
    }
    PGresult *res = PQexec(c, "SELECT current_user");
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "kompass_app");
    PQclear(res);
    cr_assert_eq(s_count("true"), 2);
    cr_assert(s_verify(0).ok);
}

Test(audit, triggers_refuse_changes_even_to_a_role_granted_them)
{
    s_fill(2);
    /* Give kompass_app the privileges for one transaction: the triggers
     * still refuse, because it is not a superuser. */
    const char *ops[] = {"UPDATE audit_events SET reason = 'x'",
                         "DELETE FROM audit_events",
                         "TRUNCATE audit_events",
                         "UPDATE security_log SET detail = 'x'",
                         "DELETE FROM security_log",
                         "TRUNCATE security_log",
                         NULL};
    for (int i = 0; ops[i]; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "BEGIN; GRANT UPDATE, DELETE, TRUNCATE ON audit_events, security_log "
                 "TO kompass_app; "
                 "SET LOCAL ROLE kompass_app; %s; COMMIT",
                 ops[i]);
        PGconn *c = PQconnectdb(db_owner.conninfo);
        PGresult *res = PQexec(c, sql);
        cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "%s succeeded", ops[i]);
        cr_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501");
        cr_assert(strstr(PQresultErrorMessage(res), "append-only"), "%s",
                  PQresultErrorMessage(res));
        PQclear(res);
        PQfinish(c);
    }
    cr_assert_eq(s_count("true"), 2);
}

Test(audit, insert_that_does_not_extend_the_chain_is_refused)
{
    s_fill(2);
    /* as kompass_app, bypassing the module: a forged third event */
    PGresult *res =
        PQexec(kp_db_conn(db), "INSERT INTO audit_events (evaluation_id, seq, at, action, target, "
                               "prev_hash, hash) VALUES (0, 3, now(), 'user.set', 'x', "
                               "repeat('0', 64), repeat('1', 64))");
    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
    cr_assert(strstr(PQresultErrorMessage(res), "does not extend chain"), "%s",
              PQresultErrorMessage(res));
    PQclear(res);
    cr_assert_eq(s_count("true"), 2);
}

/* ------------------------------------------------------------ tampering */

Test(audit, changed_value_is_found_at_that_event)
{
    s_fill(6);
    cr_assert(s_verify(0).ok);
    cr_assert_str_eq(s_try_sql("UPDATE audit_events SET after = '{\"n\":99}' WHERE seq = 3"), "");
    kp_audit_chain_report rep = s_verify(0);
    cr_assert(!rep.ok);
    cr_assert_eq(rep.bad_seq, 3);
    cr_assert_eq(rep.head_seq, 2);
    cr_assert(strstr(rep.problem, "content changed"), "%s", rep.problem);
    char *id = th_sql(&db_owner, "SELECT id FROM audit_events WHERE seq = 3");
    cr_assert_eq(rep.bad_id, strtoll(id, NULL, 10));
    free(id);
    char *at =
        th_sql(&db_owner, "SELECT (extract(epoch FROM at) * 1000000)::bigint FROM audit_events "
                          "WHERE seq = 3");
    cr_assert_eq(rep.bad_at_us, strtoll(at, NULL, 10));
    free(at);
}

Test(audit, changed_value_with_recomputed_hash_breaks_the_next_link)
{
    s_fill(6);
    /* A tamperer who knows the format rewrites event 3 and its hash. */
    PGresult *res = NULL;
    const char *p[2] = {"0", "2"};
    cr_assert_eq(kp_db_call(db, "audit_verify_page", 2, p, &res), KP_OK);
    kp_audit_record e;
    kp_audit_record_from_row(res, 0, &e);
    cr_assert_eq(e.seq, 3);
    e.after = "{\"n\":99}";
    char h[65];
    kp_audit_hash(&e, h);
    PQclear(res);
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE audit_events SET after = '{\"n\":99}', hash = '%s' WHERE seq = 3", h);
    cr_assert_str_eq(s_try_sql(sql), "");
    kp_audit_chain_report rep = s_verify(0);
    cr_assert(!rep.ok);
    cr_assert_eq(rep.bad_seq, 4);
    cr_assert(strstr(rep.problem, "link broken"), "%s", rep.problem);
    cr_assert(!strstr(rep.problem, "content changed"), "%s", rep.problem);
}

Test(audit, deleted_event_is_found_at_the_one_after_it)
{
    s_fill(6);
    cr_assert_str_eq(s_try_sql("DELETE FROM audit_events WHERE seq = 4"), "");
    kp_audit_chain_report rep = s_verify(0);
    cr_assert(!rep.ok);
    cr_assert_eq(rep.bad_seq, 5);
    cr_assert_eq(rep.head_seq, 3);
    cr_assert(strstr(rep.problem, "sequence gap: seq 5 follows seq 3"), "%s", rep.problem);
    cr_assert(strstr(rep.problem, "link broken"), "%s", rep.problem);
}

Test(audit, deleted_first_event_is_found)
{
    s_fill(3);
    cr_assert_str_eq(s_try_sql("DELETE FROM audit_events WHERE seq = 1"), "");
    kp_audit_chain_report rep = s_verify(0);
    cr_assert(!rep.ok);
    cr_assert_eq(rep.bad_seq, 2);
    cr_assert(strstr(rep.problem, "starts at seq 2"), "%s", rep.problem);
}

Test(audit, reordered_events_are_found_at_the_first_moved)
{
    s_fill(6);
    /* swap 3 and 4 (through 1000: (evaluation_id, seq) is unique) */
    cr_assert_str_eq(s_try_sql("UPDATE audit_events SET seq = 1000 WHERE seq = 3;"
                               "UPDATE audit_events SET seq = 3 WHERE seq = 4;"
                               "UPDATE audit_events SET seq = 4 WHERE seq = 1000"),
                     "");
    kp_audit_chain_report rep = s_verify(0);
    cr_assert(!rep.ok);
    cr_assert_eq(rep.bad_seq, 3);
    cr_assert(strstr(rep.problem, "link broken"), "%s", rep.problem);
    cr_assert(strstr(rep.problem, "content changed"), "%s", rep.problem);
}

Test(audit, reorder_with_every_hash_recomputed_is_found_by_row_order)
{
    s_fill(5);
    /* The thorough tamperer: swaps 3 and 4, then re-hashes and re-links the
     * chain from 3 on, so that every hash and link matches again. */
    cr_assert_str_eq(s_try_sql("UPDATE audit_events SET seq = 1000 WHERE seq = 3;"
                               "UPDATE audit_events SET seq = 3 WHERE seq = 4;"
                               "UPDATE audit_events SET seq = 4 WHERE seq = 1000"),
                     "");
    char prev[65];
    for (int seq = 1; seq <= 5; seq++) {
        char after[8], sql[400];
        snprintf(after, sizeof after, "%d", seq - 1);
        const char *p[2] = {"0", after};
        PGresult *res = NULL;
        cr_assert_eq(kp_db_call(db, "audit_verify_page", 2, p, &res), KP_OK);
        kp_audit_record e;
        kp_audit_record_from_row(res, 0, &e);
        if (seq > 1) e.prev_hash = prev;
        char h[65];
        kp_audit_hash(&e, h);
        snprintf(sql, sizeof sql,
                 "UPDATE audit_events SET prev_hash = '%s', hash = '%s' WHERE seq = %d",
                 e.prev_hash, h, seq);
        PQclear(res);
        cr_assert_str_eq(s_try_sql(sql), "");
        kp_strlcpy(prev, h, sizeof prev);
    }
    kp_audit_chain_report rep = s_verify(0);
    cr_assert(!rep.ok);
    cr_assert_eq(rep.bad_seq, 4);
    cr_assert(strstr(rep.problem, "out of order"), "%s", rep.problem);
}

Test(audit, truncated_tail_shows_as_a_different_head)
{
    /* The limit of any hash chain (docs/audit.md): deleting the last events
     * leaves a valid, shorter chain. A head recorded earlier exposes it. */
    s_fill(4);
    kp_audit_chain_report before = s_verify(0);
    cr_assert_str_eq(s_try_sql("DELETE FROM audit_events WHERE seq = 4"), "");
    kp_audit_chain_report after = s_verify(0);
    cr_assert(after.ok);
    cr_assert_eq(after.head_seq, 3);
    cr_assert_str_neq(after.head_hash, before.head_hash);
}

/* ------------------------------------------------------------ concurrency */

typedef struct {
    const char *conninfo;
    int64_t chain;
    int n;
    int failures;
} s_writer_args;

static void *s_writer(void *argp)
{
    s_writer_args *a = argp;
    kp_db *d = kp_db_new(a->conninfo);
    kp_arena *ar = kp_arena_new();
    for (int i = 0; i < a->n; i++) {
        kp_req *r = s_req(d, ar);
        kp_audit_event ev = {0};
        ev.action = "score.set";
        ev.evaluation_id = a->chain;
        ev.target = kp_arena_printf(ar, "score %d", i);
        ev.after = kp_arena_printf(ar, "{\"points\":%d}", i);
        if (kp_db_begin(d) != KP_OK || kp_audit_append(r, &ev) != KP_OK ||
            kp_db_commit(d) != KP_OK) {
            kp_db_rollback(d);
            a->failures++;
        }
        kp_arena_reset(ar);
    }
    kp_arena_destroy(&ar);
    kp_db_destroy(&d);
    return NULL;
}

Test(audit, concurrent_writers_keep_each_chain_linear, .timeout = 300)
{
    enum { WRITERS = 8, EACH = 40 };
    pthread_t t[WRITERS];
    s_writer_args a[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        /* six on evaluation 7, two on the global chain, all at once */
        a[i] = (s_writer_args){db_owner.conninfo, i < 6 ? 7 : 0, EACH, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, s_writer, &a[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL); /* all of them before any assert ends the test */
    for (int i = 0; i < WRITERS; i++)
        cr_assert_eq(a[i].failures, 0, "writer %d: %d appends failed", i, a[i].failures);
    kp_audit_chain_report e7 = s_verify(7), g = s_verify(0);
    cr_assert(e7.ok, "%s", e7.problem);
    cr_assert(g.ok, "%s", g.problem);
    cr_assert_eq(e7.head_seq, 6 * EACH);
    cr_assert_eq(g.head_seq, 2 * EACH);
    cr_assert_eq(s_count("evaluation_id = 7"), 6 * EACH);
    char *max = th_sql(&db_owner, "SELECT max(seq) - min(seq) + 1 - count(*) FROM audit_events "
                                  "WHERE evaluation_id = 7");
    cr_assert_str_eq(max, "0", "gaps in the sequence");
    free(max);
}

Test(audit, a_chain_busy_beyond_the_lock_timeout_is_unavailable_and_writes_nothing)
{
    s_fill(1);
    /* someone holds the global chain's lock (an endless transaction) */
    PGconn *holder = PQconnectdb(db_owner.conninfo);
    PQclear(PQexec(holder, "BEGIN"));
    PGresult *res = PQexec(holder, "SELECT audit_chain_lock(0)");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
    PQclear(res);
    PQclear(PQexec(kp_db_conn(db), "SET lock_timeout = '200ms'"));

    kp_req *r = s_req(db, arena);
    kp_audit_event ev = {0};
    ev.action = "user.add";
    ev.target = "user anna";
    cr_assert_eq(s_append(r, &ev), KP_UNAVAILABLE, "%s", r->resp->error);
    cr_assert(strstr(r->resp->error, "retry"), "%s", r->resp->error);
    /* another chain is not held up */
    ev.evaluation_id = 4;
    cr_assert_eq(s_append(r, &ev), KP_OK, "%s", r->resp->error);
    PQclear(PQexec(holder, "ROLLBACK"));
    PQfinish(holder);
    ev.evaluation_id = 0;
    cr_assert_eq(s_append(r, &ev), KP_OK, "%s", r->resp->error);
    cr_assert_eq(s_count("evaluation_id = 0"), 2);
    cr_assert(s_verify(0).ok);
}

/* ------------------------------------------------------------ the canonical form */

Test(audit, canonical_form_is_the_documented_worked_example)
{
    /* docs/audit.md, "A worked example": keep the two in step. */
    kp_audit_record e = {0};
    e.evaluation_id = 12;
    e.seq = 3;
    e.at_us = 1489485600123456; /* 2017-03-14T10:00:00.123456Z */
    e.actor_id = 2;
    e.actor = "ewa";
    e.real_actor = "";
    e.client_addr = "192.0.2.7";
    e.client_key = "";
    e.action = "score.set";
    e.target = "score 1.4 of evaluator ewa";
    e.before = "{\"points\":\"20\"}";
    e.after = "{\"points\":\"22.5\"}";
    e.reason = "Västerås: new evidence";
    e.eval_version = 17;
    e.prev_hash = "5f1e07cd5ba0e0fd2bb3e5b2c3ad8ac2d6c28e80a5e3cfa1c69b0d5fbd5a7e3c";
    size_t len;
    char *text = kp_audit_canonical(&e, &len);
    const char *expected =
        "{\"action\":\"score.set\",\"actor\":\"ewa\",\"actor_id\":2,"
        "\"after\":\"{\\\"points\\\":\\\"22.5\\\"}\",\"at\":\"2017-03-14T10:00:00.123456Z\","
        "\"before\":\"{\\\"points\\\":\\\"20\\\"}\",\"client_addr\":\"192.0.2.7\","
        "\"client_key\":\"\",\"eval_version\":17,\"evaluation_id\":12,"
        "\"prev_hash\":\"5f1e07cd5ba0e0fd2bb3e5b2c3ad8ac2d6c28e80a5e3cfa1c69b0d5fbd5a7e3c\","
        "\"real_actor\":\"\",\"real_actor_id\":0,\"reason\":\"V\\u00e4ster\\u00e5s: new "
        "evidence\",\"seq\":3,\"target\":\"score 1.4 of evaluator ewa\",\"v\":1}";
    cr_assert_str_eq(text, expected);
    cr_assert_eq(len, strlen(expected));
    free(text);
    char h[65];
    kp_audit_hash(&e, h);
    cr_assert_str_eq(h, "629f92a2c8d80d1a8c87d24ae410ce7bea3034b74ea15b5325b8ecd88996db5c");
}

Test(audit, canonical_form_matches_python_for_awkward_text)
{
    /* The Python verifier (docs/audit_verify.py) and the server must agree
     * byte for byte, whatever the text: quotes, backslashes, control
     * characters, DEL, non-ASCII, beyond the BMP. */
    kp_audit_record e = {0};
    e.evaluation_id = 9;
    e.seq = 41;
    e.at_us = 1700000000000001;
    e.actor_id = 77;
    e.actor = "åsa";
    e.real_actor_id = 1;
    e.real_actor = "admin";
    e.client_addr = "[::1]";
    e.client_key = "Q\\\"/<>";
    e.action = "text.set";
    e.target = "strengths of area 3 \"Ledning\"";
    e.before = "{\"text\":\"a\\nb\"}";
    e.after = "{\"text\":\"\\u0001 \\u007f \\u2028 😀 \\\\ / \\t\"}";
    e.reason = "tab\there, newline\nthere, bell\a, del\x7f, é, 中文, 📋, \\ and \"";
    e.eval_version = 123456789012;
    e.prev_hash = KP_AUDIT_GENESIS;

    json_t *doc =
        json_pack("{s:I,s:I,s:s,s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s}",
                  "evaluation_id", (json_int_t)e.evaluation_id, "seq", (json_int_t)e.seq, "at",
                  "2023-11-14T22:13:20.000001Z", "actor_id", (json_int_t)e.actor_id, "actor",
                  e.actor, "real_actor_id", (json_int_t)e.real_actor_id, "real_actor", e.real_actor,
                  "client_addr", e.client_addr, "client_key", e.client_key, "action", e.action,
                  "target", e.target, "before", e.before, "after", e.after, "reason", e.reason,
                  "eval_version", (json_int_t)e.eval_version, "prev_hash", e.prev_hash);
    cr_assert(doc);
    char *input = json_dumps(doc, 0);
    json_decref(doc);
    const char *argv[] = {KP_PYTHON3, KP_AUDIT_VERIFY_PY, "--canonical", NULL};
    char *out = NULL, *err = NULL;
    int rc = th_run(argv, input, &out, &err, 30000);
    cr_assert_eq(rc, 0, "python3 failed: %s", err);
    char *text = kp_audit_canonical(&e, NULL);
    cr_assert_str_eq(text, out);
    free(text);
    free(out);
    free(err);
    free(input);
}
