/*  audit: recording changes as hash-chained events (see audit.h, docs/audit.md).
 *
 *  Appending is three statements in the caller's transaction:
 *    1. audit_lock: the chain's advisory lock, held until COMMIT/ROLLBACK;
 *    2. audit_head: the chain's last sequence number and hash, and the time,
 *       read under that lock (a fresh snapshot: READ COMMITTED);
 *    3. audit_insert: the event with seq + 1, prev_hash and its own hash.
 *  A trigger re-checks the link on insert (sql/003_audit.sql).
 */
#include "audit.h"

#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "status.h"
#include "util.h"

const kp_stmt kp_audit_stmts[] = {
    {"audit_lock", "SELECT audit_chain_lock($1::bigint)"},
    {"audit_head", "SELECT coalesce(h.seq, 0), coalesce(h.hash, repeat('0', 64)), "
                   "       (extract(epoch FROM clock_timestamp()) * 1000000)::bigint "
                   "FROM (SELECT 1) AS one LEFT JOIN LATERAL ("
                   "  SELECT seq, hash FROM audit_events WHERE evaluation_id = $1::bigint "
                   "  ORDER BY seq DESC LIMIT 1) AS h ON true"},
    {"audit_insert",
     "INSERT INTO audit_events (evaluation_id, seq, at, actor_id, actor, real_actor_id, "
     "  real_actor, client_addr, client_key, action, target, before, after, reason, "
     "  eval_version, prev_hash, hash) "
     "VALUES ($1::bigint, $2::bigint, timestamptz 'epoch' + $3::bigint * interval '1 microsecond', "
     "  $4::bigint, $5, $6::bigint, $7, $8, $9, $10, $11, $12, $13, $14, $15::bigint, $16, $17) "
     "RETURNING id"},
    {NULL, NULL},
};

/* ------------------------------------------------------------ canonical form */

/* A growable byte buffer; oom set once an allocation failed. */
typedef struct {
    char *data;
    size_t len, cap;
    int oom;
} s_buf;

static void s_put(s_buf *b, const char *p, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->oom = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void s_puts(s_buf *b, const char *s)
{
    s_put(b, s, strlen(s));
}

/* Decodes one UTF-8 sequence at s; its length, or 0 if malformed. */
static int s_utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int n;
    uint32_t c, min;
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2, c = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, c = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
    *cp = c;
    return n;
}

/* A JSON string exactly as Python's json.dumps(ensure_ascii=True) writes it:
 * printable ASCII as is except " and \, the short escapes \b \f \n \r \t,
 * everything else as \u00xx (lower-case hex), beyond U+FFFF as a surrogate
 * pair. Returns -1 on malformed UTF-8. */
static int s_put_json_string(s_buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    char esc[16];
    s_put(b, "\"", 1);
    while (*s) {
        uint32_t c;
        int n = s_utf8_next(s, &c);
        if (n == 0) return -1;
        s += n;
        switch (c) {
        case '"':
            s_put(b, "\\\"", 2);
            continue;
        case '\\':
            s_put(b, "\\\\", 2);
            continue;
        case '\b':
            s_put(b, "\\b", 2);
            continue;
        case '\f':
            s_put(b, "\\f", 2);
            continue;
        case '\n':
            s_put(b, "\\n", 2);
            continue;
        case '\r':
            s_put(b, "\\r", 2);
            continue;
        case '\t':
            s_put(b, "\\t", 2);
            continue;
        default:
            break;
        }
        if (c >= 0x20 && c <= 0x7e) {
            char ch = (char)c;
            s_put(b, &ch, 1);
        } else if (c < 0x10000) {
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
            s_puts(b, esc);
        } else {
            uint32_t v = c - 0x10000;
            snprintf(esc, sizeof esc, "\\u%04x\\u%04x", (unsigned)(0xd800 + (v >> 10)),
                     (unsigned)(0xdc00 + (v & 0x3ff)));
            s_puts(b, esc);
        }
    }
    s_put(b, "\"", 1);
    return 0;
}

static void s_put_key(s_buf *b, const char *key, int first)
{
    if (!first) s_put(b, ",", 1);
    s_put(b, "\"", 1);
    s_puts(b, key);
    s_put(b, "\":", 2);
}

static void s_put_int(s_buf *b, const char *key, int64_t v)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, v);
    s_put_key(b, key, 0);
    s_puts(b, num);
}

static int s_put_str(s_buf *b, const char *key, const char *v, int first)
{
    s_put_key(b, key, first);
    return s_put_json_string(b, v ? v : "");
}

