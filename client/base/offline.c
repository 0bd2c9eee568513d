/*  offline: an evaluation's working copy and journal (see offline.h). */
#include "offline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "points.h"
#include "session.h"
#include "util.h"

#define JOURNAL_MAX (64u << 20)
#define COPY_MAX    (64u << 20)

int kp_offline_dir(kp_cli *cli, const char *login, char *out, size_t len, char *err, size_t errlen)
{
    char base[PATH_MAX];
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    /* the XDG spec: a relative XDG_DATA_HOME is invalid and ignored */
    if (xdg && xdg[0] == '/')
        snprintf(base, sizeof base, "%s/kompass/offline", xdg);
    else if (home && *home)
        snprintf(base, sizeof base, "%s/.local/share/kompass/offline", home);
    else {
        snprintf(err, errlen, "neither XDG_DATA_HOME nor HOME is set: nowhere to keep a copy");
        return -1;
    }
    /* which server: as for drafts (client/draft.c) */
    const char *sid = *cli->settings.server_key ? cli->settings.server_key : cli->settings.server;
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)sid, strlen(sid), NULL, 0);
    char hex[17];
    kp_hex(h, sizeof h, hex);
    int n = snprintf(out, len, "%s/%s@%s", base, login, hex);
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "the offline directory's path is too long");
        return -1;
    }
    return 0;
}

static int s_path(kp_cli *cli, const char *login, int64_t id, const char *ext, char *out,
                  size_t len, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (kp_offline_dir(cli, login, dir, sizeof dir, err, errlen) != 0) return -1;
    int n = snprintf(out, len, "%s/%lld.%s", dir, (long long)id, ext);
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "the offline directory's path is too long");
        return -1;
    }
    return 0;
}

/* fsync of the directory holding path: a rename or a new file in it is
 * durable only then. */
static int s_sync_parent(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) return 0;
    *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

json_t *kp_offline_copy_load(kp_cli *cli, const char *login, int64_t id)
{
    char path[PATH_MAX], err[256];
    if (!login || s_path(cli, login, id, "json", path, sizeof path, err, sizeof err) != 0)
        return NULL;
    json_error_t jerr;
    json_t *copy = json_load_file(path, 0, &jerr);
    if (!copy) {
        if (errno != ENOENT && access(path, F_OK) == 0)
            fprintf(stderr, "kompass: warning: the offline copy %s cannot be read: %s\n", path,
                    jerr.text);
        return NULL;
    }
    if (!json_is_object(copy) || json_integer_value(json_object_get(copy, "evaluation")) != id) {
        fprintf(stderr, "kompass: warning: %s is not an offline copy of evaluation %lld\n", path,
                (long long)id);
        json_decref(copy);
        return NULL;
    }
    return copy;
}

