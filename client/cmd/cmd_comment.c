/*  cmd_comment: `kompass comment add|list|resolve|reopen`, a thread per
 *  question for the consensus meeting. */
#include <stdio.h>
#include <string.h>

#include "args.h"

const kp_command kp_comment_command = {
    "comment", kp_cmd_comment, "discuss a question in a thread: add, list, resolve, reopen",
    "usage: kompass comment add ID QUESTION --text TEXT\n"
    "       kompass comment list ID [QUESTION] [--open]\n"
    "       kompass comment resolve ID QUESTION [--reason R]\n"
    "       kompass comment reopen ID QUESTION\n"
    "\n"
    "Each question of evaluation ID has a thread, for the team (lead, peers, admins)\n"
    "to say why it scores where it does and what is still unsettled. A thread is open\n"
    "from its first comment until someone resolves it; a comment on a resolved\n"
    "thread opens it again. While any thread is open the evaluation stays in\n"
    "consensus (kompass eval status ID names them). Threads open once blind scoring\n"
    "has ended. Observers read them.\n"
    "\n"
    "list shows every thread (or QUESTION's), oldest comment first, marking what is\n"
    "new to you since you last looked; listing a thread marks it read. --open: only\n"
    "the open ones. Comments are kept as written and never change; each one, and\n"
    "each resolution, is in the audit trail and in `kompass watch`.\n"};

static int s_id(kp_cli *cli, const char *text, int64_t *id)
{
    return kp_args_id(cli, &kp_comment_command, "evaluation id", text, id);
}

static json_t *s_comment_json(kp_cli *cli, const Kompass__V1__Comment *c)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "id", (json_int_t)c->id, "kind", c->kind,
                     "text", c->text, "author", c->author, "author_name", c->author_name, "at",
                     kp_cli_time(cli, c->at_us), "version", (json_int_t)c->version, "new",
                     c->unread);
}

json_t *kp_cli_thread_json(kp_cli *cli, const Kompass__V1__CommentThread *t)
{
    json_t *cs = json_array();
    for (size_t i = 0; i < t->n_comments; i++)
        json_array_append_new(cs, s_comment_json(cli, t->comments[i]));
    json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:i,s:i,s:I,s:o}", "question", t->question, "text",
                          t->text, "area", t->area, "status", t->status, "comments_count", t->count,
                          "new", t->new_count, "version", (json_int_t)t->version, "comments", cs);
    if (strcmp(t->status, "resolved") == 0) {
        json_object_set_new(o, "resolved_by", json_string(t->resolved_by));
        json_object_set_new(o, "resolved_at", json_string(kp_cli_time(cli, t->resolved_at_us)));
        json_object_set_new(o, "reason", json_string(t->reason));
    }
    return o;
}

/* Prints text indented, line by line, as written. */
static void s_indented(const char *text, const char *indent)
{
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        printf("%s%.*s\n", indent, (int)n, p);
        p += n;
        if (*p == '\n') p++;
    }
}

void kp_cli_thread_print(kp_cli *cli, const Kompass__V1__CommentThread *t)
{
    printf("%-5s %s, %d comment%s%s  %s\n", t->question, t->status, t->count,
           t->count == 1 ? "" : "s",
           t->new_count ? kp_arena_printf(cli->arena, " (%d new)", t->new_count) : "",
           kp_cli_words(cli, t->text, 50));
    for (size_t i = 0; i < t->n_comments; i++) {
        const Kompass__V1__Comment *c = t->comments[i];
        const char *when = kp_cli_time(cli, c->at_us), *mark = c->unread ? "  [new]" : "";
        if (strcmp(c->kind, "resolve") == 0)
            printf("  %s  %s resolved it%s%s%s\n", when, c->author, *c->text ? ": " : "", c->text,
                   mark);
        else if (strcmp(c->kind, "reopen") == 0)
            printf("  %s  %s reopened it%s\n", when, c->author, mark);
        else {
            printf("  %s  %s (%s)%s\n", when, c->author, c->author_name, mark);
            s_indented(c->text, "      ");
        }
    }
}

static int s_add(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_comment_command;
    kp_opt opts[] = {{"text", 1, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 2, 2, &n);
    if (rc || (rc = s_id(cli, pos[0], &id))) return rc;
    if (!kp_args_get(opts, "text")) return kp_cli_usage(cli, cmd, "comment add needs --text TEXT");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__CommentAddRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__comment_add_request__init(b);
    b->evaluation_id = id;
    b->question = (char *)pos[1];
    b->text = (char *)kp_args_get(opts, "text");
    req->body_case = KOMPASS__V1__REQUEST__BODY_COMMENT_ADD;
    req->comment_add = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__CommentAddResponse *out = resp->comment_add;
    if (cli->settings.json) {
        json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:b,s:i,s:o}", "id", (json_int_t)id, "question",
                              b->question, "status", out->status, "version",
                              (json_int_t)out->version, "reopened", out->reopened, "open_threads",
                              out->open_threads, "comment", s_comment_json(cli, out->comment));
        kp_cli_json(cli, o);
        return 0;
    }
    printf("comment %lld on %s added (evaluation %lld, version %lld)%s\n",
           (long long)out->comment->id, b->question, (long long)id, (long long)out->version,
           out->reopened ? ": the thread was resolved and is open again" : "");
    printf("%d open thread%s; evaluation %lld is in %s\n", out->open_threads,
           out->open_threads == 1 ? "" : "s", (long long)id, out->status);
    return 0;
}

