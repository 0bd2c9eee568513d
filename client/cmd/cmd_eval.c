/*  cmd_eval: `kompass eval ...` (evaluations and teams) and
 *  `kompass evidence ...` (the evidence log). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

const kp_command kp_eval_command = {
    "eval", kp_cmd_eval, "evaluations: create, list, show, assign, start, status, verify, reopen",
    "usage: kompass eval create --municipality NAME --framework CODE --label L [--period P]\n"
    "                           [--ordinal N]\n"
    "       kompass eval set ID [--period P] [--report-date D] [--ordinal N|counted]\n"
    "       kompass eval list [--status S] [--municipality M] [--label L]\n"
    "       kompass eval show ID\n"
    "       kompass eval assign ID LOGIN --as lead|peer|observer|contact [--reason R]\n"
    "       kompass eval unassign ID LOGIN\n"
    "       kompass eval show ID --revision N          (a signed revision, as signed)\n"
    "       kompass eval start ID                      (lead or admin: draft -> scoring)\n"
    "       kompass eval status ID                     (where it stands, what blocks the next "
    "step)\n"
    "       kompass eval verify ID                     (recompute what was signed)\n"
    "       kompass eval reopen ID --reason R          (admin: a signed evaluation, new revision)\n"
    "\n"
    "An evaluation is one municipality evaluated on one framework version, e.g.\n"
    "Västerås stad 2017 on KK2015. Admins create evaluations and see all of them;\n"
    "everyone else sees the evaluations they are on the team of. A team has one\n"
    "lead (usually the SKL consultant), peers, observers (read-only), and the\n"
    "municipality's contact person (contact: sees the evaluation's status, reads\n"
    "the draft once its factual review is open and leaves remarks, kompass\n"
    "factcheck). Someone who works for the municipality evaluated (jäv) cannot be a\n"
    "lead, peer or observer, unless an admin overrides it with --reason (recorded\n"
    "in the audit trail); the contact must work for it.\n"
    "\n"
    "The period (YYYY-MM, e.g. 2017-03) is when it was conducted: it orders the\n"
    "municipality's evaluations, imported ones included. The ordinal (Västerås\n"
    "2017 was its 5th) is counted: the one before it + 1, or 1. When earlier\n"
    "ones are not in Kompass, state it with --ordinal N; `eval set` (admin or\n"
    "the lead, audited) corrects the period, the report's date and the ordinal\n"
    "(--ordinal counted: count it again); the others of the municipality are\n"
    "renumbered to follow.\n"};

const kp_command kp_evidence_command = {
    "evidence", kp_cmd_evidence, "the evidence log: interviews, documents, web checks",
    "usage: kompass evidence add ID interview --date YYYY-MM-DD --category C --people N\n"
    "                                         [--note TEXT] [--questions 1.4,3.2]\n"
    "       kompass evidence add ID document --title T [--date D] [--reference R]\n"
    "                                        [--note TEXT] [--questions ...]\n"
    "       kompass evidence add ID web --title WHAT [--date D] [--reference URL]\n"
    "                                   [--note TEXT] [--questions ...]\n"
    "       kompass evidence list ID\n"
    "\n"
    "Interview categories: politician, official, union, other.\n"};

/* ---------------------------------------------------------------- printing */

static json_t *s_summary_json(const Kompass__V1__EvaluationSummary *e)
{
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:s,s:s,s:i}", "id", (json_int_t)e->id,
                          "municipality", e->municipality, "framework", e->framework, "label",
                          e->label, "period", e->period, "ordinal", e->ordinal, "status", e->status,
                          "version", (json_int_t)e->version, "created_by", e->created_by, "my_role",
                          e->my_role, "team_size", e->team_size);
    json_object_set_new(o, "ordinal_given", json_boolean(e->ordinal_given));
    json_object_set_new(o, "report_date",
                        *e->report_date ? json_string(e->report_date) : json_null());
    /* a calibration exercise says so, and of what */
    json_object_set_new(o, "practice", e->practice ? json_string("övning") : json_null());
    if (e->practice) json_object_set_new(o, "practice_of", json_integer(e->practice_of));
    return o;
}

