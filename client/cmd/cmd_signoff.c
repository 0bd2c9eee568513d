/*  cmd_signoff: `kompass sign`, and `kompass eval reopen|verify|show
 *  --revision` (from the eval command). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "password.h"
#include "points.h"

const kp_command kp_sign_command = {
    "sign", kp_cmd_sign, "sign an evaluation's final content (asks for your password)",
    "usage: kompass sign ID --meaning authored|reviewed|approved [--password-stdin]\n"
    "\n"
    "Signs what evaluation ID holds now: its consensus scores, texts, framework and\n"
    "version, as a SHA-256 hash of their canonical form (docs/signoff.md). Your\n"
    "password is asked again. The evaluation must be in review (kompass eval status).\n"
    "Every lead and peer of the team and one SKL admin sign; the last signature\n"
    "makes the evaluation signed, after which nothing in it changes unless an admin\n"
    "reopens it (a new revision; the signed one stays readable).\n"};

json_t *kp_cli_signature_json(kp_cli *cli, const Kompass__V1__Signature *s)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "login", s->login, "printed_name",
                          s->printed_name, "organisation", s->organisation, "capacity", s->capacity,
                          "meaning", s->meaning, "content_hash", s->content_hash, "signed_at",
                          kp_cli_time(cli, s->signed_at_us), "revision", s->revision);
    if (s->cancelled_at_us) {
        json_object_set_new(o, "cancelled_at", json_string(kp_cli_time(cli, s->cancelled_at_us)));
        json_object_set_new(o, "cancel_reason", json_string(s->cancel_reason));
    }
    return o;
}

void kp_cli_signature_print(kp_cli *cli, const Kompass__V1__Signature *s, const char *lead)
{
    printf("%s%s (%s, %s), %s as %s at %s, content %.16s...\n", lead, s->printed_name, s->login,
           s->organisation, s->meaning, s->capacity, kp_cli_time(cli, s->signed_at_us),
           s->content_hash);
    if (s->cancelled_at_us)
        printf("%*s  cancelled %s: %s\n", (int)strlen(lead), "",
               kp_cli_time(cli, s->cancelled_at_us), s->cancel_reason);
}

int kp_cmd_sign(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_sign_command;
    kp_opt opts[] = {{"meaning", 1, NULL}, {"password-stdin", 0, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    const char *meaning = kp_args_get(opts, "meaning");
    if (!meaning ||
        (strcmp(meaning, "authored") && strcmp(meaning, "reviewed") && strcmp(meaning, "approved")))
        return kp_cli_usage(cli, cmd,
                            "a signature's meaning is authored, reviewed or approved (--meaning)");
    char *password = kp_arena_alloc(cli->arena, KP_CLI_PASSWORD_MAX);
    char err[256];
    char prompt[128];
    snprintf(prompt, sizeof prompt, "Password (to sign evaluation %lld as %s): ", (long long)id,
             meaning);
    if (kp_cli_password_read(kp_args_get(opts, "password-stdin") != NULL, prompt, password, err,
                             sizeof err) != 0)
        return kp_cli_error(cli, KP_BAD_REQUEST, "%s", err);
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__SignRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__sign_request__init(b);
    b->evaluation_id = id;
    b->meaning = (char *)meaning;
    b->password = password;
    req->body_case = KOMPASS__V1__REQUEST__BODY_SIGN;
    req->sign = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    kp_cli_password_wipe(password);
    if (rc) return rc;
    const Kompass__V1__SignResponse *out = resp->sign;
    if (cli->settings.json) {
        json_t *w = json_array();
        for (size_t i = 0; i < out->n_waiting_for; i++)
            json_array_append_new(w, json_string(out->waiting_for[i]));
        kp_cli_json(cli, json_pack("{s:I,s:s,s:I,s:o,s:o}", "id", (json_int_t)id, "status",
                                   out->status, "version", (json_int_t)out->version, "signature",
                                   kp_cli_signature_json(cli, out->signature), "waiting_for", w));
        return 0;
    }
    printf("signed evaluation %lld, revision %d, as %s (%s)\n  content %s\n", (long long)id,
           out->signature->revision, out->signature->meaning, out->signature->capacity,
           out->signature->content_hash);
    if (strcmp(out->status, "signed") == 0)
        printf("every required signature is in: evaluation %lld is signed\n", (long long)id);
    else
        for (size_t i = 0; i < out->n_waiting_for; i++)
            printf("%s%s%s", i ? ", " : "waiting for: ", out->waiting_for[i],
                   i + 1 == out->n_waiting_for ? "\n" : "");
    return 0;
}

int kp_cmd_eval_reopen(kp_cli *cli, const kp_command *cmd, int argc, char **argv)
{
    kp_opt opts[] = {{"reason", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    if (!kp_args_get(opts, "reason") || !*kp_args_get(opts, "reason"))
        return kp_cli_usage(cli, cmd, "eval reopen needs --reason (it is kept in the audit trail)");
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalReopenRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_reopen_request__init(b);
    b->evaluation_id = id;
    b->reason = (char *)kp_args_get(opts, "reason");
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_REOPEN;
    req->eval_reopen = b;
    kp_response *resp;
    if ((rc = kp_cli_call(cli, req, &resp))) return rc;
    const Kompass__V1__EvalReopenResponse *out = resp->eval_reopen;
    if (cli->settings.json)
        kp_cli_json(cli, json_pack("{s:I,s:i,s:I,s:i}", "id", (json_int_t)id, "revision",
                                   out->revision, "version", (json_int_t)out->version,
                                   "signatures_cancelled", out->signatures_cancelled));
    else
        printf("evaluation %lld reopened as revision %d (%d signature%s cancelled; revision %d "
               "stays readable: kompass eval show %lld --revision %d)\n",
               (long long)id, out->revision, out->signatures_cancelled,
               out->signatures_cancelled == 1 ? "" : "s", out->revision - 1, (long long)id,
               out->revision - 1);
    return 0;
}

int kp_cmd_eval_verify(kp_cli *cli, int64_t id)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalVerifyRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_verify_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_VERIFY;
    req->eval_verify = b;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__EvalVerifyResponse *v = resp->eval_verify;
    if (cli->settings.json) {
        json_t *revs = json_array();
        for (size_t i = 0; i < v->n_revisions; i++) {
            const Kompass__V1__RevisionCheck *c = v->revisions[i];
            json_t *problems = json_array(), *sigs = json_array();
            for (size_t k = 0; k < c->n_problems; k++)
                json_array_append_new(problems, json_string(c->problems[k]));
            for (size_t k = 0; k < c->n_signatures; k++)
                json_array_append_new(sigs, kp_cli_signature_json(cli, c->signatures[k]));
            json_t *o = json_pack("{s:i,s:s,s:b,s:b,s:b,s:o,s:o}", "revision", c->revision,
                                  "content_hash", c->content_hash, "content_ok", c->content_ok,
                                  "signatures_ok", c->signatures_ok, "audit_ok", c->audit_ok,
                                  "problems", problems, "signatures", sigs);
            json_object_set_new(o, "live_ok",
                                c->live_checked ? json_boolean(c->live_ok) : json_null());
            json_array_append_new(revs, o);
        }
        kp_cli_json(cli, json_pack("{s:I,s:b,s:o,s:{s:b,s:I,s:s}}", "id", (json_int_t)id, "ok",
                                   v->ok, "revisions", revs, "chain", "ok", v->chain_ok, "events",
                                   (json_int_t)v->chain_events, "problem", v->chain_problem));
        return v->ok ? 0 : KP_EXIT_ERROR;
    }
    printf("Evaluation %lld: %s\n", (long long)id, v->ok ? "OK" : "NOT OK");
    printf("  audit chain   %s (%lld events)%s%s\n", v->chain_ok ? "OK" : "BROKEN",
           (long long)v->chain_events, v->chain_ok ? "" : ": ", v->chain_problem);
    if (v->n_revisions == 0) printf("  no signed revision\n");
    for (size_t i = 0; i < v->n_revisions; i++) {
        const Kompass__V1__RevisionCheck *c = v->revisions[i];
        printf("  revision %d   content %s\n", c->revision, c->content_hash);
        printf("    stored content hashes to it  %s\n", c->content_ok ? "yes" : "NO");
        printf("    signatures sign it           %s\n", c->signatures_ok ? "yes" : "NO");
        printf("    audit trail recorded it      %s\n", c->audit_ok ? "yes" : "NO");
        if (c->live_checked)
            printf("    tables still hold it         %s\n", c->live_ok ? "yes" : "NO");
        for (size_t k = 0; k < c->n_signatures; k++)
            kp_cli_signature_print(cli, c->signatures[k], "    signed by ");
        for (size_t k = 0; k < c->n_problems; k++)
            printf("    problem: %s\n", c->problems[k]);
    }
    return v->ok ? 0 : KP_EXIT_ERROR;
}

int kp_cmd_eval_revision(kp_cli *cli, int64_t id, int64_t revision)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalRevisionRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_revision_request__init(b);
    b->evaluation_id = id;
    b->revision = (int32_t)revision;
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_REVISION;
    req->eval_revision = b;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__EvalRevisionResponse *v = resp->eval_revision;
    json_t *content = json_loads(v->content, 0, NULL);
    if (cli->settings.json) {
        json_t *sigs = json_array();
        for (size_t k = 0; k < v->n_signatures; k++)
            json_array_append_new(sigs, kp_cli_signature_json(cli, v->signatures[k]));
        json_t *o = json_pack("{s:I,s:i,s:s,s:s,s:o,s:o}", "id", (json_int_t)id, "revision",
                              v->revision, "content_hash", v->content_hash, "signed_at",
                              kp_cli_time(cli, v->signed_at_us), "content",
                              content ? content : json_null(), "signatures", sigs);
        if (v->reopened_at_us)
            json_object_set_new(o, "reopened",
                                json_pack("{s:s,s:s,s:s}", "at",
                                          kp_cli_time(cli, v->reopened_at_us), "by", v->reopened_by,
                                          "reason", v->reopen_reason));
        kp_cli_json(cli, o);
        return 0;
    }
    json_t *ev = json_object_get(content, "evaluation");
    printf("Evaluation %lld, revision %d: %s %s on %s, signed %s\n", (long long)id, v->revision,
           json_string_value(json_object_get(ev, "municipality")),
           json_string_value(json_object_get(ev, "label")),
           json_string_value(json_object_get(json_object_get(content, "framework"), "code")),
           kp_cli_time(cli, v->signed_at_us));
    printf("  content %s\n", v->content_hash);
    if (v->reopened_at_us)
        printf("  reopened %s by %s: %s\n", kp_cli_time(cli, v->reopened_at_us), v->reopened_by,
               v->reopen_reason);
    for (size_t k = 0; k < v->n_signatures; k++)
        kp_cli_signature_print(cli, v->signatures[k], "  signed by ");
    printf("  consensus scores\n");
    const char *q;
    json_t *s;
    int64_t total = 0, max = 0;
    json_object_foreach(json_object_get(content, "scores"), q, s)
    {
        char a[24], b2[24];
        json_t *p = json_object_get(s, "points_centi");
        int64_t m = json_integer_value(json_object_get(s, "max_centi"));
        max += m;
        total += json_integer_value(p);
        printf("    %-6s %6s of %s\n", q,
               json_is_null(p) ? "-" : kp_points_format(json_integer_value(p), a),
               kp_points_format(m, b2));
    }
    char a[24], b2[24];
    printf("    total  %6s of %s\n", kp_points_format(total, a), kp_points_format(max, b2));
    const char *area;
    json_t *t;
    json_object_foreach(json_object_get(content, "texts"), area, t)
    {
        printf("  area %s\n", area);
        const char *summary = json_string_value(json_object_get(t, "summary"));
        if (summary) printf("    summary: %s\n", summary);
        static const char *const lists[] = {"strengths", "improvements"};
        for (size_t l = 0; l < 2; l++) {
            size_t i;
            json_t *item;
            json_array_foreach(json_object_get(t, lists[l]), i, item)
                printf("    %s: %s\n", l ? "improvement" : "strength", json_string_value(item));
        }
    }
    json_decref(content);
    return 0;
}
