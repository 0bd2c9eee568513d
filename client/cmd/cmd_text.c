/*  cmd_text: `kompass text show|set|edit`, `kompass locks`, `kompass lock break`.
 *
 *  `text edit` is the whole editing session: take the section lock, open
 *  $EDITOR on the current text, renew the lease while the editor is open,
 *  save with the version that was opened (a change made meanwhile is a
 *  CONFLICT, never overwritten), release the lock.
 *
 *  Nothing typed is lost: the editor edits a draft (client/draft.h) that is
 *  kept until the server has confirmed the save. Whatever goes wrong (the
 *  server away, the lock broken, a conflict, the CLI killed), the draft stays
 *  and `text edit ... --resume` carries on from it; a conflict's other
 *  version is then shown in the draft beside the user's own text. A save that
 *  changes nothing is not sent (a new version would withdraw the area's
 *  approval for nothing), and an empty text is saved only when confirmed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "areatext.h"
#include "args.h"
#include "draft.h"
#include "editor.h"
#include "seen.h"
#include "util.h"

const kp_command kp_text_command = {
    "text", kp_cmd_text, "area texts: show, edit, set, approve",
    "usage: kompass text show ID [AREA]\n"
    "       kompass text edit ID AREA summary|strengths|improvements [--lease SECONDS]\n"
    "                         [--resume] [--discard] [--empty]\n"
    "       kompass text set ID AREA summary|strengths|improvements --file F [--version N]\n"
    "                        [--empty]\n"
    "       kompass text approve ID AREA     (a peer: the area's texts are final; an edit "
    "withdraws it)\n"
    "\n"
    "Each area has a summary (one text; blank lines separate its paragraphs, kept\n"
    "exactly) and two lists: strengths and improvement opportunities (in a file or\n"
    "the editor: one item per line). Lines starting with # are ignored. Editing\n"
    "takes the section's lock: nobody else can save it until you finish or your\n"
    "lease runs out; `kompass locks ID` shows who holds what. A save is refused if\n"
    "the text changed since you opened it (exit 3) or if your lock was broken\n"
    "(exit 3). A text that did not change is not saved (\"no change\"). Emptying a\n"
    "text asks you to confirm; without a terminal it needs --empty.\n"
    "\n"
    "edit keeps what you write in a draft, $XDG_STATE_HOME/kompass/drafts/ (else\n"
    "~/.local/state/kompass/drafts/, mode 0600), from the editor's first write\n"
    "until the server has confirmed the save. If the save fails, it says why and\n"
    "where the draft is; --resume opens the editor on the kept draft (shown beside\n"
    "the other version after a conflict; quit without a change to save the draft\n"
    "as it is), --discard drops the draft and starts from the server's text.\n"};

const kp_command kp_locks_command = {
    "locks", kp_cmd_locks, "the section locks held in an evaluation", "usage: kompass locks ID\n"};

const kp_command kp_lock_command = {
    "lock", kp_cmd_lock, "break another user's section lock (lead or admin)",
    "usage: kompass lock break ID AREA/SECTION --reason R\n"
    "\n"
    "Frees a section lock held by someone else, e.g. `kompass lock break 12\n"
    "3/summary --reason \"Ewa is away; I take over\"`. Audited with the reason; the\n"
    "holder's next save is refused.\n"};

static int s_section(kp_cli *cli, const kp_command *cmd, const char *area_s, const char *section,
                     int64_t *area)
{
    int rc = kp_args_id(cli, cmd, "area", area_s, area);
    if (rc) return rc;
    if (!kp_areatext_section_ok(section))
        return kp_cli_usage(
            cli, cmd, "section must be summary, strengths or improvements, not '%s'", section);
    return 0;
}

static json_t *s_text_json(const Kompass__V1__AreaText *t)
{
    json_t *o =
        json_pack("{s:i,s:s,s:s,s:I,s:s}", "area", t->area, "title", t->title, "section",
                  t->section, "version", (json_int_t)t->version, "written_by", t->written_by);
    if (strcmp(t->section, "summary") == 0) {
        json_object_set_new(o, "text", json_string(t->summary));
    } else {
        json_t *items = json_array();
        for (size_t i = 0; i < t->n_items; i++)
            json_array_append_new(items, json_string(t->items[i]));
        json_object_set_new(o, "items", items);
    }
    return o;
}

static int s_fetch(kp_cli *cli, int64_t id, int area, const Kompass__V1__TextShowResponse **out)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__TextShowRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__text_show_request__init(b);
    b->evaluation_id = id;
    b->area = area;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_SHOW;
    req->text_show = b;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    *out = resp->text_show;
    return 0;
}

static const char *s_heading(const char *section)
{
    if (strcmp(section, "summary") == 0) return "Sammanfattning (summary)";
    if (strcmp(section, "strengths") == 0) return "Styrkor (strengths)";
    return "Förbättringsmöjligheter (improvements)";
}

static int s_show(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_text_command;
    const char *pos[2];
    int n;
    int64_t id, area = 0;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, NULL, pos, 1, 2, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    if (n == 2 && (rc = kp_args_id(cli, cmd, "area", pos[1], &area))) return rc;
    const Kompass__V1__TextShowResponse *l;
    rc = s_fetch(cli, id, (int)area, &l);
    if (rc) return rc;
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < l->n_texts; i++)
            json_array_append_new(arr, s_text_json(l->texts[i]));
        kp_cli_json(cli, json_pack("{s:I,s:o}", "version", (json_int_t)l->version, "texts", arr));
        return 0;
    }
    int32_t now = -1;
    for (size_t i = 0; i < l->n_texts; i++) {
        const Kompass__V1__AreaText *t = l->texts[i];
        kp_seen_put(
            cli, kp_arena_printf(cli->arena, "%lld/text/%d/%s", (long long)id, t->area, t->section),
            t->version);
        if (t->area != now) {
            now = t->area;
            printf("%sArea %d  %s\n", i ? "\n" : "", t->area, t->title);
        }
        printf("\n  %s", s_heading(t->section));
        if (t->version)
            printf("  [version %lld, %s]\n", (long long)t->version, t->written_by);
        else
            printf("  [not written yet]\n");
        if (strcmp(t->section, "summary") == 0) {
            /* every line indented, blank lines (paragraphs) kept */
            for (const char *p = t->summary; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                printf(len ? "    %.*s\n" : "\n", (int)len, p);
                p += len + (nl ? 1 : 0);
            }
        } else {
            for (size_t k = 0; k < t->n_items; k++)
                printf("    - %s\n", t->items[k]);
        }
    }
    return 0;
}

