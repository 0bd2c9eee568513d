/*  subscriptions: who receives which live updates (see subscriptions.h). */
#include "subscriptions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "util.h"

/* A live session may see evaluation $2 (0: none asked) when admin or on its
 * team (the municipality's contact is not: it reads no live updates).
 * Sessions not returned have ended. */
#define LIVE                                                                                       \
    " u.active AND s.revoked_at IS NULL AND s.idle_expires_at > now() AND s.expires_at > now()"

const kp_stmt kp_subscriptions_stmts[] = {
    {"subs_visible",
     "SELECT s.id, u.role = 'admin' OR EXISTS (SELECT 1 FROM evaluation_members m"
     "   WHERE m.evaluation_id = $2 AND m.user_id = s.user_id AND m.role <> 'contact')"
     " FROM sessions s JOIN users u ON u.id = s.user_id"
     " WHERE s.id = ANY ($1::bigint[]) AND" LIVE},
    {"subs_why_ended", "SELECT s.id, coalesce(s.revoked_why, ''), NOT u.active FROM sessions s"
                       " JOIN users u ON u.id = s.user_id WHERE s.id = ANY ($1::bigint[])"},
    {NULL, NULL},
};

typedef struct {
    unsigned char rid[256]; /* the connection's routing id on the front ROUTER */
    size_t rlen;
    int64_t session_id;
    int64_t user_id;
    int all;
    int64_t *ids; /* sorted, malloc'd */
    size_t n_ids;
} sub;

struct kp_subs {
    void *out; /* PAIR to the broker */
    char instance[200];
    sub *v;
    size_t n, cap;
    int64_t pushed, ended;
};

kp_subs *kp_subs_new(void *out, const char *instance)
{
    kp_subs *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->out = out;
    kp_strlcpy(self->instance, instance, sizeof self->instance);
    return self;
}

void kp_subs_destroy(kp_subs **self_p)
{
    if (!self_p || !*self_p) return;
    kp_subs *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        free(self->v[i].ids);
    free(self->v);
    if (self->pushed || self->ended)
        kp_info("subscriptions", "pushed %lld updates, ended %lld subscriptions",
                (long long)self->pushed, (long long)self->ended);
    free(self);
    *self_p = NULL;
}

size_t kp_subs_count(const kp_subs *self)
{
    return self->n;
}

static sub *s_find(kp_subs *self, const void *rid, size_t rlen)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->v[i].rlen == rlen && memcmp(self->v[i].rid, rid, rlen) == 0) return &self->v[i];
    return NULL;
}

static void s_remove(kp_subs *self, sub *s)
{
    free(s->ids);
    *s = self->v[--self->n];
}

static int s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int s_has(const sub *s, int64_t eval_id)
{
    return s->all || bsearch(&eval_id, s->ids, s->n_ids, sizeof eval_id, s_cmp_i64) != NULL;
}

const char *kp_subs_request_problem(kp_arena *arena, const Kompass__V1__SubscribeRequest *in,
                                    int64_t **ids_out, size_t *n_out)
{
    *ids_out = NULL;
    *n_out = 0;
    if (in->n_evaluation_ids > KP_SUBS_MAX_IDS)
        return kp_arena_printf(arena, "at most %d evaluation ids in one subscription, not %zu",
                               KP_SUBS_MAX_IDS, in->n_evaluation_ids);
    if (in->all && in->n_evaluation_ids) return "subscribe to all or to evaluation ids, not both";
    int64_t *ids = kp_arena_alloc(arena, sizeof *ids * (in->n_evaluation_ids + 1));
    size_t n = 0;
    for (size_t i = 0; i < in->n_evaluation_ids; i++) {
        if (in->evaluation_ids[i] <= 0)
            return kp_arena_printf(arena, "evaluation id %lld is not an evaluation's id",
                                   (long long)in->evaluation_ids[i]);
        ids[n++] = in->evaluation_ids[i];
    }
    qsort(ids, n, sizeof *ids, s_cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || ids[k - 1] != ids[i]) ids[k++] = ids[i];
    *ids_out = ids;
    *n_out = k;
    return NULL;
}