char *kp_audit_canonical(const kp_audit_record *rec, size_t *len)
{
    /* One JSON object, keys in sorted (code point) order, no white space:
     * what json.dumps(fields, sort_keys=True, separators=(",", ":"),
     * ensure_ascii=True) gives. Keep this list sorted. */
    char at[32];
    kp_format_utc_us(rec->at_us, at);
    s_buf b = {0};
    int bad = 0;
    s_put(&b, "{", 1);
    bad |= s_put_str(&b, "action", rec->action, 1);
    bad |= s_put_str(&b, "actor", rec->actor, 0);
    s_put_int(&b, "actor_id", rec->actor_id);
    bad |= s_put_str(&b, "after", rec->after, 0);
    bad |= s_put_str(&b, "at", at, 0);
    bad |= s_put_str(&b, "before", rec->before, 0);
    bad |= s_put_str(&b, "client_addr", rec->client_addr, 0);
    bad |= s_put_str(&b, "client_key", rec->client_key, 0);
    s_put_int(&b, "eval_version", rec->eval_version);
    s_put_int(&b, "evaluation_id", rec->evaluation_id);
    bad |= s_put_str(&b, "prev_hash", rec->prev_hash, 0);
    bad |= s_put_str(&b, "real_actor", rec->real_actor, 0);
    s_put_int(&b, "real_actor_id", rec->real_actor_id);
    bad |= s_put_str(&b, "reason", rec->reason, 0);
    s_put_int(&b, "seq", rec->seq);
    bad |= s_put_str(&b, "target", rec->target, 0);
    s_put_int(&b, "v", KP_AUDIT_FORMAT);
    s_put(&b, "}", 1);
    if (b.oom) {
        free(b.data);
        return NULL;
    }
    if (bad) {
        /* Not UTF-8: cannot happen for text that came through PostgreSQL
         * (UTF8) or the wire (checked); hash something that never matches a
         * well-formed event rather than guess at the bytes. */
        b.len = 0;
        s_puts(&b, "invalid UTF-8");
    }
    if (len) *len = b.len;
    return b.data;
}

int kp_audit_hash(const kp_audit_record *rec, char out[65])
{
    size_t len;
    char *text = kp_audit_canonical(rec, &len);
    if (!text) return -1;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)text, len);
    free(text);
    kp_hex(h, sizeof h, out);
    return 0;
}

void kp_audit_record_from_row(const PGresult *res, int row, kp_audit_record *rec)
{
#define S(c) PQgetvalue(res, row, c)
#define I(c) strtoll(PQgetvalue(res, row, c), NULL, 10)
    rec->id = I(0);
    rec->evaluation_id = I(1);
    rec->seq = I(2);
    rec->at_us = I(3);
    rec->actor_id = I(4);
    rec->actor = S(5);
    rec->real_actor_id = I(6);
    rec->real_actor = S(7);
    rec->client_addr = S(8);
    rec->client_key = S(9);
    rec->action = S(10);
    rec->target = S(11);
    rec->before = S(12);
    rec->after = S(13);
    rec->reason = S(14);
    rec->eval_version = I(15);
    rec->prev_hash = S(16);
    rec->hash = S(17);
#undef S
#undef I
}

/* ------------------------------------------------------------ appending */

const char *kp_audit_json(kp_req *r, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(doc);
    if (!text) return NULL;
    const char *copy = kp_arena_strdup(r->arena, text);
    free(text);
    return copy;
}

static int s_action_ok(const char *a)
{
    if (!a || !islower((unsigned char)a[0])) return 0;
    for (const char *p = a; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && !strchr("_.-", *p))
            return 0;
    return 1;
}

/* Whether an object key names a secret that must never enter the trail. */
static int s_secret_key(const char *key)
{
    static const char *const words[] = {"password", "passwd", "passphrase", "secret",
                                        "token",    "salt",   "private",    NULL};
    char low[128];
    size_t i = 0;
    for (; key[i] && i < sizeof low - 1; i++)
        low[i] = (char)tolower((unsigned char)key[i]);
    low[i] = '\0';
    for (int w = 0; words[w]; w++)
        if (strstr(low, words[w])) return 1;
    return 0;
}

/* The first secret-looking key anywhere in v, or NULL. */
static const char *s_find_secret(json_t *v)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item)
        {
            if (s_secret_key(key)) return key;
            const char *inner = s_find_secret(item);
            if (inner) return inner;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            const char *inner = s_find_secret(item);
            if (inner) return inner;
        }
    }
    return NULL;
}

/* Checks that text is "" or well-formed JSON without secrets; a sentence in
 * *why (arena) when not. */