/* The lock: ACQUIRE, RENEW or RELEASE; *token in/out. */
static int s_lease; /* --lease for text edit; 0: the server's default */

static int s_lock(kp_cli *cli, int64_t id, int area, const char *section, int op,
                  const char **token, int quiet)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__TextLockRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__text_lock_request__init(b);
    b->evaluation_id = id;
    b->area = area;
    b->section = (char *)section;
    b->op = (Kompass__V1__TextLockRequest__Op)op;
    b->lease_seconds = s_lease;
    if (*token) b->token = (char *)*token;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    req->text_lock = b;
    kp_response *resp;
    int rc = quiet ? kp_cli_send(cli, req, &resp) : kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    if (quiet && resp->status != KOMPASS__V1__STATUS__OK) return kp_cli_fail(cli, resp);
    if (resp->text_lock && *resp->text_lock->token)
        *token = kp_arena_strdup(cli->arena, resp->text_lock->token);
    return 0;
}

/* Releases the lock without a word (the lease ends it anyway). */
static void s_release(kp_cli *cli, int64_t id, int area, const char *section, const char *token)
{
    if (!token || !*token) return;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__TextLockRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__text_lock_request__init(b);
    b->evaluation_id = id;
    b->area = area;
    b->section = (char *)section;
    b->op = KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RELEASE;
    b->token = (char *)token;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    req->text_lock = b;
    kp_response *resp;
    const char *error;
    kp_cli_call_quiet(cli, req, &resp, &error);
}

/* What a save came to, for the caller to act on. */
typedef struct {
    int status;                       /* KP_OK, the server's status, or the transport's */
    const char *error;                /* the sentence ("" when OK) */
    const Kompass__V1__AreaText *now; /* OK: as saved; CONFLICT: as it is now */
    int64_t version;                  /* the evaluation's version after it */
} save_result;

/* Sends content with version and the lock's token; prints nothing. */
static void s_save(kp_cli *cli, int64_t id, int area, const char *section, const kp_areatext *c,
                   int64_t version, const char *token, save_result *res)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__TextSaveRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__text_save_request__init(b);
    b->evaluation_id = id;
    b->area = area;
    b->section = (char *)section;
    b->expected_version = version;
    b->lock_token = (char *)token;
    b->release = 1;
    if (c->is_list) {
        b->items = c->items;
        b->n_items = c->n_items;
    } else {
        b->summary = c->summary;
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_SAVE;
    req->text_save = b;
    kp_response *resp = NULL;
    memset(res, 0, sizeof *res);
    res->status = kp_cli_call_quiet(cli, req, &resp, &res->error);
    if (resp && resp->text_save) {
        res->now = resp->text_save->text;
        res->version = resp->text_save->version;
    }
    if (res->status == KP_OK)
        kp_seen_put(cli,
                    kp_arena_printf(cli->arena, "%lld/text/%d/%s", (long long)id, area, section),
                    res->now->version);
}