int kp_offline_copy_save(kp_cli *cli, const char *login, int64_t id, json_t *copy, char *err,
                         size_t errlen)
{
    char path[PATH_MAX], dir[PATH_MAX];
    if (kp_offline_dir(cli, login, dir, sizeof dir, err, errlen) != 0 ||
        s_path(cli, login, id, "json", path, sizeof path, err, errlen) != 0)
        return -1;
    if (kp_mkdir_p(dir, 0700) != 0) {
        snprintf(err, errlen, "cannot make %s: %s", dir, strerror(errno));
        return -1;
    }
    char *text = json_dumps(copy, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = kp_write_file(path, text, strlen(text), 0600);
    free(text);
    if (rc != 0 || s_sync_parent(path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int kp_offline_copy_drop(kp_cli *cli, const char *login, int64_t id, char *err, size_t errlen)
{
    char copy[PATH_MAX], journal[PATH_MAX];
    if (s_path(cli, login, id, "json", copy, sizeof copy, err, errlen) != 0 ||
        s_path(cli, login, id, "journal", journal, sizeof journal, err, errlen) != 0)
        return -1;
    if (unlink(journal) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove %s: %s", journal, strerror(errno));
        return -1;
    }
    if (unlink(copy) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove %s: %s", copy, strerror(errno));
        return -1;
    }
    s_sync_parent(copy);
    return 0;
}

static char *s_b64(kp_cli *cli, const void *data, size_t len)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = kp_arena_alloc(cli->arena, n);
    sodium_bin2base64(out, n, data, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* base64 text decoded in the arena; NULL when it is not base64. */
static void *s_unb64(kp_cli *cli, const char *text, size_t *len)
{
    size_t max = strlen(text) / 4 * 3 + 3;
    unsigned char *out = kp_arena_alloc(cli->arena, max ? max : 1);
    if (sodium_base642bin(out, max, text, strlen(text), NULL, len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return NULL;
    return out;
}

kp_response *kp_offline_copy_answer(kp_cli *cli, json_t *copy, const char *key)
{
    const char *b = json_string_value(json_object_get(json_object_get(copy, "answers"), key));
    if (!b) return NULL;
    size_t len;
    void *data = s_unb64(cli, b, &len);
    kp_response *r = NULL;
    const char *error;
    if (!data || kp_wire_decode_response(cli->arena, data, len, &r, &error) != KP_OK) return NULL;
    return r;
}

void kp_offline_copy_put(kp_cli *cli, json_t *copy, const char *key, const kp_response *resp)
{
    size_t len;
    void *data = kp_wire_encode_response(cli->arena, resp, &len);
    json_t *answers = json_object_get(copy, "answers");
    if (!answers) {
        answers = json_object();
        json_object_set_new(copy, "answers", answers);
    }
    json_object_set_new(answers, key, json_string(s_b64(cli, data, len)));
}

/* ---------------------------------------------------------------- journal */

void kp_offline_journal_free(kp_offline_journal *j)
{
    json_decref(j->lines);
    j->lines = NULL;
}

size_t kp_offline_waiting(const kp_offline_journal *j)
{
    size_t n = 0;
    for (size_t i = 0; i < j->n; i++)
        n += j->changes[i].outcome == NULL;
    return n;
}

/* Reads one change line into c; NULL, or why it cannot be used. */
static const char *s_change(kp_cli *cli, json_t *o, kp_offline_change *c)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *rpc = json_string_value(json_object_get(o, "rpc"));
    const char *b = json_string_value(json_object_get(o, "request"));
    if (!id || !*id || !rpc || !b || !json_is_integer(json_object_get(o, "base")))
        return "a change without its id, rpc, base or request";
    size_t len;
    void *data = s_unb64(cli, b, &len);
    const char *rid = NULL, *error = NULL;
    kp_request *req = NULL;
    if (!data || kp_wire_decode_request(cli->arena, data, len, &req, &rid, &error) != KP_OK)
        return "its request cannot be decoded (damaged base64 or protobuf)";
    if (!req->request_id || strcmp(req->request_id, id) != 0)
        return "its request does not carry the line's request id";
    c->id = id;
    c->rpc = rpc;
    c->req = req;
    c->seq = json_integer_value(json_object_get(o, "change"));
    c->at_us = json_integer_value(json_object_get(o, "at_us"));
    c->base = json_integer_value(json_object_get(o, "base"));
    c->what = json_string_value(json_object_get(o, "what"));
    if (!c->what) c->what = rpc;
    return NULL;
}

int kp_offline_journal_read(kp_cli *cli, const char *login, int64_t id, int report,
                            kp_offline_journal *j, char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    j->lines = json_array();
    if (s_path(cli, login, id, "journal", j->path, sizeof j->path, err, errlen) != 0) return -1;
    size_t len = 0;
    char *text = kp_read_file(j->path, JOURNAL_MAX, &len);
    if (!text) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "cannot read the journal %s: %s", j->path, strerror(errno));
        return -1;
    }
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    j->changes = kp_arena_zalloc(cli->arena, sizeof *j->changes * lines);
    char *p = text;
    for (int no = 1; p < text + len; no++) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        int ended = nl != NULL;
        if (nl) *nl = '\0';
        const char *why = NULL;
        json_error_t jerr;
        json_t *o = NULL;
        if (*p) {
            o = json_loads(p, 0, &jerr);
            if (!json_is_object(o))
                why = ended ? "not a JSON object" : "cut short (the last line has no end)";
        }
        if (o && !why) {
            json_array_append(j->lines, o);
            const char *done = json_string_value(json_object_get(o, "done"));
            if (done) {
                for (size_t k = 0; k < j->n; k++)
                    if (strcmp(j->changes[k].id, done) == 0) {
                        j->changes[k].outcome =
                            json_string_value(json_object_get(o, "outcome"))
                                ? json_string_value(json_object_get(o, "outcome"))
                                : "sent";
                        j->changes[k].versions = json_object_get(o, "versions");
                    }
            } else if (json_object_get(o, "change")) {
                kp_offline_change c = {0};
                why = s_change(cli, o, &c);
                if (!why) {
                    c.line = no;
                    j->changes[j->n++] = c;
                }
            } else {
                why = "neither a change nor a done line";
            }
        }
        json_decref(o);
        if (why) {
            j->damaged++;
            if (report)
                fprintf(stderr,
                        "kompass: %s line %d is damaged (%s): it stays in the journal as it "
                        "is, and the other changes go on; copy out what you need from it\n",
                        j->path, no, why);
        }
        if (!nl) break;
        p = nl + 1;
    }
    free(text);
    return 0;
}

int kp_offline_journal_append(kp_cli *cli, const char *login, int64_t id, json_t *line, char *err,
                              size_t errlen)
{
    char path[PATH_MAX], dir[PATH_MAX];
    char *text = NULL;
    int fd = -1, rc = -1;
    if (kp_offline_dir(cli, login, dir, sizeof dir, err, errlen) != 0 ||
        s_path(cli, login, id, "journal", path, sizeof path, err, errlen) != 0)
        goto out;
    if (kp_mkdir_p(dir, 0700) != 0) {
        snprintf(err, errlen, "cannot make %s: %s", dir, strerror(errno));
        goto out;
    }
    int fresh = access(path, F_OK) != 0;
    fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the journal %s: %s", path, strerror(errno));
        goto out;
    }
    char *body = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!body) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    /* A last line cut short (a crash mid-write) gets its end first. */
    struct stat st;
    char last = '\n';
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        if (pread(fd, &last, 1, st.st_size - 1) != 1) last = '\n';
    }
    size_t n = strlen(body);
    text = malloc(n + 3);
    if (!text) {
        free(body);
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t off = 0;
    if (last != '\n') text[off++] = '\n';
    memcpy(text + off, body, n);
    off += n;
    text[off++] = '\n';
    free(body);
    ssize_t w = write(fd, text, off);
    if (w != (ssize_t)off || fsync(fd) != 0 || (fresh && s_sync_parent(path) != 0)) {
        snprintf(err, errlen, "cannot write the journal %s: %s", path,
                 w < 0 ? strerror(errno) : "short write");
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0) close(fd);
    free(text);
    json_decref(line);
    return rc;
}

json_t *kp_offline_change_line(kp_cli *cli, kp_request *req, int64_t seq, int64_t base,
                               const char *what)
{
    /* the request as it goes, but never the session token */
    char *token = req->session_token;
    req->session_token = "";
    req->protocol_version = KP_PROTOCOL_VERSION;
    size_t len;
    void *data = kp_wire_encode_request(cli->arena, req, &len);
    req->session_token = token;
    return json_pack("{s:I,s:s,s:I,s:I,s:s,s:s,s:s}", "change", (json_int_t)seq, "id",
                     req->request_id, "at_us", (json_int_t)kp_now_us(), "base", (json_int_t)base,
                     "rpc", kp_wire_body_name(req), "what", what, "request", s_b64(cli, data, len));
}

const char *kp_offline_what(kp_cli *cli, const kp_request *req)
{
    char p[24];
    switch (req->body_case) {
    case KOMPASS__V1__REQUEST__BODY_SCORE_SET: {
        const Kompass__V1__ScoreSetRequest *b = req->score_set;
        const char *who = *b->on_behalf_of ? b->on_behalf_of : kp_cli_login(cli);
        if (b->n_writes == 1)
            return kp_arena_printf(cli->arena, "score %s of %s = %s", b->writes[0]->question,
                                   who ? who : "?",
                                   kp_points_format(b->writes[0]->points_centi, p));
        char *s = kp_arena_printf(cli->arena, "%zu scores of %s:", b->n_writes, who ? who : "?");
        for (size_t i = 0; i < b->n_writes; i++)
            s = kp_arena_printf(cli->arena, "%s %s = %s", s, b->writes[i]->question,
                                kp_points_format(b->writes[i]->points_centi, p));
        return s;
    }
    case KOMPASS__V1__REQUEST__BODY_TEXT_SAVE:
        return kp_arena_printf(cli->arena, "text of area %d %s", req->text_save->area,
                               req->text_save->section);
    case KOMPASS__V1__REQUEST__BODY_EVIDENCE_ADD:
        return kp_arena_printf(
            cli->arena, "evidence: %s%s%s",
            req->evidence_add->evidence ? req->evidence_add->evidence->kind : "?",
            req->evidence_add->evidence && *req->evidence_add->evidence->date ? " of " : "",
            req->evidence_add->evidence ? req->evidence_add->evidence->date : "");
    default:
        return kp_wire_body_name(req);
    }
}

int64_t kp_offline_eval_of(const kp_request *req, int *write)
{
    *write = 0;
    switch (req->body_case) {
    case KOMPASS__V1__REQUEST__BODY_EVAL_SHOW:
        return req->eval_show->evaluation_id;
    case KOMPASS__V1__REQUEST__BODY_SCORE_LIST:
        return req->score_list->evaluation_id;
    case KOMPASS__V1__REQUEST__BODY_TEXT_SHOW:
        return req->text_show->evaluation_id;
    case KOMPASS__V1__REQUEST__BODY_EVIDENCE_LIST:
        return req->evidence_list->evaluation_id;
    case KOMPASS__V1__REQUEST__BODY_TEXT_LOCK:
        *write = 2;
        return req->text_lock->evaluation_id;
    case KOMPASS__V1__REQUEST__BODY_SCORE_SET:
        *write = 1;
        return req->score_set->evaluation_id;
    case KOMPASS__V1__REQUEST__BODY_TEXT_SAVE:
        *write = 1;
        return req->text_save->evaluation_id;
    case KOMPASS__V1__REQUEST__BODY_EVIDENCE_ADD:
        *write = 1;
        return req->evidence_add->evaluation_id;
    default:
        return 0;
    }
}

/* ---------------------------------------------------------------- reads */

/* The caller's waiting scores put into l (area 0: all areas kept). */
static void s_overlay_scores(kp_cli *cli, Kompass__V1__ScoreListResponse *l, int area,
                             const kp_offline_journal *j)
{
    if (area) {
        size_t k = 0;
        for (size_t i = 0; i < l->n_questions; i++)
            if (l->questions[i]->area == area) l->questions[k++] = l->questions[i];
        l->n_questions = k;
    }
    for (size_t c = 0; c < j->n; c++) {
        const kp_offline_change *ch = &j->changes[c];
        if (ch->outcome || ch->req->body_case != KOMPASS__V1__REQUEST__BODY_SCORE_SET) continue;
        const Kompass__V1__ScoreSetRequest *b = ch->req->score_set;
        const char *who = *b->on_behalf_of ? b->on_behalf_of : l->you;
        for (size_t w = 0; w < b->n_writes; w++) {
            for (size_t i = 0; i < l->n_questions; i++) {
                Kompass__V1__QuestionScores *q = l->questions[i];
                if (strcmp(q->question, b->writes[w]->question) != 0) continue;
                Kompass__V1__Score *s = NULL;
                for (size_t k = 0; k < q->n_scores; k++)
                    if (strcmp(q->scores[k]->evaluator, who) == 0) s = q->scores[k];
                if (!s) {
                    Kompass__V1__Score **more =
                        kp_arena_alloc(cli->arena, sizeof *more * (q->n_scores + 1));
                    if (q->n_scores) memcpy(more, q->scores, sizeof *more * q->n_scores);
                    s = kp_arena_zalloc(cli->arena, sizeof *s);
                    kompass__v1__score__init(s);
                    s->question = q->question;
                    s->evaluator = (char *)who;
                    s->version = b->writes[w]->expected_version;
                    more[q->n_scores++] = s;
                    q->scores = more;
                }
                s->points_centi = b->writes[w]->points_centi;
                s->rationale = b->writes[w]->rationale;
                s->written_by = kp_arena_printf(cli->arena, "%s (offline)", l->you);
                s->written_at_us = ch->at_us;
            }
        }
    }
}

/* The caller's waiting texts put into t (area 0: all areas kept). */
static void s_overlay_texts(kp_cli *cli, Kompass__V1__TextShowResponse *t, int area,
                            const kp_offline_journal *j, const char *login)
{
    if (area) {
        size_t k = 0;
        for (size_t i = 0; i < t->n_texts; i++)
            if (t->texts[i]->area == area) t->texts[k++] = t->texts[i];
        t->n_texts = k;
    }
    for (size_t c = 0; c < j->n; c++) {
        const kp_offline_change *ch = &j->changes[c];
        if (ch->outcome || ch->req->body_case != KOMPASS__V1__REQUEST__BODY_TEXT_SAVE) continue;
        const Kompass__V1__TextSaveRequest *b = ch->req->text_save;
        for (size_t i = 0; i < t->n_texts; i++) {
            Kompass__V1__AreaText *x = t->texts[i];
            if (x->area != b->area || strcmp(x->section, b->section) != 0) continue;
            x->summary = b->summary;
            x->items = b->items;
            x->n_items = b->n_items;
            x->written_by = kp_arena_printf(cli->arena, "%s (offline)", login);
            x->written_at_us = ch->at_us;
        }
    }
}

/* The caller's waiting evidence added to e (id 0: not sent yet). */
static void s_overlay_evidence(kp_cli *cli, Kompass__V1__EvidenceListResponse *e,
                               const kp_offline_journal *j, const char *login)
{
    for (size_t c = 0; c < j->n; c++) {
        const kp_offline_change *ch = &j->changes[c];
        if (ch->outcome || ch->req->body_case != KOMPASS__V1__REQUEST__BODY_EVIDENCE_ADD ||
            !ch->req->evidence_add->evidence)
            continue;
        Kompass__V1__Evidence **more =
            kp_arena_alloc(cli->arena, sizeof *more * (e->n_evidence + 1));
        if (e->n_evidence) memcpy(more, e->evidence, sizeof *more * e->n_evidence);
        Kompass__V1__Evidence *x = ch->req->evidence_add->evidence;
        x->created_by = kp_arena_printf(cli->arena, "%s (offline)", login);
        x->created_at_us = ch->at_us;
        more[e->n_evidence++] = x;
        e->evidence = more;
    }
}

/* Says once that what follows comes from the copy. */
static void s_mark(kp_cli *cli, json_t *copy)
{
    cli->offline_version = json_integer_value(json_object_get(copy, "version"));
    cli->offline_from_us = json_integer_value(json_object_get(copy, "fetched_at_us"));
    if (cli->offline_marked || cli->settings.json) return;
    cli->offline_marked = 1;
    printf("offline copy of version %lld, from %s (the server did not answer)\n",
           (long long)cli->offline_version, kp_cli_time(cli, cli->offline_from_us));
    fflush(stdout);
}

int kp_offline_answer(kp_cli *cli, kp_request *req, kp_response **resp, int *status,
                      const char **error)
{
    int write;
    int64_t id = kp_offline_eval_of(req, &write);
    if (id <= 0 || cli->online_only) return 0;
    const char *login = kp_cli_login(cli);
    json_t *copy = login ? kp_offline_copy_load(cli, login, id) : NULL;
    if (!copy) return 0;
    char err[1200];
    kp_offline_journal j;
    int handled = 0;
    if (kp_offline_journal_read(cli, login, id, 0, &j, err, sizeof err) != 0) {
        *status = KP_INTERNAL;
        *error = kp_arena_strdup(cli->arena, err);
        handled = 1;
        goto out;
    }
    kp_response *r = kp_arena_zalloc(cli->arena, sizeof *r);
    kompass__v1__response__init(r);
    r->request_id = req->request_id;
    if (write == 2) {
        /* A text written offline needs no lock: `sync` takes it. */
        Kompass__V1__TextLockResponse *b = kp_arena_zalloc(cli->arena, sizeof *b);
        kompass__v1__text_lock_response__init(b);
        r->body_case = KOMPASS__V1__RESPONSE__BODY_TEXT_LOCK;
        r->text_lock = b;
        *resp = r;
        *status = KP_OK;
        handled = 1;
        goto out;
    }
    if (write) {
        if (!req->request_id || !*req->request_id) {
            char rid[33];
            kp_random_id(rid);
            req->request_id = kp_arena_strdup(cli->arena, rid);
        }
        int64_t base = json_integer_value(json_object_get(copy, "version"));
        Kompass__V1__OfflineOrigin *o = kp_arena_zalloc(cli->arena, sizeof *o);
        kompass__v1__offline_origin__init(o);
        o->recorded_at_us = kp_now_us();
        o->base_version = base;
        if (req->body_case == KOMPASS__V1__REQUEST__BODY_SCORE_SET) req->score_set->offline = o;
        if (req->body_case == KOMPASS__V1__REQUEST__BODY_TEXT_SAVE) req->text_save->offline = o;
        if (req->body_case == KOMPASS__V1__REQUEST__BODY_EVIDENCE_ADD)
            req->evidence_add->offline = o;
        const char *what = kp_offline_what(cli, req);
        int64_t seq = (int64_t)j.n + (int64_t)j.damaged + 1;
        if (kp_offline_journal_append(cli, login, id,
                                      kp_offline_change_line(cli, req, seq, base, what), err,
                                      sizeof err) != 0) {
            *status = KP_INTERNAL;
            *error = kp_arena_printf(cli->arena, "the server did not answer, and %s", err);
            handled = 1;
            goto out;
        }
        size_t waiting = kp_offline_waiting(&j) + 1;
        if (cli->settings.json)
            kp_cli_json(cli, json_pack("{s:{s:b,s:s,s:s,s:I,s:I}}", "offline", "kept", 1, "what",
                                       what, "request_id", req->request_id, "base",
                                       (json_int_t)base, "waiting", (json_int_t)waiting));
        else
            printf("%s: kept offline (%zu change%s waiting; `kompass sync` sends them)\n", what,
                   waiting, waiting == 1 ? "" : "s");
        *status = KP_CLI_KEPT_OFFLINE;
        *error = "kept offline";
        handled = 1;
        goto out;
    }
    const char *key = NULL;
    switch (req->body_case) {
    case KOMPASS__V1__REQUEST__BODY_EVAL_SHOW:
        key = "eval_show";
        break;
    case KOMPASS__V1__REQUEST__BODY_SCORE_LIST:
        key = "score_list";
        break;
    case KOMPASS__V1__REQUEST__BODY_TEXT_SHOW:
        key = "text_show";
        break;
    case KOMPASS__V1__REQUEST__BODY_EVIDENCE_LIST:
        key = "evidence_list";
        break;
    default:
        break;
    }
    kp_response *kept = key ? kp_offline_copy_answer(cli, copy, key) : NULL;
    if (!kept) goto out;
    if (kept->body_case == KOMPASS__V1__RESPONSE__BODY_SCORE_LIST)
        s_overlay_scores(cli, kept->score_list, req->score_list->area, &j);
    if (kept->body_case == KOMPASS__V1__RESPONSE__BODY_TEXT_SHOW)
        s_overlay_texts(cli, kept->text_show, req->text_show->area, &j, login);
    if (kept->body_case == KOMPASS__V1__RESPONSE__BODY_EVIDENCE_LIST)
        s_overlay_evidence(cli, kept->evidence_list, &j, login);
    kept->request_id = req->request_id;
    s_mark(cli, copy);
    *resp = kept;
    *status = KP_OK;
    handled = 1;
out:
    kp_offline_journal_free(&j);
    json_decref(copy);
    return handled;
}