static json_t *s_summary_json_full(kp_cli *cli, const Kompass__V1__EvaluationSummary *e)
{
    json_t *o = s_summary_json(e);
    json_object_set_new(o, "created_at", json_string(kp_cli_time(cli, e->created_at_us)));
    return o;
}

static json_t *s_member_json(const Kompass__V1__Member *m)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "login", m->login, "name", m->full_name,
                          "organisation", m->organisation, "role", m->role);
    if (*m->coi_override)
        json_object_set_new(o, "conflict_of_interest_override", json_string(m->coi_override));
    return o;
}

static const char *s_ordinal(kp_cli *cli, int n)
{
    const char *suffix = "th";
    if (n % 100 < 11 || n % 100 > 13) {
        if (n % 10 == 1) suffix = "st";
        if (n % 10 == 2) suffix = "nd";
        if (n % 10 == 3) suffix = "rd";
    }
    return kp_arena_printf(cli->arena, "%d%s", n, suffix);
}

/* ---------------------------------------------------------------- eval */

static int s_create(kp_cli *cli, int argc, char **argv)
{
    kp_opt opts[] = {{"municipality", 1, NULL}, {"framework", 1, NULL}, {"label", 1, NULL},
                     {"period", 1, NULL},       {"ordinal", 1, NULL},   {0}};
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, &kp_eval_command, argc, argv, 2, opts, pos, 0, 0, &n);
    if (rc) return rc;
    const char *m = kp_args_get(opts, "municipality"), *f = kp_args_get(opts, "framework"),
               *l = kp_args_get(opts, "label");
    if (!m || !f || !l)
        return kp_cli_usage(cli, &kp_eval_command,
                            "eval create needs --municipality, --framework and --label");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalCreateRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_create_request__init(b);
    b->municipality = (char *)m;
    b->framework = (char *)f;
    b->label = (char *)l;
    if (kp_args_get(opts, "period")) b->period = (char *)kp_args_get(opts, "period");
    if (kp_args_get(opts, "ordinal")) {
        int64_t ord;
        if ((rc = kp_args_id(cli, &kp_eval_command, "--ordinal", kp_args_get(opts, "ordinal"),
                             &ord)))
            return rc;
        b->ordinal = ord > 100000 ? 100000 : (int32_t)ord;
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_CREATE;
    req->eval_create = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__EvaluationSummary *e = resp->eval_create->evaluation;
    if (!e) return kp_cli_error(cli, KP_INTERNAL, "the server did not return the evaluation");
    if (cli->settings.json) {
        kp_cli_json(cli, s_summary_json_full(cli, e));
        return 0;
    }
    printf("created evaluation %lld: %s %s on %s (%s evaluation of %s), status %s\n",
           (long long)e->id, e->municipality, e->label, e->framework, s_ordinal(cli, e->ordinal),
           e->municipality, e->status);
    printf("next: kompass eval assign %lld LOGIN --as lead|peer|observer|contact\n",
           (long long)e->id);
    return 0;
}

static int s_list(kp_cli *cli, int argc, char **argv)
{
    kp_opt opts[] = {{"status", 1, NULL}, {"municipality", 1, NULL}, {"label", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, &kp_eval_command, argc, argv, 2, opts, pos, 0, 0, &n);
    if (rc) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalListRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_list_request__init(b);
    if (kp_args_get(opts, "status")) b->status = (char *)kp_args_get(opts, "status");
    if (kp_args_get(opts, "municipality"))
        b->municipality = (char *)kp_args_get(opts, "municipality");
    if (kp_args_get(opts, "label")) b->label = (char *)kp_args_get(opts, "label");
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_LIST;
    req->eval_list = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__EvalListResponse *l = resp->eval_list;
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < l->n_evaluations; i++)
            json_array_append_new(arr, s_summary_json_full(cli, l->evaluations[i]));
        kp_cli_json(cli, json_pack("{s:o}", "evaluations", arr));
        return 0;
    }
    if (l->n_evaluations == 0) {
        printf("no evaluations%s\n",
               (b->status[0] || b->municipality[0] || b->label[0]) ? " match" : " visible to you");
        return 0;
    }
    printf("ID     MUNICIPALITY              LABEL     FRAMEWORK  STATUS     VERSION  TEAM  "
           "MY ROLE\n");
    for (size_t i = 0; i < l->n_evaluations; i++) {
        const Kompass__V1__EvaluationSummary *e = l->evaluations[i];
        printf("%-7lld", (long long)e->id);
        kp_cli_cell(e->municipality, 26);
        kp_cli_cell(e->label, 10);
        kp_cli_cell(e->framework, 11);
        kp_cli_cell(e->status, 11);
        printf("%-9lld%-6d%s%s\n", (long long)e->version, e->team_size,
               *e->my_role ? e->my_role : "-",
               e->practice ? kp_arena_printf(cli->arena, "  [övning: practice of %lld]",
                                             (long long)e->practice_of)
                           : "");
    }
    return 0;
}