/* Prints what a successful save saved. */
static int s_saved(kp_cli *cli, int area, const char *section, const save_result *res)
{
    if (cli->settings.json)
        kp_cli_json(cli, s_text_json(res->now));
    else
        printf("saved area %d %s (evaluation version %lld)\n", area, section,
               (long long)res->version);
    return 0;
}

/* Prints that nothing changed. */
static int s_no_change(kp_cli *cli, int area, const char *section, int64_t version)
{
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:i,s:s,s:b,s:I}", "area", area, "section", section, "saved",
                                   0, "version", (json_int_t)version));
    else
        printf("no change to area %d %s: nothing saved (it stays version %lld)\n", area, section,
               (long long)version);
    return 0;
}

/* Prints the other version of a conflict on stderr. */
static void s_show_now(kp_cli *cli, const Kompass__V1__AreaText *t)
{
    if (cli->settings.json || !t) return;
    kp_areatext c;
    kp_areatext_from(t, &c);
    fprintf(stderr, "  the text as it is now (version %lld, %s):\n", (long long)t->version,
            t->written_by);
    kp_areatext_write(stderr, &c, "    ");
}

/* The current text of one section, and its version. */
static int s_current(kp_cli *cli, int64_t id, int area, const char *section,
                     const Kompass__V1__AreaText **t)
{
    const Kompass__V1__TextShowResponse *l;
    int rc = s_fetch(cli, id, area, &l);
    if (rc) return rc;
    for (size_t i = 0; i < l->n_texts; i++)
        if (strcmp(l->texts[i]->section, section) == 0) *t = l->texts[i];
    if (!*t) return kp_cli_error(cli, KP_NOT_FOUND, "area %d has no %s", area, section);
    return 0;
}

/* Whether an empty text may be saved: --empty, or a yes on the terminal.
 * 0 when it may; else the exit code after saying why not. */
static int s_empty_ok(kp_cli *cli, const kp_opt *opts, int area, const char *section,
                      const Kompass__V1__AreaText *cur, const char *kept)
{
    if (kp_args_get(opts, "empty")) return 0;
    const char *what = kp_arena_printf(cli->arena, "area %d %s", area, section);
    if (kp_editor_can_ask() && !cli->settings.json) {
        if (kp_editor_ask_yes(kp_arena_printf(cli->arena,
                                              "The text is empty: save %s empty, replacing "
                                              "version %lld by %s? [y/N]",
                                              what, (long long)cur->version, cur->written_by)))
            return 0;
        return kp_cli_error(cli, KP_BAD_REQUEST, "not saved: %s stays as it is%s%s", what,
                            kept ? "; your draft is kept in " : "", kept ? kept : "");
    }
    return kp_cli_error(cli, KP_BAD_REQUEST,
                        "the text is empty: saving it would empty %s (version %lld by %s); "
                        "there is no terminal to confirm it, so nothing was saved (run with "
                        "--empty to save it empty)%s%s",
                        what, (long long)cur->version, cur->written_by,
                        kept ? "; your draft is kept in " : "", kept ? kept : "");
}

static int s_set(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_text_command;
    kp_opt opts[] = {{"file", 1, NULL}, {"version", 1, NULL}, {"empty", 0, NULL}, {0}};
    const char *pos[3];
    int n;
    int64_t id, area;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 3, 3, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id)) ||
        (rc = s_section(cli, cmd, pos[1], pos[2], &area)))
        return rc;
    const char *section = pos[2];
    if (!kp_args_get(opts, "file")) return kp_cli_usage(cli, cmd, "text set needs --file F");
    const char *path = kp_args_get(opts, "file");
    char *text = strcmp(path, "-") == 0 ? kp_read_file("/dev/stdin", 1 << 20, NULL)
                                        : kp_read_file(path, 1 << 20, NULL);
    if (!text)
        return kp_cli_error(cli, KP_BAD_REQUEST, "cannot read %s: %s", path, strerror(errno));
    kp_areatext content;
    kp_areatext_parse(cli->arena, section, text, &content);
    free(text);
    /* The version: as given, as last seen by this client, or the current one. */
    char *key =
        kp_arena_printf(cli->arena, "%lld/text/%lld/%s", (long long)id, (long long)area, section);
    int64_t version = kp_seen_get(cli, key);
    int given = kp_args_version(cli, cmd, opts, &version);
    if (given < 0) return -given;
    const Kompass__V1__AreaText *cur = NULL;
    if ((rc = s_current(cli, id, (int)area, section, &cur))) return rc;
    if (version < 0) version = cur->version;
    kp_areatext now;
    kp_areatext_from(cur, &now);
    if (version == cur->version && kp_areatext_equal(&content, &now))
        return s_no_change(cli, (int)area, section, cur->version);
    const char *token = "";
    if ((rc = s_lock(cli, id, (int)area, section, 0, &token, 0))) return rc;
    /* asked once the server has said the section may be written at all */
    if (kp_areatext_empty(&content) && !kp_areatext_empty(&now) &&
        (rc = s_empty_ok(cli, opts, (int)area, section, cur, NULL))) {
        s_release(cli, id, (int)area, section, token);
        return rc;
    }
    save_result res;
    s_save(cli, id, (int)area, section, &content, version, token, &res);
    if (res.status == KP_OK) return s_saved(cli, (int)area, section, &res);
    if (res.status == KP_CLI_KEPT_OFFLINE) return res.status; /* in the journal, said so */
    s_release(cli, id, (int)area, section, token);
    rc = kp_cli_error(cli, res.status, "%s: %s", kp_status_name(res.status), res.error);
    if (res.status == KP_CONFLICT) s_show_now(cli, res.now);
    return rc;
}