int kp_subs_apply(kp_subs *self, const void *rid, size_t rlen, const kp_sub_reg *reg,
                  const void *ids, size_t ids_len)
{
    if (rlen == 0 || rlen > sizeof self->v[0].rid || reg->n_ids < 0 ||
        reg->n_ids > KP_SUBS_MAX_IDS || ids_len != (size_t)reg->n_ids * sizeof(int64_t))
        return -1;
    sub *s = s_find(self, rid, rlen);
    int was = s != NULL;
    if (s) s_remove(self, s);
    if (!reg->all && reg->n_ids == 0) return was;
    if (self->n == self->cap) {
        size_t ncap = self->cap ? self->cap * 2 : 16;
        sub *nv = realloc(self->v, ncap * sizeof *nv);
        if (!nv) return was;
        self->v = nv;
        self->cap = ncap;
    }
    s = &self->v[self->n++];
    memset(s, 0, sizeof *s);
    memcpy(s->rid, rid, rlen);
    s->rlen = rlen;
    s->session_id = reg->session_id;
    s->user_id = reg->user_id;
    s->all = reg->all != 0;
    s->n_ids = (size_t)reg->n_ids;
    if (s->n_ids) {
        s->ids = malloc(s->n_ids * sizeof *s->ids);
        if (!s->ids) {
            self->n--;
            return was;
        }
        memcpy(s->ids, ids, s->n_ids * sizeof *s->ids);
        qsort(s->ids, s->n_ids, sizeof *s->ids, s_cmp_i64);
    }
    return was;
}

void kp_subs_on_register(kp_subs *self, void *sock)
{
    zmq_msg_t f[5];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < 5)
            f[n++] = m;
        else
            zmq_msg_close(&m);
    }
    /* [worker][seq][routing id][kp_sub_reg][ids] */
    if (n != 5 || zmq_msg_size(&f[3]) != sizeof(kp_sub_reg)) goto out;
    kp_sub_reg reg;
    memcpy(&reg, zmq_msg_data(&f[3]), sizeof reg);
    int was = kp_subs_apply(self, zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), &reg,
                            zmq_msg_data(&f[4]), zmq_msg_size(&f[4]));
    if (was < 0) goto out; /* the worker times out: UNAVAILABLE */
    char flag = (char)was;
    zmq_msg_send(&f[0], sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_msg_send(&f[1], sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(sock, &flag, 1, ZMQ_DONTWAIT);
out:
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

void kp_subs_on_gone(kp_subs *self)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, self->out, ZMQ_DONTWAIT) >= 0) {
        sub *s = s_find(self, zmq_msg_data(&m), zmq_msg_size(&m));
        if (s) s_remove(self, s);
    }
    zmq_msg_close(&m);
}

int kp_subs_wants(const kp_subs *self, int64_t eval_id)
{
    for (size_t i = 0; i < self->n; i++)
        if (s_has(&self->v[i], eval_id)) return 1;
    return 0;
}