/* `kompass eval SUB ID`: the one evaluation id, or the usage exit code. */
static int s_only_id(kp_cli *cli, int argc, char **argv, int64_t *id)
{
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, &kp_eval_command, argc, argv, 2, NULL, pos, 1, 1, &n);
    if (rc) return rc;
    return kp_args_id(cli, &kp_eval_command, "evaluation id", pos[0], id);
}

static int s_show(kp_cli *cli, int argc, char **argv)
{
    kp_opt opts[] = {{"revision", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id, revision;
    int rc = kp_args_parse(cli, &kp_eval_command, argc, argv, 2, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, &kp_eval_command, "evaluation id", pos[0], &id))) return rc;
    if (kp_args_get(opts, "revision"))
        return (rc = kp_args_id(cli, &kp_eval_command, "--revision", kp_args_get(opts, "revision"),
                                &revision))
                   ? rc
                   : kp_cmd_eval_revision(cli, id, revision);
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalShowRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_show_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_SHOW;
    req->eval_show = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__EvalShowResponse *s = resp->eval_show;
    const Kompass__V1__EvaluationSummary *e = s->evaluation;
    if (cli->settings.json) {
        json_t *o = s_summary_json_full(cli, e);
        json_t *team = json_array();
        for (size_t i = 0; i < s->n_team; i++)
            json_array_append_new(team, s_member_json(s->team[i]));
        json_object_set_new(o, "team", team);
        json_object_set_new(o, "blind", json_boolean(s->blind));
        json_object_set_new(o, "evidence", json_integer(s->evidence));
        json_t *prog = json_array();
        for (size_t i = 0; i < s->n_progress; i++) {
            const Kompass__V1__AreaProgress *ap = s->progress[i];
            json_t *sc = json_object();
            for (size_t k = 0; k < ap->n_scored; k++)
                json_object_set_new(sc, ap->scored[k]->login, json_integer(ap->scored[k]->scored));
            json_array_append_new(prog,
                                  json_pack("{s:i,s:s,s:i,s:o}", "area", ap->area, "title",
                                            ap->title, "questions", ap->questions, "scored", sc));
        }
        json_object_set_new(o, "progress", prog);
        json_t *locks = json_array();
        for (size_t i = 0; i < s->n_locks; i++)
            json_array_append_new(locks, json_pack("{s:i,s:s,s:s,s:s}", "area", s->locks[i]->area,
                                                   "section", s->locks[i]->section, "holder",
                                                   s->locks[i]->holder, "expires_at",
                                                   kp_cli_time(cli, s->locks[i]->expires_at_us)));
        json_object_set_new(o, "locks", locks);
        json_t *sigs = json_array();
        for (size_t i = 0; i < s->n_signatures; i++)
            json_array_append_new(sigs, kp_cli_signature_json(cli, s->signatures[i]));
        json_object_set_new(o, "revision", json_integer(s->revision));
        json_object_set_new(o, "signatures", sigs);
        kp_cli_json(cli, o);
        return 0;
    }
    printf("Evaluation %lld: %s %s on %s (%s evaluation of %s)\n", (long long)e->id,
           e->municipality, e->label, e->framework, s_ordinal(cli, e->ordinal), e->municipality);
    if (e->practice)
        printf("  övning    a calibration exercise (practice) copied from evaluation %lld: never "
               "counted in averages, statistics, history, reports or search (kompass calibrate "
               "result %lld)\n",
               (long long)e->practice_of, (long long)e->id);
    printf("  status    %s (version %lld)%s\n", e->status, (long long)e->version,
           s->blind ? ", blind individual scoring" : "");
    if (*e->period) printf("  period    %s\n", e->period);
    printf("  ordinal   %s evaluation of %s (%s)\n", s_ordinal(cli, e->ordinal), e->municipality,
           e->ordinal_given ? "stated" : "counted from the earlier ones");
    if (*e->report_date) printf("  report    dated %s\n", e->report_date);
    printf("  created   %s by %s\n", kp_cli_time(cli, e->created_at_us),
           *e->created_by ? e->created_by : "(import)");
    printf("  team");
    if (s->n_team == 0)
        printf("      none yet (kompass eval assign %lld LOGIN --as lead)\n", (long long)e->id);
    for (size_t i = 0; i < s->n_team; i++) {
        const Kompass__V1__Member *m = s->team[i];
        printf("%s", i == 0 ? "      " : "            ");
        kp_cli_cell(m->role, 10);
        kp_cli_cell(m->login, 14);
        kp_cli_cell(m->full_name, 22);
        printf("%s\n", m->organisation);
        if (*m->coi_override)
            printf("                conflict of interest overridden: %s\n", m->coi_override);
    }
    printf("  evidence  %d entr%s (kompass evidence list %lld)\n", s->evidence,
           s->evidence == 1 ? "y" : "ies", (long long)e->id);
    if (s->n_progress && s->progress[0]->n_scored) {
        printf("  progress  questions scored per evaluator\n");
        for (size_t i = 0; i < s->n_progress; i++) {
            const Kompass__V1__AreaProgress *ap = s->progress[i];
            printf("            %d ", ap->area);
            kp_cli_cell(ap->title, 44);
            for (size_t k = 0; k < ap->n_scored; k++)
                printf("  %s %d/%d", ap->scored[k]->login, ap->scored[k]->scored, ap->questions);
            printf("\n");
        }
    }
    for (size_t i = 0; i < s->n_locks; i++)
        printf("  %s %d/%s locked by %s until %s\n", i ? "        " : "locks   ", s->locks[i]->area,
               s->locks[i]->section, s->locks[i]->holder,
               kp_cli_time(cli, s->locks[i]->expires_at_us));
    if (s->revision > 1) printf("  revision  %d (reopened after signing)\n", s->revision);
    for (size_t i = 0; i < s->n_signatures; i++)
        kp_cli_signature_print(cli, s->signatures[i], i ? "            " : "  signed    ");
    return 0;
}