/* ---------------------------------------------------------------- text edit */

/* One editing session: the section, its lock, its draft. */
typedef struct {
    kp_cli *cli;
    int64_t id;
    int area;
    const char *section;
    const char *what; /* "area 3 summary" */
    const char *resume_cmd;
    const char *token;
    int64_t lease;
    int64_t next_renew;
    int renew_failed;
    kp_draft *draft;
} edit;

/* While the editor is open: renew the lease every third of it. Says once
 * when that fails (the editor's screen is not the place for more). */
static void s_tick(void *arg)
{
    edit *e = arg;
    if (kp_mono_ms() < e->next_renew) return;
    kp_request *req = kp_cli_request(e->cli);
    Kompass__V1__TextLockRequest *b = kp_arena_alloc(e->cli->arena, sizeof *b);
    kompass__v1__text_lock_request__init(b);
    b->evaluation_id = e->id;
    b->area = e->area;
    b->section = (char *)e->section;
    b->op = KOMPASS__V1__TEXT_LOCK_REQUEST__OP__RENEW;
    b->lease_seconds = s_lease;
    b->token = (char *)e->token;
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_LOCK;
    req->text_lock = b;
    kp_response *resp;
    const char *error;
    int rc = kp_cli_call_quiet(e->cli, req, &resp, &error);
    if (rc != KP_OK && !e->renew_failed)
        fprintf(stderr,
                "kompass: warning: could not renew the lock on %s (%s: %s); go on writing: "
                "your text is kept in %s whatever happens\n",
                e->what, kp_status_name(rc), error, kp_draft_path(e->draft));
    e->renew_failed = rc != KP_OK;
    e->next_renew = kp_mono_ms() + e->lease * 1000 / 3;
}

/* The comment block at the top of a draft. */
static void s_header(FILE *f, const edit *e, const Kompass__V1__AreaText *cur)
{
    if (cur->version)
        fprintf(f, "# Evaluation %lld, area %d %s: %s, as of version %lld by %s\n",
                (long long)e->id, e->area, cur->title, e->section, (long long)cur->version,
                cur->written_by);
    else
        fprintf(f, "# Evaluation %lld, area %d %s: %s, not written yet\n", (long long)e->id,
                e->area, cur->title, e->section);
    if (strcmp(e->section, "summary") == 0)
        fprintf(f, "# Write the summary below; blank lines separate paragraphs.\n");
    else
        fprintf(f, "# One item per line.\n");
    fprintf(f,
            "# Lines starting with # are ignored. Save and quit to send it; quit\n"
            "# without a change to leave the text as it is. Until the server has it,\n"
            "# your text is kept in this file: %s\n",
            kp_draft_path(e->draft));
}

/* The draft's text: header, a conflict's other version when there is one,
 * then content. */
static char *s_draft_text(const edit *e, const Kompass__V1__AreaText *cur,
                          const kp_areatext *content, const Kompass__V1__AreaText *conflict)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    s_header(f, e, cur);
    if (conflict) {
        kp_areatext other;
        kp_areatext_from(conflict, &other);
        fprintf(f,
                "#\n# CONFLICT: while you wrote, %s saved version %lld of %s (%s).\n"
                "# Their text:\n",
                conflict->written_by, (long long)conflict->version, e->what,
                kp_cli_time(e->cli, conflict->written_at_us));
        if (kp_areatext_empty(&other)) fprintf(f, "#   (empty)\n");
        kp_areatext_write(f, &other, "#   | ");
        fprintf(f,
                "# Your text is below. Make it what should stand (take from theirs what you\n"
                "# want), then save and quit: that replaces their version %lld. To keep\n"
                "# theirs instead: kompass text edit %lld %d %s --discard\n",
                (long long)conflict->version, (long long)e->id, e->area, e->section);
    }
    fputs("\n", f);
    kp_areatext_write(f, content, "");
    fclose(f);
    return buf;
}

