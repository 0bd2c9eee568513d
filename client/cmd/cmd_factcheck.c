/*  cmd_factcheck: `kompass factcheck`, the municipality's factual review
 *  ("faktagranskning") of the draft before it is signed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

const kp_command kp_factcheck_command = {
    "factcheck", kp_cmd_factcheck,
    "the municipality's factual review of the draft: start, remark, answer, close",
    "usage: kompass factcheck ID [--revision N]\n"
    "       kompass factcheck start ID [--days N]\n"
    "       kompass factcheck remark ID AREA --text TEXT\n"
    "       kompass factcheck answer ID REMARK --text TEXT\n"
    "       kompass factcheck close ID\n"
    "\n"
    "Before an evaluation is signed, the municipality checks the draft report for\n"
    "factual errors. Once every area's texts are approved, the lead (or an admin)\n"
    "opens the review with start, for a window of N days (default 10, at most 90).\n"
    "The municipality's contact person, on the team as contact (kompass eval assign\n"
    "ID LOGIN --as contact), reads the draft (kompass report ID) and leaves remarks\n"
    "per area until the window ends. The lead and peers answer each remark once,\n"
    "changing texts or scores as needed with the ordinary commands (which withdraw\n"
    "approvals as always). The lead closes the review once every remark has an\n"
    "answer, or after the window even if some have none; a closed review takes no\n"
    "more remarks, but answers still. Nobody signs while the review is open or a\n"
    "remark is unanswered. The report's last page says when the municipality\n"
    "reviewed it.\n"
    "\n"
    "factcheck ID lists the review of the current revision (or revision N): its\n"
    "window, the remarks and their answers. The team and the contact read it.\n"};

static int s_id(kp_cli *cli, const char *text, int64_t *id)
{
    return kp_args_id(cli, &kp_factcheck_command, "evaluation id", text, id);
}

static json_t *s_factcheck_json(const Kompass__V1__Factcheck *f)
{
    json_t *o = json_pack("{s:i,s:s,s:s,s:i,s:s,s:b,s:b,s:i,s:i}", "revision", f->revision,
                          "started_on", f->started_on, "started_by", f->started_by, "days", f->days,
                          "ends_on", f->ends_on, "closed", f->closed, "window_over", f->window_over,
                          "remarks", f->remarks, "unanswered", f->unanswered);
    json_object_set_new(o, "closed_on", f->closed ? json_string(f->closed_on) : json_null());
    json_object_set_new(o, "closed_by", f->closed ? json_string(f->closed_by) : json_null());
    return o;
}

static json_t *s_remark_json(kp_cli *cli, const Kompass__V1__FactcheckRemark *m)
{
    json_t *o = json_pack("{s:I,s:i,s:s,s:s,s:s,s:s,s:s,s:b}", "id", (json_int_t)m->id, "area",
                          m->area, "area_title", m->area_title, "text", m->text, "author",
                          m->author, "author_name", m->author_name, "at",
                          kp_cli_time(cli, m->created_at_us), "answered", m->answered);
    if (m->answered)
        json_object_set_new(o, "answer",
                            json_pack("{s:s,s:s,s:s,s:s}", "text", m->answer, "by", m->answered_by,
                                      "by_name", m->answered_by_name, "at",
                                      kp_cli_time(cli, m->answered_at_us)));
    else
        json_object_set_new(o, "answer", json_null());
    return o;
}

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

static void s_factcheck_print(const Kompass__V1__Factcheck *f)
{
    printf("factual review of revision %d: opened %s by %s for %d day%s, window until %s%s\n",
           f->revision, f->started_on, f->started_by, f->days, f->days == 1 ? "" : "s", f->ends_on,
           f->window_over && !f->closed ? " (ended)" : "");
    if (f->closed)
        printf("closed %s by %s\n", f->closed_on, f->closed_by);
    else if (f->window_over)
        printf("open: the window has ended; the lead closes it (kompass factcheck close)\n");
    else
        printf("open: the municipality's contact remarks until %s\n", f->ends_on);
    printf("%d remark%s, %d without an answer\n", f->remarks, f->remarks == 1 ? "" : "s",
           f->unanswered);
}

static void s_remark_print(kp_cli *cli, const Kompass__V1__FactcheckRemark *m)
{
    printf("remark %lld on area %d %s  %s (%s), %s\n", (long long)m->id, m->area, m->area_title,
           m->author, m->author_name, kp_cli_time(cli, m->created_at_us));
    s_indented(m->text, "    ");
    if (m->answered) {
        printf("  answer by %s (%s), %s\n", m->answered_by, m->answered_by_name,
               kp_cli_time(cli, m->answered_at_us));
        s_indented(m->answer, "    ");
    } else {
        printf("  no answer yet\n");
    }
}

static int s_show(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_factcheck_command;
    kp_opt opts[] = {{"revision", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 1, 1, &n);
    if (rc || (rc = s_id(cli, pos[0], &id))) return rc;
    int64_t revision = 0;
    if (kp_args_get(opts, "revision") &&
        (rc = kp_args_id(cli, cmd, "--revision", kp_args_get(opts, "revision"), &revision)))
        return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FactcheckShowRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__factcheck_show_request__init(b);
    b->evaluation_id = id;
    b->revision = (int32_t)revision;
    req->body_case = KOMPASS__V1__REQUEST__BODY_FACTCHECK_SHOW;
    req->factcheck_show = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__FactcheckShowResponse *out = resp->factcheck_show;
    if (cli->settings.json) {
        json_t *rs = json_array();
        for (size_t i = 0; i < out->n_remarks; i++)
            json_array_append_new(rs, s_remark_json(cli, out->remarks[i]));
        kp_cli_json(cli, json_pack("{s:I,s:b,s:o,s:o}", "id", (json_int_t)id, "started",
                                   out->started, "factcheck",
                                   out->started ? s_factcheck_json(out->factcheck) : json_null(),
                                   "remarks", rs));
        return 0;
    }
    if (!out->started) {
        printf("evaluation %lld has no factual review%s; the lead opens it once every area's "
               "texts are approved: kompass factcheck start %lld\n",
               (long long)id, revision ? " of that revision" : " yet", (long long)id);
        return 0;
    }
    printf("evaluation %lld: ", (long long)id);
    s_factcheck_print(out->factcheck);
    for (size_t i = 0; i < out->n_remarks; i++) {
        printf("\n");
        s_remark_print(cli, out->remarks[i]);
    }
    return 0;
}

static int s_start(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_factcheck_command;
    kp_opt opts[] = {{"days", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 1, 1, &n);
    if (rc || (rc = s_id(cli, pos[0], &id))) return rc;
    int64_t days = 0;
    const char *d = kp_args_get(opts, "days");
    if (d) {
        char *end;
        days = strtoll(d, &end, 10);
        if (!*d || *end || days < 1 || days > 90)
            return kp_cli_usage(cli, cmd, "--days is a number of days, 1 to 90, not '%s'", d);
    }
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FactcheckStartRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__factcheck_start_request__init(b);
    b->evaluation_id = id;
    b->days = (int32_t)days;
    req->body_case = KOMPASS__V1__REQUEST__BODY_FACTCHECK_START;
    req->factcheck_start = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__FactcheckStartResponse *out = resp->factcheck_start;
    if (cli->settings.json) {
        kp_cli_json(cli, json_pack("{s:I,s:I,s:o}", "id", (json_int_t)id, "version",
                                   (json_int_t)out->version, "factcheck",
                                   s_factcheck_json(out->factcheck)));
        return 0;
    }
    printf("factual review of evaluation %lld opened (version %lld): the municipality's contact "
           "remarks until %s\n",
           (long long)id, (long long)out->version, out->factcheck->ends_on);
    printf("next: the contact reads kompass report %lld and runs kompass factcheck remark %lld "
           "AREA --text T\n",
           (long long)id, (long long)id);
    return 0;
}

static int s_remark(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_factcheck_command;
    kp_opt opts[] = {{"text", 1, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id, area;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 2, 2, &n);
    if (rc || (rc = s_id(cli, pos[0], &id))) return rc;
    if ((rc = kp_args_id(cli, cmd, "area number", pos[1], &area))) return rc;
    if (!kp_args_get(opts, "text"))
        return kp_cli_usage(cli, cmd, "factcheck remark needs --text TEXT");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FactcheckRemarkRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__factcheck_remark_request__init(b);
    b->evaluation_id = id;
    b->area = (int32_t)area;
    b->text = (char *)kp_args_get(opts, "text");
    req->body_case = KOMPASS__V1__REQUEST__BODY_FACTCHECK_REMARK;
    req->factcheck_remark = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__FactcheckRemarkResponse *out = resp->factcheck_remark;
    if (cli->settings.json) {
        kp_cli_json(cli,
                    json_pack("{s:I,s:I,s:o}", "id", (json_int_t)id, "version",
                              (json_int_t)out->version, "remark", s_remark_json(cli, out->remark)));
        return 0;
    }
    printf("remark %lld on area %d %s recorded (evaluation %lld, version %lld); the team answers "
           "it\n",
           (long long)out->remark->id, out->remark->area, out->remark->area_title, (long long)id,
           (long long)out->version);
    return 0;
}

static int s_answer(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_factcheck_command;
    kp_opt opts[] = {{"text", 1, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id, remark;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 2, 2, &n);
    if (rc || (rc = s_id(cli, pos[0], &id))) return rc;
    if ((rc = kp_args_id(cli, cmd, "remark id", pos[1], &remark))) return rc;
    if (!kp_args_get(opts, "text"))
        return kp_cli_usage(cli, cmd, "factcheck answer needs --text TEXT");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FactcheckAnswerRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__factcheck_answer_request__init(b);
    b->evaluation_id = id;
    b->remark_id = remark;
    b->text = (char *)kp_args_get(opts, "text");
    req->body_case = KOMPASS__V1__REQUEST__BODY_FACTCHECK_ANSWER;
    req->factcheck_answer = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__FactcheckAnswerResponse *out = resp->factcheck_answer;
    if (cli->settings.json) {
        kp_cli_json(cli, json_pack("{s:I,s:I,s:i,s:o}", "id", (json_int_t)id, "version",
                                   (json_int_t)out->version, "unanswered", out->unanswered,
                                   "remark", s_remark_json(cli, out->remark)));
        return 0;
    }
    printf("remark %lld answered (evaluation %lld, version %lld); %d remark%s without an answer\n",
           (long long)remark, (long long)id, (long long)out->version, out->unanswered,
           out->unanswered == 1 ? "" : "s");
    return 0;
}

static int s_close(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_factcheck_command;
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, NULL, pos, 1, 1, &n);
    if (rc || (rc = s_id(cli, pos[0], &id))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FactcheckCloseRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__factcheck_close_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_FACTCHECK_CLOSE;
    req->factcheck_close = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__FactcheckCloseResponse *out = resp->factcheck_close;
    if (cli->settings.json) {
        kp_cli_json(cli, json_pack("{s:I,s:I,s:o}", "id", (json_int_t)id, "version",
                                   (json_int_t)out->version, "factcheck",
                                   s_factcheck_json(out->factcheck)));
        return 0;
    }
    const Kompass__V1__Factcheck *f = out->factcheck;
    printf("factual review of evaluation %lld closed (version %lld): %d remark%s, %d without an "
           "answer\n",
           (long long)id, (long long)out->version, f->remarks, f->remarks == 1 ? "" : "s",
           f->unanswered);
    if (f->unanswered)
        printf("nobody signs until they are answered: kompass factcheck answer %lld REMARK --text "
               "T\n",
               (long long)id);
    else
        printf("next: kompass sign %lld\n", (long long)id);
    return 0;
}

int kp_cmd_factcheck(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_factcheck_command;
    if (argc < 2) return kp_cli_usage(cli, cmd, "factcheck needs an evaluation id or a subcommand");
    if (strcmp(argv[1], "start") == 0) return s_start(cli, argc, argv);
    if (strcmp(argv[1], "remark") == 0) return s_remark(cli, argc, argv);
    if (strcmp(argv[1], "answer") == 0) return s_answer(cli, argc, argv);
    if (strcmp(argv[1], "close") == 0) return s_close(cli, argc, argv);
    return s_show(cli, argc, argv);
}