static int s_assign(kp_cli *cli, int argc, char **argv)
{
    kp_opt opts[] = {{"as", 1, NULL}, {"reason", 1, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, &kp_eval_command, argc, argv, 2, opts, pos, 2, 2, &n);
    if (rc || (rc = kp_args_id(cli, &kp_eval_command, "evaluation id", pos[0], &id))) return rc;
    if (!kp_args_get(opts, "as"))
        return kp_cli_usage(cli, &kp_eval_command,
                            "eval assign needs --as lead|peer|observer|contact");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalAssignRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_assign_request__init(b);
    b->evaluation_id = id;
    b->login = (char *)pos[1];
    b->role = (char *)kp_args_get(opts, "as");
    if (kp_args_get(opts, "reason")) b->reason = (char *)kp_args_get(opts, "reason");
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_ASSIGN;
    req->eval_assign = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__EvalAssignResponse *a = resp->eval_assign;
    if (cli->settings.json) {
        json_t *o = s_member_json(a->member);
        json_object_set_new(o, "version", json_integer(a->version));
        kp_cli_json(cli, o);
        return 0;
    }
    printf("%s (%s, %s) is %s of evaluation %lld (version %lld)\n", a->member->full_name,
           a->member->login, a->member->organisation, a->member->role, (long long)id,
           (long long)a->version);
    if (*a->member->coi_override)
        printf("conflict of interest overridden: %s\n", a->member->coi_override);
    return 0;
}

static int s_unassign(kp_cli *cli, int argc, char **argv)
{
    const char *pos[2];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, &kp_eval_command, argc, argv, 2, NULL, pos, 2, 2, &n);
    if (rc || (rc = kp_args_id(cli, &kp_eval_command, "evaluation id", pos[0], &id))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalUnassignRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_unassign_request__init(b);
    b->evaluation_id = id;
    b->login = (char *)pos[1];
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_UNASSIGN;
    req->eval_unassign = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:s,s:I}", "removed", pos[1], "version",
                                   (json_int_t)resp->eval_unassign->version));
    else
        printf("%s is no longer on the team of evaluation %lld (version %lld)\n", pos[1],
               (long long)id, (long long)resp->eval_unassign->version);
    return 0;
}