/* Sends u to subscriber s through the broker. */
static void s_push(kp_subs *self, kp_arena *arena, const sub *s, Kompass__V1__Update *u)
{
    kp_response resp = KOMPASS__V1__RESPONSE__INIT;
    resp.request_id = "";
    resp.status = KOMPASS__V1__STATUS__OK;
    resp.body_case = KOMPASS__V1__RESPONSE__BODY_UPDATE;
    resp.update = u;
    size_t len;
    void *bytes = kp_wire_encode_response(arena, &resp, &len);
    if (zmq_send(self->out, s->rid, s->rlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(self->out, bytes, len, ZMQ_DONTWAIT) < 0) {
        kp_debug("subscriptions", "a push was dropped: %s", zmq_strerror(errno));
        return;
    }
    self->pushed++;
}

/* Pushes subscription.end for eval_id (0: the whole subscription). */
static void s_push_end(kp_subs *self, kp_arena *arena, const sub *s, int64_t eval_id,
                       const char *reason)
{
    Kompass__V1__Update u = KOMPASS__V1__UPDATE__INIT;
    u.evaluation_id = eval_id;
    u.at_us = kp_now_us();
    u.action = "subscription.end";
    u.instance = self->instance;
    u.ended = 1;
    u.reason = (char *)reason;
    s_push(self, arena, s, &u);
    self->ended++;
}

/* "{1,2,3}": the session ids of the subscribers marked in want (NULL: all). */
static const char *s_session_array(kp_subs *self, kp_arena *arena, const char *want)
{
    size_t cap = self->n * 21 + 3, at = 0;
    char *buf = kp_arena_alloc(arena, cap);
    buf[at++] = '{';
    for (size_t i = 0; i < self->n; i++) {
        if (want && !want[i]) continue;
        at += (size_t)snprintf(buf + at, cap - at, "%s%lld", at > 1 ? "," : "",
                               (long long)self->v[i].session_id);
    }
    buf[at++] = '}';
    buf[at] = '\0';
    return buf;
}

/* Why session_id ended, for a person, from a subs_why_ended result. */
static const char *s_why(PGresult *why, int64_t session_id)
{
    for (int i = 0; why && i < PQntuples(why); i++) {
        if (kp_db_i64(why, i, 0) != session_id) continue;
        const char *r = PQgetvalue(why, i, 1);
        if (strcmp(PQgetvalue(why, i, 2), "t") == 0 || strcmp(r, "user_disabled") == 0)
            return "your session ended: your account was disabled";
        if (strcmp(r, "logout") == 0) return "your session ended: logged out";
        if (strcmp(r, "password_changed") == 0)
            return "your session ended: your password was changed";
        if (strcmp(r, "password_reset") == 0) return "your session ended: your password was reset";
        break;
    }
    return "your session ended: it expired (log in again)";
}

/* Reads, for the subscribers marked in want, which sessions are live and
 * may see eval_id into *live / *may (arrays of self->n, in arena); ends the
 * subscriptions of ended sessions (they are removed: want, live and may are
 * compacted alike). 0, or -1 on a database failure. */
static int s_check(kp_subs *self, kp_db *db, kp_arena *arena, int64_t eval_id, char *want,
                   char **live_out, char **may_out)
{
    char *live = kp_arena_zalloc(arena, self->n + 1), *may = kp_arena_zalloc(arena, self->n + 1);
    const char *p[2] = {s_session_array(self, arena, want), kp_db_param_i64(arena, eval_id)};
    PGresult *res;
    if (kp_db_call(db, "subs_visible", 2, p, &res) != KP_OK) return -1;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t sid = kp_db_i64(res, r, 0);
        int sees = strcmp(PQgetvalue(res, r, 1), "t") == 0;
        for (size_t i = 0; i < self->n; i++)
            if (self->v[i].session_id == sid) {
                live[i] = 1;
                may[i] = (char)sees;
            }
    }
    PQclear(res);
    int any_ended = 0;
    for (size_t i = 0; i < self->n; i++)
        if ((!want || want[i]) && !live[i]) any_ended = 1;
    if (any_ended) {
        PGresult *why = NULL;
        const char *q[1] = {p[0]};
        if (kp_db_call(db, "subs_why_ended", 1, q, &why) != KP_OK) why = NULL;
        for (size_t i = self->n; i-- > 0;) {
            if ((want && !want[i]) || live[i]) continue;
            s_push_end(self, arena, &self->v[i], 0, s_why(why, self->v[i].session_id));
            s_remove(self, &self->v[i]);
            /* s_remove moved the last one into i */
            size_t last = self->n;
            if (want) want[i] = want[last];
            live[i] = live[last];
            may[i] = may[last];
        }
        if (why) PQclear(why);
    }
    *live_out = live;
    *may_out = may;
    return 0;
}