/* Records in the draft that it is kept, and why; says so with status, the
 * draft's path, advice (may be NULL) and how to go on. */
static int s_kept(edit *e, int status, const char *why, const char *advice)
{
    json_t *rec = kp_draft_record(e->draft);
    json_object_set_new(rec, "state", json_string("kept"));
    json_object_set_new(rec, "reason", json_string(why));
    char err[512];
    if (kp_draft_save_record(e->draft, err, sizeof err) != 0)
        fprintf(stderr, "kompass: warning: %s\n", err);
    return kp_cli_error(e->cli, status, "%s%s%s\n  your text is kept in %s\n  to go on: %s", why,
                        advice ? "\n  " : "", advice ? advice : "", kp_draft_path(e->draft),
                        e->resume_cmd);
}

/* The draft gone, the lock released: the server has the text (or the user
 * chose to drop it). */
static void s_done(edit *e)
{
    char err[512];
    if (kp_draft_remove(e->draft, err, sizeof err) != 0)
        fprintf(stderr, "kompass: warning: %s\n", err);
}

/* When a kept draft exists and neither --resume nor --discard was given:
 * offer it on a terminal; 1 resume, 0 discard, or an exit code < 0. */
static int s_offer(edit *e)
{
    json_t *rec = kp_draft_record(e->draft);
    const char *reason = json_string_value(json_object_get(rec, "reason"));
    json_int_t when = json_integer_value(json_object_get(rec, "updated_at_us"));
    const char *about =
        kp_arena_printf(e->cli->arena, "you have a kept draft of %s (%s%s%s%s): %s", e->what,
                        when ? "from " : "", when ? kp_cli_time(e->cli, when) : "",
                        reason ? "; " : "", reason ? reason : "", kp_draft_path(e->draft));
    if (kp_editor_can_ask() && !e->cli->settings.json) {
        fprintf(stderr, "kompass: %s\n", about);
        if (kp_editor_ask_yes("Go on with it? [y/N]")) return 1;
        if (kp_editor_ask_yes("Discard it and start from the server's text? [y/N]")) return 0;
        return -kp_cli_error(e->cli, KP_BAD_REQUEST,
                             "nothing done; the draft stays (--resume or --discard)");
    }
    return -kp_cli_error(e->cli, KP_BAD_REQUEST,
                         "%s\n  to go on with it: %s\n  to drop it and start from the server's "
                         "text: kompass text edit %lld %d %s --discard",
                         about, e->resume_cmd, (long long)e->id, e->area, e->section);
}

/* A kept draft: resumed (--resume, or asked on a terminal) or dropped
 * (--discard, or the answer); *kept is 0 once dropped. 0, or the exit
 * code. */
static int s_edit_choose(edit *e, int *resume, int discard, int *kept)
{
    char err[1200];
    if (*resume && !*kept)
        return kp_cli_error(e->cli, KP_NOT_FOUND,
                            "NOT_FOUND: there is no kept draft of %s to resume", e->what);
    if (*kept && !*resume && !discard) {
        int offer = s_offer(e);
        if (offer < 0) return -offer;
        *resume = offer;
        discard = !offer;
    }
    if (!*resume && *kept && discard) {
        if (kp_draft_remove(e->draft, err, sizeof err) != 0)
            return kp_cli_error(e->cli, KP_INTERNAL, "%s", err);
        fprintf(stderr, "kompass: dropped your kept draft of %s\n", e->what);
        *kept = 0;
    }
    return 0;
}

#define S_EDIT_GO_ON (-1) /* a step's answer: on to the editor */

/* The file the editor gets (*opened, malloc'd) and the version it is based
 * on: a new draft from the server's text (cur, now), or the kept one
 * resumed, with theirs beside it when the server's changed meanwhile (or
 * nothing to do when our draft is what the server has: saved before,
 * unheard). S_EDIT_GO_ON, or the exit code (the lock still to release). */