static int s_set(kp_cli *cli, int argc, char **argv)
{
    kp_opt opts[] = {{"period", 1, NULL}, {"report-date", 1, NULL}, {"ordinal", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, &kp_eval_command, argc, argv, 2, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, &kp_eval_command, "evaluation id", pos[0], &id))) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalSetRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_set_request__init(b);
    b->evaluation_id = id;
    const char *period = kp_args_get(opts, "period"), *date = kp_args_get(opts, "report-date"),
               *ordinal = kp_args_get(opts, "ordinal");
    if (!period && !date && !ordinal)
        return kp_cli_usage(cli, &kp_eval_command,
                            "eval set needs --period, --report-date or --ordinal");
    if (period) b->period = (char *)period;
    if (date) b->report_date = (char *)date;
    if (ordinal && strcmp(ordinal, "counted") == 0) {
        b->clear_ordinal = 1;
    } else if (ordinal) {
        int64_t ord;
        if ((rc = kp_args_id(cli, &kp_eval_command, "--ordinal", ordinal, &ord))) return rc;
        b->ordinal = ord > 100000 ? 100000 : (int32_t)ord;
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_SET;
    req->eval_set = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__EvalSetResponse *s = resp->eval_set;
    const Kompass__V1__EvaluationSummary *e = s->evaluation;
    if (!e) return kp_cli_error(cli, KP_INTERNAL, "the server did not return the evaluation");
    if (cli->settings.json) {
        json_t *o = s_summary_json_full(cli, e);
        json_t *arr = json_array();
        for (size_t i = 0; i < s->n_renumbered; i++)
            json_array_append_new(arr, json_pack("{s:I,s:s,s:i,s:i}", "id",
                                                 (json_int_t)s->renumbered[i]->evaluation_id,
                                                 "label", s->renumbered[i]->label, "from",
                                                 s->renumbered[i]->old_ordinal, "to",
                                                 s->renumbered[i]->new_ordinal));
        json_object_set_new(o, "renumbered", arr);
        kp_cli_json(cli, o);
        return 0;
    }
    printf("evaluation %lld: %s %s, %s evaluation of %s (%s), period %s, report date %s "
           "(version %lld)\n",
           (long long)e->id, e->municipality, e->label, s_ordinal(cli, e->ordinal), e->municipality,
           e->ordinal_given ? "stated" : "counted", *e->period ? e->period : "-",
           *e->report_date ? e->report_date : "-", (long long)e->version);
    for (size_t i = 0; i < s->n_renumbered; i++)
        printf("renumbered %s (evaluation %lld): %s -> %s\n", s->renumbered[i]->label,
               (long long)s->renumbered[i]->evaluation_id,
               s_ordinal(cli, s->renumbered[i]->old_ordinal),
               s_ordinal(cli, s->renumbered[i]->new_ordinal));
    return 0;
}

static int s_start(kp_cli *cli, int argc, char **argv)
{
    int64_t id;
    int rc = s_only_id(cli, argc, argv, &id);
    if (rc) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalStartRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_start_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_START;
    req->eval_start = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:I,s:s,s:I}", "id", (json_int_t)id, "status",
                                   resp->eval_start->status, "version",
                                   (json_int_t)resp->eval_start->version));
    else
        printf("evaluation %lld is now in %s (version %lld): evaluators score on their own\n",
               (long long)id, resp->eval_start->status, (long long)resp->eval_start->version);
    return 0;
}