void kp_subs_deliver(kp_subs *self, kp_db *db, kp_arena *arena, int64_t eval_id,
                     Kompass__V1__Update **u, size_t n)
{
    if (!self->n || !n) return;
    char *want = kp_arena_zalloc(arena, self->n + 1);
    int any = 0;
    for (size_t i = 0; i < self->n; i++)
        any |= want[i] = (char)s_has(&self->v[i], eval_id);
    if (!any) return;
    char *live, *may;
    if (s_check(self, db, arena, eval_id, want, &live, &may) != 0) return;
    for (size_t i = self->n; i-- > 0;) {
        if (!want[i]) continue;
        sub *s = &self->v[i];
        if (may[i]) {
            for (size_t k = 0; k < n; k++)
                s_push(self, arena, s, u[k]);
        } else if (!s->all) {
            /* Exactly this evaluation, and its team no longer has them. */
            s_push_end(self, arena, s, eval_id,
                       "you are no longer on this evaluation's team (or it no longer exists)");
            int64_t *at = bsearch(&eval_id, s->ids, s->n_ids, sizeof eval_id, s_cmp_i64);
            if (at) {
                memmove(at, at + 1, (size_t)(s->ids + s->n_ids - at - 1) * sizeof *at);
                s->n_ids--;
            }
            if (s->n_ids == 0) s_remove(self, s);
        }
    }
}

void kp_subs_check_sessions(kp_subs *self, kp_db *db, kp_arena *arena)
{
    if (!self->n) return;
    char *live, *may;
    s_check(self, db, arena, 0, NULL, &live, &may);
}

int kp_subs_register_call(void *sock, const void *rid, size_t rlen, const kp_sub_reg *reg,
                          const int64_t *ids, int *was_subscribed, int timeout_ms)
{
    static _Thread_local uint64_t seq;
    uint64_t mine = ++seq;
    if (zmq_send(sock, &mine, sizeof mine, ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, rid, rlen, ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, reg, sizeof *reg, ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, ids, (size_t)reg->n_ids * sizeof *ids, 0) < 0)
        return KP_UNAVAILABLE;
    int64_t deadline = kp_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - kp_mono_ms();
        if (left <= 0) return KP_UNAVAILABLE;
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&it, 1, (long)left);
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) return KP_UNAVAILABLE;
        /* [seq][flag]; an older, timed-out answer is skipped */
        zmq_msg_t f[2];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, sock, 0) < 0) {
                zmq_msg_close(&m);
                break;
            }
            more = zmq_msg_more(&m);
            if (n < 2)
                f[n++] = m;
            else
                zmq_msg_close(&m);
        }
        int ours = n == 2 && zmq_msg_size(&f[0]) == sizeof mine &&
                   memcmp(zmq_msg_data(&f[0]), &mine, sizeof mine) == 0 && zmq_msg_size(&f[1]) == 1;
        if (ours) *was_subscribed = *(const char *)zmq_msg_data(&f[1]) != 0;
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        if (ours) return KP_OK;
    }
}

void kp_subs_forward(void *pushes, void *front)
{
    zmq_msg_t rid, body;
    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&rid, pushes, ZMQ_DONTWAIT) < 0) goto out;
    if (!zmq_msg_more(&rid) || zmq_msg_recv(&body, pushes, 0) < 0) goto out;
    zmq_msg_t copy;
    zmq_msg_init(&copy);
    zmq_msg_copy(&copy, &rid);
    if (zmq_msg_send(&rid, front, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        if (errno == EHOSTUNREACH) /* the client has gone: forget it */
            zmq_msg_send(&copy, pushes, ZMQ_DONTWAIT);
        zmq_msg_close(&copy);
        goto out;
    }
    zmq_msg_close(&copy);
    /* A client reading too slowly loses pushes (its catch-up covers them). */
    zmq_msg_send(&body, front, ZMQ_DONTWAIT);
out:
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
}
