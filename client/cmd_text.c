/*  cmd_text: `kompass text show|set|edit`, `kompass locks`, `kompass lock break`.
 *
 *  `text edit` is the whole editing session: take the section lock, open
 *  $EDITOR on the current text, renew the lease while the editor is open,
 *  save with the version that was opened (a change made meanwhile is a
 *  CONFLICT, never overwritten), release the lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "seen.h"
#include "util.h"

const kp_command kp_text_command = {
    "text", kp_cmd_text, "area texts: show, edit, set, approve",
    "usage: kompass text show ID [AREA]\n"
    "       kompass text edit ID AREA summary|strengths|improvements [--lease SECONDS]\n"
    "       kompass text set ID AREA summary|strengths|improvements --file F\n"
    "       kompass text approve ID AREA     (a peer: the area's texts are final; an edit "
    "withdraws it)\n"
    "\n"
    "Each area has a summary (one text) and two lists: strengths and improvement\n"
    "opportunities (in a file or the editor: one item per line; lines starting with\n"
    "# are ignored). Editing takes the section's lock: nobody else can save it\n"
    "until you finish or your lease runs out; `kompass locks ID` shows who holds\n"
    "what. A save is refused if the text changed since you opened it (exit 3) or\n"
    "if your lock was broken (exit 3).\n"};

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
    if (strcmp(section, "summary") && strcmp(section, "strengths") &&
        strcmp(section, "improvements"))
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
            if (*t->summary) printf("    %s\n", t->summary);
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

/* Saves content read from text (one item per line for lists). */
static int s_save(kp_cli *cli, int64_t id, int area, const char *section, const char *text,
                  int64_t version, const char *token)
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
    char *copy = kp_arena_strdup(cli->arena, text);
    if (strcmp(section, "summary") == 0) {
        /* drop comment lines, keep paragraphs */
        char *out = kp_arena_alloc(cli->arena, strlen(copy) + 1);
        out[0] = '\0';
        for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"))
            if (line[0] != '#') {
                if (*out) strcat(out, "\n");
                strcat(out, line);
            }
        b->summary = kp_trim(out);
    } else {
        size_t cap = 1;
        for (const char *p = copy; *p; p++)
            cap += *p == '\n';
        b->items = kp_arena_alloc(cli->arena, sizeof(char *) * cap);
        for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
            if (line[0] == '#') continue;
            if (line[0] == '-' && line[1] == ' ') line += 2;
            kp_trim(line);
            if (*line) b->items[b->n_items++] = line;
        }
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_TEXT_SAVE;
    req->text_save = b;
    kp_response *resp;
    int rc = kp_cli_send(cli, req, &resp);
    if (rc) return rc;
    if (resp->status != KOMPASS__V1__STATUS__OK) {
        rc = kp_cli_fail(cli, resp);
        const Kompass__V1__AreaText *t = resp->text_save ? resp->text_save->text : NULL;
        if (resp->status == KOMPASS__V1__STATUS__CONFLICT && t && !cli->settings.json) {
            fprintf(stderr, "  the text as it is now (version %lld, %s):\n", (long long)t->version,
                    t->written_by);
            if (strcmp(section, "summary") == 0) fprintf(stderr, "    %s\n", t->summary);
            for (size_t k = 0; k < t->n_items; k++)
                fprintf(stderr, "    - %s\n", t->items[k]);
        }
        return rc;
    }
    const Kompass__V1__AreaText *t = resp->text_save->text;
    kp_seen_put(cli, kp_arena_printf(cli->arena, "%lld/text/%d/%s", (long long)id, area, section),
                t->version);
    if (cli->settings.json)
        kp_cli_json(cli, s_text_json(t));
    else
        printf("saved area %d %s (evaluation version %lld)\n", area, section,
               (long long)resp->text_save->version);
    return 0;
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
    return 0;
}