static int s_list(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_comment_command;
    kp_opt opts[] = {{"open", 0, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 1, 2, &n);
    if (rc || (rc = s_id(cli, pos[0], &id))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__CommentListRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__comment_list_request__init(b);
    b->evaluation_id = id;
    if (n == 2) b->question = (char *)pos[1];
    b->open_only = kp_args_get(opts, "open") != NULL;
    req->body_case = KOMPASS__V1__REQUEST__BODY_COMMENT_LIST;
    req->comment_list = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__CommentListResponse *out = resp->comment_list;
    if (cli->settings.json) {
        json_t *ts = json_array();
        for (size_t i = 0; i < out->n_threads; i++)
            json_array_append_new(ts, kp_cli_thread_json(cli, out->threads[i]));
        kp_cli_json(cli, json_pack("{s:I,s:s,s:I,s:i,s:i,s:o}", "id", (json_int_t)id, "status",
                                   out->status, "version", (json_int_t)out->version, "open_threads",
                                   out->open_threads, "new", out->new_count, "threads", ts));
        return 0;
    }
    if (out->n_threads == 0) {
        printf("Evaluation %lld: no %sthread%s%s (kompass comment add %lld QUESTION --text ...)\n",
               (long long)id, b->open_only ? "open " : "", n == 2 ? " on " : "s",
               n == 2 ? b->question : "", (long long)id);
        return 0;
    }
    /* the summary line: "new for you: 3 on 7.1, 1 on 2.3" */
    const char *news = "";
    for (size_t i = 0; i < out->n_threads; i++)
        if (out->threads[i]->new_count)
            news = kp_arena_printf(cli->arena, "%s%s%d on %s", news, *news ? ", " : "",
                                   out->threads[i]->new_count, out->threads[i]->question);
    printf("Evaluation %lld (%s, version %lld): %zu thread%s listed, %d open in all; %s%s\n",
           (long long)id, out->status, (long long)out->version, out->n_threads,
           out->n_threads == 1 ? "" : "s", out->open_threads, *news ? "new for you: " : "",
           *news ? news : "nothing new for you");
    for (size_t i = 0; i < out->n_threads; i++) {
        printf("\n");
        kp_cli_thread_print(cli, out->threads[i]);
    }
    return 0;
}

static int s_resolve(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_comment_command;
    kp_opt opts[] = {{"reason", 1, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 2, 2, &n);
    if (rc || (rc = s_id(cli, pos[0], &id))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__CommentResolveRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__comment_resolve_request__init(b);
    b->evaluation_id = id;
    b->question = (char *)pos[1];
    if (kp_args_get(opts, "reason")) b->reason = (char *)kp_args_get(opts, "reason");
    req->body_case = KOMPASS__V1__REQUEST__BODY_COMMENT_RESOLVE;
    req->comment_resolve = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__CommentResolveResponse *out = resp->comment_resolve;
    if (cli->settings.json) {
        json_t *still = json_array();
        for (size_t i = 0; i < out->n_still_open; i++)
            json_array_append_new(still, json_string(out->still_open[i]));
        kp_cli_json(cli, json_pack("{s:I,s:s,s:s,s:I,s:i,s:o}", "id", (json_int_t)id, "question",
                                   b->question, "status", out->status, "version",
                                   (json_int_t)out->version, "open_threads", out->open_threads,
                                   "still_open", still));
        return 0;
    }
    printf("thread %s resolved (evaluation %lld, version %lld, %s)\n", b->question, (long long)id,
           (long long)out->version, out->status);
    if (out->n_still_open)
        printf("still open: %s\n",
               kp_arena_join(cli->arena, out->still_open, out->n_still_open, ", ", 20));
    else
        printf("no thread is open\n");
    return 0;
}

static int s_reopen(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_comment_command;
    const char *pos[2];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, NULL, pos, 2, 2, &n);
    if (rc || (rc = s_id(cli, pos[0], &id))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__CommentReopenRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__comment_reopen_request__init(b);
    b->evaluation_id = id;
    b->question = (char *)pos[1];
    req->body_case = KOMPASS__V1__REQUEST__BODY_COMMENT_REOPEN;
    req->comment_reopen = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__CommentReopenResponse *out = resp->comment_reopen;
    if (cli->settings.json) {
        kp_cli_json(cli, json_pack("{s:I,s:s,s:s,s:I,s:i}", "id", (json_int_t)id, "question",
                                   b->question, "status", out->status, "version",
                                   (json_int_t)out->version, "open_threads", out->open_threads));
        return 0;
    }
    printf("thread %s is open again (evaluation %lld, version %lld, %s); %d open thread%s\n",
           b->question, (long long)id, (long long)out->version, out->status, out->open_threads,
           out->open_threads == 1 ? "" : "s");
    return 0;
}

int kp_cmd_comment(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_comment_command, "comment needs a subcommand");
    if (strcmp(argv[1], "add") == 0) return s_add(cli, argc, argv);
    if (strcmp(argv[1], "list") == 0) return s_list(cli, argc, argv);
    if (strcmp(argv[1], "resolve") == 0) return s_resolve(cli, argc, argv);
    if (strcmp(argv[1], "reopen") == 0) return s_reopen(cli, argc, argv);
    return kp_cli_usage(cli, &kp_comment_command, "unknown subcommand 'comment %s'", argv[1]);
}