static int s_edit_open(edit *e, int resume, const Kompass__V1__AreaText *cur,
                       const kp_areatext *now, const char *login, int64_t *base_version,
                       char **opened)
{
    kp_cli *cli = e->cli;
    json_t *rec = kp_draft_record(e->draft);
    char err[1200];
    *base_version = cur->version;
    *opened = NULL;
    if (resume) {
        char *text = kp_draft_read(e->draft);
        if (!text)
            return kp_cli_error(cli, KP_INTERNAL, "cannot read your draft %s: %s",
                                kp_draft_path(e->draft), strerror(errno));
        kp_areatext mine;
        kp_areatext_parse(cli->arena, e->section, text, &mine);
        json_t *bv = json_object_get(rec, "base_version");
        *base_version = json_is_integer(bv) ? json_integer_value(bv) : -1;
        if (*base_version == cur->version) {
            *opened = text;
            return S_EDIT_GO_ON;
        }
        if (kp_areatext_equal(&mine, now)) {
            /* The save went through; the CLI did not live to hear it. */
            free(text);
            s_done(e);
            if (!cli->settings.json)
                printf("your draft of %s was saved already (version %lld by %s); draft "
                       "removed\n",
                       e->what, (long long)cur->version, cur->written_by);
            else
                s_no_change(cli, e->area, e->section, cur->version);
            return 0;
        }
        /* Changed meanwhile: show theirs beside ours; saving replaces it. */
        char *t = s_draft_text(e, cur, &mine, cur);
        free(text);
        json_object_set_new(rec, "base_version", json_integer(cur->version));
        json_object_set_new(rec, "base", kp_areatext_json(now));
        json_object_set_new(rec, "conflict",
                            json_pack("{s:I,s:s,s:I}", "version", (json_int_t)cur->version,
                                      "written_by", cur->written_by, "written_at_us",
                                      (json_int_t)cur->written_at_us));
        if (!t || kp_draft_write(e->draft, t, err, sizeof err) != 0) {
            free(t);
            return kp_cli_error(cli, KP_INTERNAL, "%s", err);
        }
        fprintf(stderr,
                "kompass: %s changed since your draft was begun: %s saved version %lld; "
                "both are in the editor\n",
                e->what, cur->written_by, (long long)cur->version);
        *opened = t;
        *base_version = cur->version;
        return S_EDIT_GO_ON;
    }
    json_object_clear(rec);
    json_object_set_new(rec, "kind", json_string("text"));
    json_object_set_new(rec, "server", json_string(cli->settings.server));
    json_object_set_new(rec, "login", json_string(login));
    json_object_set_new(rec, "evaluation", json_integer(e->id));
    json_object_set_new(rec, "area", json_integer(e->area));
    json_object_set_new(rec, "section", json_string(e->section));
    json_object_set_new(rec, "title", json_string(cur->title));
    json_object_set_new(rec, "base_version", json_integer(cur->version));
    json_object_set_new(rec, "base", kp_areatext_json(now));
    json_object_set_new(rec, "created_at_us", json_integer(kp_now_us()));
    json_object_set_new(rec, "state", json_string("editing"));
    *opened = s_draft_text(e, cur, now, NULL);
    if (!*opened || kp_draft_write(e->draft, *opened, err, sizeof err) != 0) {
        free(*opened);
        *opened = NULL;
        return kp_cli_error(cli, KP_INTERNAL, "%s", err);
    }
    return S_EDIT_GO_ON;
}

/* After a save that failed with res: what the user can do about it (NULL:
 * nothing to add); a CONFLICT's other text goes into the draft beside
 * ours at once (a kill now loses neither, and --resume shows both). */
static const char *s_edit_advice(edit *e, const Kompass__V1__AreaText *cur, const kp_areatext *mine,
                                 const save_result *res)
{
    kp_cli *cli = e->cli;
    json_t *rec = kp_draft_record(e->draft);
    char err[1200] = "";
    if (res->status == KP_CONFLICT && res->now) {
        char *t = s_draft_text(e, cur, mine, res->now);
        kp_areatext theirs;
        kp_areatext_from(res->now, &theirs);
        json_object_set_new(rec, "base_version", json_integer(res->now->version));
        json_object_set_new(rec, "base", kp_areatext_json(&theirs));
        json_object_set_new(rec, "conflict",
                            json_pack("{s:I,s:s,s:I}", "version", (json_int_t)res->now->version,
                                      "written_by", res->now->written_by, "written_at_us",
                                      (json_int_t)res->now->written_at_us));
        if (!t || kp_draft_write(e->draft, t, err, sizeof err) != 0)
            fprintf(stderr, "kompass: warning: %s\n", err);
        free(t);
        return kp_arena_printf(cli->arena,
                               "--resume opens your text with theirs beside it; saving then "
                               "replaces their version %lld",
                               (long long)res->now->version);
    }
    if (res->status == KP_LOCKED) return "--resume takes the lock again when it is free";
    if (res->status == KP_UNAVAILABLE)
        return "the save may or may not have reached the server; --resume finds out and "
               "never saves twice";
    return NULL;
}