static int s_set(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_text_command;
    kp_opt opts[] = {{"file", 1, NULL}, {"version", 1, NULL}, {0}};
    const char *pos[3];
    int n;
    int64_t id, area;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 3, 3, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id)) ||
        (rc = s_section(cli, cmd, pos[1], pos[2], &area)))
        return rc;
    if (!kp_args_get(opts, "file")) return kp_cli_usage(cli, cmd, "text set needs --file F");
    const char *path = kp_args_get(opts, "file");
    char *text = strcmp(path, "-") == 0 ? kp_read_file("/dev/stdin", 1 << 20, NULL)
                                        : kp_read_file(path, 1 << 20, NULL);
    if (!text) return kp_cli_error(cli, KP_BAD_REQUEST, "cannot read %s", path);
    char *t = kp_arena_strdup(cli->arena, text);
    free(text);
    /* The version: as given, as last seen by this client, or the current one. */
    char *key =
        kp_arena_printf(cli->arena, "%lld/text/%lld/%s", (long long)id, (long long)area, pos[2]);
    int64_t version = kp_seen_get(cli, key);
    if (kp_args_get(opts, "version")) version = atoll(kp_args_get(opts, "version"));
    if (version < 0) {
        const Kompass__V1__AreaText *cur = NULL;
        if ((rc = s_current(cli, id, (int)area, pos[2], &cur))) return rc;
        version = cur ? cur->version : 0;
    }
    const char *token = "";
    if ((rc = s_lock(cli, id, (int)area, pos[2], 0, &token, 0))) return rc;
    rc = s_save(cli, id, (int)area, pos[2], t, version, token);
    if (rc) {
        const char *tok = token;
        s_lock(cli, id, (int)area, pos[2], 2, &tok, 1);
    }
    return rc;
}

static int s_edit(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_text_command;
    kp_opt opts[] = {{"lease", 1, NULL}, {0}};
    const char *pos[3];
    int n;
    int64_t id, area;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 3, 3, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id)) ||
        (rc = s_section(cli, cmd, pos[1], pos[2], &area)))
        return rc;
    const char *section = pos[2];
    int64_t lease = 300;
    if (kp_args_get(opts, "lease") &&
        (rc = kp_args_id(cli, cmd, "--lease", kp_args_get(opts, "lease"), &lease)))
        return rc;
    s_lease = (int)lease;
    const char *token = "";
    if ((rc = s_lock(cli, id, (int)area, section, 0, &token, 0))) return rc;
    const Kompass__V1__AreaText *cur = NULL;
    if ((rc = s_current(cli, id, (int)area, section, &cur))) goto release;

    char path[] = "/tmp/kompass-text-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        rc = kp_cli_error(cli, KP_INTERNAL, "cannot create a temporary file: %s", strerror(errno));
        goto release;
    }
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# Evaluation %lld, area %lld %s: %s (version %lld)\n", (long long)id,
            (long long)area, cur ? cur->title : "", section, (long long)(cur ? cur->version : 0));
    if (strcmp(section, "summary") == 0) {
        fprintf(f, "# Write the summary below. Lines starting with # are ignored.\n");
        if (cur && *cur->summary) fprintf(f, "%s\n", cur->summary);
    } else {
        fprintf(f, "# One item per line. Lines starting with # are ignored.\n");
        for (size_t k = 0; cur && k < cur->n_items; k++)
            fprintf(f, "%s\n", cur->items[k]);
    }
    fclose(f);

    const char *editor = getenv("VISUAL");
    if (!editor || !*editor) editor = getenv("EDITOR");
    if (!editor || !*editor) editor = "vi";
    pid_t pid = fork();
    if (pid == 0) {
        execlp("sh", "sh", "-c", "exec $0 \"$1\"", editor, path, (char *)NULL);
        _exit(127);
    }
    /* Renew the lease while the editor is open. */
    int status = 0;
    int64_t every = lease * 1000 / 3;
    int64_t next_renew = kp_mono_ms() + every;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) break;
        if (kp_mono_ms() >= next_renew) {
            const char *tok = token;
            if (s_lock(cli, id, (int)area, section, 1, &tok, 1) != 0)
                fprintf(stderr, "kompass: warning: could not renew the lock; your save may be "
                                "refused\n");
            next_renew = kp_mono_ms() + every;
        }
        usleep(200000);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        unlink(path);
        rc = kp_cli_error(cli, KP_BAD_REQUEST, "the editor (%s) failed; nothing was saved", editor);
        goto release;
    }
    char *text = kp_read_file(path, 1 << 20, NULL);
    unlink(path);
    if (!text) {
        rc = kp_cli_error(cli, KP_INTERNAL, "cannot read back the edited text");
        goto release;
    }
    char *t = kp_arena_strdup(cli->arena, text);
    free(text);
    rc = s_save(cli, id, (int)area, section, t, cur ? cur->version : 0, token);
    if (rc == 0) return 0;
release : {
    const char *tok = token;
    s_lock(cli, id, (int)area, section, 2, &tok, 1);
}
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