int kp_cmd_eval(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_eval_command, "eval needs a subcommand");
    if (strcmp(argv[1], "create") == 0) return s_create(cli, argc, argv);
    if (strcmp(argv[1], "list") == 0) return s_list(cli, argc, argv);
    if (strcmp(argv[1], "show") == 0) return s_show(cli, argc, argv);
    if (strcmp(argv[1], "assign") == 0) return s_assign(cli, argc, argv);
    if (strcmp(argv[1], "unassign") == 0) return s_unassign(cli, argc, argv);
    if (strcmp(argv[1], "start") == 0) return s_start(cli, argc, argv);
    if (strcmp(argv[1], "set") == 0) return s_set(cli, argc, argv);
    if (strcmp(argv[1], "reopen") == 0)
        return kp_cmd_eval_reopen(cli, &kp_eval_command, argc, argv);
    int64_t id;
    int rc;
    if (strcmp(argv[1], "status") == 0)
        return (rc = s_only_id(cli, argc, argv, &id)) ? rc : kp_cmd_eval_status(cli, id);
    if (strcmp(argv[1], "verify") == 0)
        return (rc = s_only_id(cli, argc, argv, &id)) ? rc : kp_cmd_eval_verify(cli, id);
    return kp_cli_usage(cli, &kp_eval_command, "unknown subcommand 'eval %s'", argv[1]);
}

/* ---------------------------------------------------------------- evidence */

static json_t *s_evidence_json(kp_cli *cli, const Kompass__V1__Evidence *e)
{
    json_t *qs = json_array();
    for (size_t i = 0; i < e->n_questions; i++)
        json_array_append_new(qs, json_string(e->questions[i]));
    json_t *o =
        json_pack("{s:I,s:s,s:s}", "id", (json_int_t)e->id, "kind", e->kind, "date", e->date);
    if (strcmp(e->kind, "interview") == 0) {
        json_object_set_new(o, "category", json_string(e->category));
        json_object_set_new(o, "people", json_integer(e->people));
    } else {
        json_object_set_new(o, "title", json_string(e->title));
        json_object_set_new(o, "reference", json_string(e->reference));
    }
    json_object_set_new(o, "note", json_string(e->note));
    json_object_set_new(o, "questions", qs);
    json_object_set_new(o, "created_by", json_string(e->created_by));
    json_object_set_new(o, "created_at", json_string(kp_cli_time(cli, e->created_at_us)));
    return o;
}

json_t *kp_cli_evidence_json(kp_cli *cli, const Kompass__V1__Evidence *e)
{
    return s_evidence_json(cli, e);
}

static char *s_split_questions(kp_cli *cli, const char *list, char ***out, size_t *n)
{
    char *copy = kp_arena_strdup(cli->arena, list);
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    *out = kp_arena_alloc(cli->arena, sizeof(char *) * cap);
    *n = 0;
    for (char *tok = strtok(copy, ", "); tok; tok = strtok(NULL, ", "))
        (*out)[(*n)++] = tok;
    return copy;
}