static int s_edit(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_text_command;
    kp_opt opts[] = {
        {"lease", 1, NULL}, {"resume", 0, NULL}, {"discard", 0, NULL}, {"empty", 0, NULL}, {0}};
    const char *pos[3];
    int n;
    int64_t id, area;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 3, 3, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id)) ||
        (rc = s_section(cli, cmd, pos[1], pos[2], &area)))
        return rc;
    int resume = kp_args_get(opts, "resume") != NULL;
    int discard = kp_args_get(opts, "discard") != NULL;
    if (resume && discard)
        return kp_cli_usage(cli, cmd, "--resume and --discard exclude each other");
    edit e = {
        .cli = cli, .id = id, .area = (int)area, .section = pos[2], .token = "", .lease = 300};
    e.what = kp_arena_printf(cli->arena, "area %d %s", e.area, e.section);
    e.resume_cmd = kp_arena_printf(cli->arena, "kompass text edit %lld %d %s --resume",
                                   (long long)id, e.area, e.section);
    if (kp_args_get(opts, "lease") &&
        (rc = kp_args_id(cli, cmd, "--lease", kp_args_get(opts, "lease"), &e.lease)))
        return rc;
    s_lease = (int)e.lease;

    /* The draft: whose, for which server; who else works on it. */
    const char *login = kp_cli_login(cli);
    if (!login)
        return kp_cli_error(cli, KP_UNAUTHENTICATED,
                            "UNAUTHENTICATED: not logged in to %s (log in with `kompass login "
                            "USER`)",
                            cli->settings.server);
    char err[1200];
    int busy;
    if (kp_draft_open(
            &cli->settings, login,
            kp_arena_printf(cli->arena, "text-%lld-%d-%s", (long long)id, e.area, e.section),
            &e.draft, &busy, err, sizeof err) != 0)
        return kp_cli_error(cli, busy ? KP_LOCKED : KP_INTERNAL, "%s%s: %s",
                            busy ? "LOCKED: your draft of " : "cannot keep a draft of ", e.what,
                            err);
    int kept = kp_draft_exists(e.draft);
    if ((rc = s_edit_choose(&e, &resume, discard, &kept))) goto out;

    /* The lock first: with it, nobody can save this section until we do. */
    if ((rc = s_lock(cli, id, e.area, e.section, 0, &e.token, 0))) {
        if (kept)
            fprintf(stderr, "  your draft stays in %s\n  to go on later: %s\n",
                    kp_draft_path(e.draft), e.resume_cmd);
        goto out;
    }
    const Kompass__V1__AreaText *cur = NULL;
    if ((rc = s_current(cli, id, e.area, e.section, &cur))) goto release;
    kp_areatext now;
    kp_areatext_from(cur, &now);

    json_t *rec = kp_draft_record(e.draft);
    int64_t base_version;
    char *opened; /* the file as the editor gets it */
    if ((rc = s_edit_open(&e, resume, cur, &now, login, &base_version, &opened)) != S_EDIT_GO_ON)
        goto release;

    e.next_renew = kp_mono_ms() + e.lease * 1000 / 3;
    const char *editor;
    int ed = kp_editor_run(kp_draft_path(e.draft), s_tick, &e, &editor, err, sizeof err);
    char *text = kp_draft_read(e.draft);
    char serr[512];
    if (text && kp_draft_sync(e.draft, serr, sizeof serr) != 0)
        fprintf(stderr, "kompass: warning: %s\n", serr);
    int unchanged = text && strcmp(text, opened) == 0;
    free(opened);
    if (!text) {
        rc = kp_cli_error(cli, KP_INTERNAL, "cannot read back %s: %s", kp_draft_path(e.draft),
                          strerror(errno));
        goto release;
    }
    kp_areatext mine;
    kp_areatext_parse(cli->arena, e.section, text, &mine);
    free(text);
    if (ed != 0) {
        if (unchanged && !resume) {
            s_done(&e);
            rc = kp_cli_error(cli, KP_BAD_REQUEST, "%s; nothing was changed or saved", err);
        } else {
            rc = s_kept(&e, KP_BAD_REQUEST,
                        kp_arena_printf(cli->arena, "%s; nothing was saved", err), NULL);
        }
        goto release;
    }
    /* Compared with what the server has: equal is no change, whatever the
     * editor did (a draft resumed unchanged is saved as it is). */
    if (kp_areatext_equal(&mine, &now) && base_version == cur->version) {
        s_done(&e);
        rc = s_no_change(cli, e.area, e.section, cur->version);
        goto release;
    }
    if (kp_areatext_empty(&mine) && !kp_areatext_empty(&now) &&
        (rc = s_empty_ok(cli, opts, e.area, e.section, cur, kp_draft_path(e.draft)))) {
        json_object_set_new(rec, "state", json_string("kept"));
        json_object_set_new(rec, "reason", json_string("an empty text was not confirmed"));
        kp_draft_save_record(e.draft, err, sizeof err);
        goto release;
    }
    json_object_set_new(rec, "state", json_string("saving"));
    json_object_set_new(rec, "reason",
                        json_string("the save was sent, but its answer never came back"));
    if (kp_draft_save_record(e.draft, err, sizeof err) != 0)
        fprintf(stderr, "kompass: warning: %s\n", err);

    save_result res;
    s_save(cli, id, e.area, e.section, &mine, base_version, e.token, &res);
    if (res.status == KP_OK) {
        s_done(&e);
        rc = s_saved(cli, e.area, e.section, &res);
        goto out; /* saved with release */
    }
    if (res.status == KP_CLI_KEPT_OFFLINE) { /* the journal has it now (client/offline.h) */
        s_done(&e);
        rc = res.status;
        goto out;
    }
    const char *why = kp_arena_printf(cli->arena, "%s: %s", kp_status_name(res.status), res.error);
    const char *advice = s_edit_advice(&e, cur, &mine, &res);
    rc = s_kept(&e, res.status, why, advice);
    if (res.status == KP_CONFLICT) s_show_now(cli, res.now);
    /* unreachable: the lease ends the lock without another wait */
    if (res.status == KP_UNAVAILABLE) goto out;