static int s_value_ok(kp_req *r, const char *what, const char *text, const char **why)
{
    if (!text || !*text) return 1;
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!v) {
        *why = kp_arena_printf(r->arena, "%s is not JSON (%s)", what, e.text);
        return 0;
    }
    const char *secret = s_find_secret(v);
    if (secret)
        *why = kp_arena_printf(r->arena, "%s holds a secret ('%s'), which is never recorded", what,
                               secret);
    json_decref(v);
    return secret == NULL;
}

static int s_blank(const char *s)
{
    if (!s) return 1;
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

int kp_audit_append(kp_req *r, const kp_audit_event *ev)
{
    const char *why = NULL;
    PGconn *conn = kp_db_conn(r->db);
    if (!conn || PQtransactionStatus(conn) != PQTRANS_INTRANS)
        why = "called outside a transaction";
    else if (!s_action_ok(ev->action))
        why = kp_arena_printf(r->arena, "action '%s' is not a lower-case name",
                              ev->action ? ev->action : "(null)");
    else if (s_blank(ev->target))
        why = "the event has no target";
    else if (ev->evaluation_id < 0 || ev->eval_version < 0)
        why = "negative evaluation id or version";
    else if (ev->on_behalf_id && s_blank(ev->on_behalf_login))
        why = "acting on behalf of a user without a login";
    else if (s_value_ok(r, "before", ev->before, &why))
        s_value_ok(r, "after", ev->after, &why);
    if (why) {
        /* A handler bug: say so in the log, keep the server up. */
        kp_error("audit", "refusing %s event: %s", ev->action ? ev->action : "(null)", why);
        return kp_req_fail(r, KP_INTERNAL, "internal error while recording %s (logged)",
                           ev->action ? ev->action : "a change");
    }
    if (ev->reason_required && s_blank(ev->reason))
        return kp_req_fail(r, KP_BAD_REQUEST, "%s requires a reason: say why", ev->action);

    kp_audit_record rec = {0};
    rec.evaluation_id = ev->evaluation_id;
    if (ev->on_behalf_id) {
        rec.actor_id = ev->on_behalf_id;
        rec.actor = ev->on_behalf_login;
        rec.real_actor_id = r->user_id;
        rec.real_actor = r->login ? r->login : "";
    } else {
        rec.actor_id = r->user_id;
        rec.actor = r->login ? r->login : "";
        rec.real_actor = "";
    }
    rec.client_addr = r->peer_addr ? r->peer_addr : "";
    rec.client_key = r->peer_key ? r->peer_key : "";
    rec.action = ev->action;
    rec.target = ev->target;
    rec.before = ev->before ? ev->before : "";
    rec.after = ev->after ? ev->after : "";
    rec.reason = s_blank(ev->reason) ? "" : ev->reason;
    rec.eval_version = ev->eval_version;

    char chain[24];
    snprintf(chain, sizeof chain, "%" PRId64, ev->evaluation_id);
    const char *p1[1] = {chain};
    int rc = kp_req_call(r, "audit_lock", 1, p1, NULL);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "locking the audit chain");
    PGresult *head = NULL;
    rc = kp_req_call(r, "audit_head", 1, p1, &head);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the audit chain");
    rec.seq = strtoll(PQgetvalue(head, 0, 0), NULL, 10) + 1;
    rec.prev_hash = kp_arena_strdup(r->arena, PQgetvalue(head, 0, 1));
    rec.at_us = strtoll(PQgetvalue(head, 0, 2), NULL, 10);

    char hash[65];
    if (kp_audit_hash(&rec, hash) != 0)
        return kp_req_fail(r, KP_INTERNAL, "out of memory while recording %s", ev->action);

    char seq[24], at[24], actor_id[24], real_id[24], version[24];
    snprintf(seq, sizeof seq, "%" PRId64, rec.seq);
    snprintf(at, sizeof at, "%" PRId64, rec.at_us);
    snprintf(actor_id, sizeof actor_id, "%" PRId64, rec.actor_id);
    snprintf(real_id, sizeof real_id, "%" PRId64, rec.real_actor_id);
    snprintf(version, sizeof version, "%" PRId64, rec.eval_version);
    const char *p[17] = {chain,
                         seq,
                         at,
                         actor_id,
                         rec.actor,
                         real_id,
                         rec.real_actor,
                         rec.client_addr,
                         rec.client_key,
                         rec.action,
                         rec.target,
                         rec.before,
                         rec.after,
                         rec.reason,
                         version,
                         rec.prev_hash,
                         hash};
    rc = kp_req_call(r, "audit_insert", 17, p, NULL);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "recording the change in the audit trail");
    return KP_OK;
}