int kp_cmd_evidence(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_evidence_command;
    if (argc < 2) return kp_cli_usage(cli, cmd, "evidence needs a subcommand");
    const char *pos[2];
    int n, rc;
    int64_t id;
    kp_request *req = kp_cli_request(cli);
    kp_response *resp;
    if (strcmp(argv[1], "add") == 0) {
        kp_opt opts[] = {{"date", 1, NULL},      {"category", 1, NULL},
                         {"people", 1, NULL},    {"title", 1, NULL},
                         {"reference", 1, NULL}, {"note", 1, NULL},
                         {"questions", 1, NULL}, {0}};
        rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 2, 2, &n);
        if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
        Kompass__V1__EvidenceAddRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
        kompass__v1__evidence_add_request__init(b);
        Kompass__V1__Evidence *e = kp_arena_alloc(cli->arena, sizeof *e);
        kompass__v1__evidence__init(e);
        b->evaluation_id = id;
        b->evidence = e;
        e->kind = (char *)pos[1];
        if (kp_args_get(opts, "date")) e->date = (char *)kp_args_get(opts, "date");
        if (kp_args_get(opts, "category")) e->category = (char *)kp_args_get(opts, "category");
        if (kp_args_get(opts, "title")) e->title = (char *)kp_args_get(opts, "title");
        if (kp_args_get(opts, "reference")) e->reference = (char *)kp_args_get(opts, "reference");
        if (kp_args_get(opts, "note")) e->note = (char *)kp_args_get(opts, "note");
        if (kp_args_get(opts, "people")) {
            int64_t people;
            if ((rc = kp_args_id(cli, cmd, "--people", kp_args_get(opts, "people"), &people)))
                return rc;
            e->people = people > 100000 ? 100000 : (int32_t)people;
        }
        if (kp_args_get(opts, "questions"))
            s_split_questions(cli, kp_args_get(opts, "questions"), &e->questions, &e->n_questions);
        req->body_case = KOMPASS__V1__REQUEST__BODY_EVIDENCE_ADD;
        req->evidence_add = b;
        rc = kp_cli_call(cli, req, &resp);
        if (rc) return rc;
        const Kompass__V1__Evidence *saved = resp->evidence_add->evidence;
        if (cli->settings.json)
            kp_cli_json(cli, s_evidence_json(cli, saved));
        else
            printf("added %s %lld to evaluation %lld (version %lld)\n", saved->kind,
                   (long long)saved->id, (long long)id, (long long)resp->evidence_add->version);
        return 0;
    }
    if (strcmp(argv[1], "list") == 0) {
        rc = kp_args_parse(cli, cmd, argc, argv, 2, NULL, pos, 1, 1, &n);
        if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
        Kompass__V1__EvidenceListRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
        kompass__v1__evidence_list_request__init(b);
        b->evaluation_id = id;
        req->body_case = KOMPASS__V1__REQUEST__BODY_EVIDENCE_LIST;
        req->evidence_list = b;
        rc = kp_cli_call(cli, req, &resp);
        if (rc) return rc;
        const Kompass__V1__EvidenceListResponse *l = resp->evidence_list;
        if (cli->settings.json) {
            json_t *arr = json_array();
            for (size_t i = 0; i < l->n_evidence; i++)
                json_array_append_new(arr, s_evidence_json(cli, l->evidence[i]));
            kp_cli_json(cli, json_pack("{s:o}", "evidence", arr));
            return 0;
        }
        int interviews = 0, people = 0;
        printf("ID     KIND       DATE        WHAT                                      "
               "QUESTIONS\n");
        for (size_t i = 0; i < l->n_evidence; i++) {
            const Kompass__V1__Evidence *e = l->evidence[i];
            printf("%-7lld", (long long)e->id);
            kp_cli_cell(e->kind, 11);
            kp_cli_cell(*e->date ? e->date : "-", 12);
            const char *what;
            if (strcmp(e->kind, "interview") == 0) {
                interviews++;
                people += e->people;
                static const char *const who[][2] = {{"politician", "politicians"},
                                                     {"official", "officials"},
                                                     {"union", "union representatives"},
                                                     {"other", "others"}};
                const char *label = e->category;
                for (size_t k = 0; k < 4; k++)
                    if (strcmp(e->category, who[k][0]) == 0)
                        label = e->people == 1 ? (k == 2 ? "union representative" : who[k][0])
                                               : who[k][1];
                what = kp_arena_printf(cli->arena, "%d %s%s%s", e->people, label,
                                       *e->note ? ": " : "", e->note);
            } else {
                what = kp_arena_printf(cli->arena, "%s%s%s%s", e->title, *e->reference ? " (" : "",
                                       e->reference, *e->reference ? ")" : "");
            }
            kp_cli_cell(what, 42);
            for (size_t k = 0; k < e->n_questions; k++)
                printf("%s%s", k ? ", " : "", e->questions[k]);
            printf("\n");
        }
        printf("%zu entr%s; %d interview%s with %d %s\n", l->n_evidence,
               l->n_evidence == 1 ? "y" : "ies", interviews, interviews == 1 ? "" : "s", people,
               people == 1 ? "person" : "people");
        return 0;
    }
    return kp_cli_usage(cli, cmd, "unknown subcommand 'evidence %s'", argv[1]);
}