release:
    s_release(cli, id, e.area, e.section, e.token);
out:
    kp_draft_close(&e.draft);
    return rc;
}

int kp_cmd_text(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_text_command, "text needs a subcommand");
    if (strcmp(argv[1], "show") == 0) return s_show(cli, argc, argv);
    if (strcmp(argv[1], "set") == 0) return s_set(cli, argc, argv);
    if (strcmp(argv[1], "edit") == 0) return s_edit(cli, argc, argv);
    if (strcmp(argv[1], "approve") == 0)
        return kp_cmd_text_approve(cli, &kp_text_command, argc, argv);
    return kp_cli_usage(cli, &kp_text_command, "unknown subcommand 'text %s'", argv[1]);
}

int kp_cmd_locks(kp_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, &kp_locks_command, argc, argv, 1, NULL, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, &kp_locks_command, "evaluation id", pos[0], &id))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__LockListRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__lock_list_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOCK_LIST;
    req->lock_list = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__LockListResponse *l = resp->lock_list;
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < l->n_locks; i++)
            json_array_append_new(
                arr, json_pack("{s:i,s:s,s:s,s:s,s:s,s:s}", "area", l->locks[i]->area, "section",
                               l->locks[i]->section, "holder", l->locks[i]->holder, "holder_name",
                               l->locks[i]->holder_name, "acquired_at",
                               kp_cli_time(cli, l->locks[i]->acquired_at_us), "expires_at",
                               kp_cli_time(cli, l->locks[i]->expires_at_us)));
        kp_cli_json(cli, json_pack("{s:o}", "locks", arr));
        return 0;
    }
    if (l->n_locks == 0) {
        printf("no locks held in evaluation %lld\n", (long long)id);
        return 0;
    }
    printf("SECTION             HOLDER          SINCE                 EXPIRES\n");
    for (size_t i = 0; i < l->n_locks; i++) {
        const Kompass__V1__LockInfo *k = l->locks[i];
        kp_cli_cell(kp_arena_printf(cli->arena, "%d/%s", k->area, k->section), 20);
        kp_cli_cell(k->holder, 16);
        kp_cli_cell(kp_cli_time(cli, k->acquired_at_us), 22);
        printf("%s\n", kp_cli_time(cli, k->expires_at_us));
    }
    return 0;
}

int kp_cmd_lock(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_lock_command;
    if (argc < 2 || strcmp(argv[1], "break") != 0)
        return kp_cli_usage(cli, cmd, "the only lock subcommand is break");
    kp_opt opts[] = {{"reason", 1, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id, area;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 2, 2, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    char *spec = kp_arena_strdup(cli->arena, pos[1]);
    char *sep = strpbrk(spec, "/:.");
    if (!sep) return kp_cli_usage(cli, cmd, "SECTION is AREA/SECTION, e.g. 3/summary");
    *sep = '\0';
    if ((rc = s_section(cli, cmd, spec, sep + 1, &area))) return rc;
    if (!kp_args_get(opts, "reason"))
        return kp_cli_usage(cli, cmd, "breaking a lock needs --reason");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__LockBreakRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__lock_break_request__init(b);
    b->evaluation_id = id;
    b->area = (int32_t)area;
    b->section = sep + 1;
    b->reason = (char *)kp_args_get(opts, "reason");
    req->body_case = KOMPASS__V1__REQUEST__BODY_LOCK_BREAK;
    req->lock_break = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__LockBreakResponse *out = resp->lock_break;
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:s,s:I}", "broken_holder", out->broken->holder, "version",
                                   (json_int_t)out->version));
    else
        printf("broke %s's lock on area %lld %s (evaluation version %lld)\n", out->broken->holder,
               (long long)area, sep + 1, (long long)out->version);
    return 0;
}
