/*  cmd_framework: `kompass framework ...` and `kompass municipality ...`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "points.h"
#include "util.h"

const kp_command kp_framework_command = {
    "framework", kp_cmd_framework, "framework versions: import, list, show",
    "usage: kompass framework list\n"
    "       kompass framework show CODE\n"
    "       kompass framework import FILE.json      (admin)\n"
    "\n"
    "A framework version is a tree of areas and scored questions (KK2015 ships\n"
    "with Kompass). An import file has the shape\n"
    "  {\"framework\": {\"code\": \"KK2020\", \"name\": \"...\", \"year\": 2020},\n"
    "   \"areas\": [{\"number\": 1, \"title\": \"...\", \"headings\": [...], \"max\": 100,\n"
    "              \"questions\": [{\"code\": \"1.1\", \"text\": \"...\", \"max\": 15}, ...]}]}\n"
    "and is checked whole: every problem is listed with its place, and nothing is\n"
    "written unless it is valid. A framework in use by an evaluation is immutable.\n"};

const kp_command kp_municipality_command = {
    "municipality", kp_cmd_municipality, "municipalities: add, list, edit",
    "usage: kompass municipality list\n"
    "       kompass municipality add NAME [--kind kommun|stad|region] [--county C]\n"
    "                                     [--org-number NNNNNN-NNNN] [--group G]   (admin)\n"
    "       kompass municipality edit NAME [--name N] [--kind kommun|stad|region]\n"
    "                                      [--county C] [--group G]              (admin)\n"
    "\n"
    "The group is SKR's kommungruppsindelning (2017): A1 storstäder, A2\n"
    "pendlingskommun nära storstad, B3 större stad, B4 pendlingskommun nära större\n"
    "stad, B5 lågpendlingskommun nära större stad, C6 mindre stad/tätort, C7\n"
    "pendlingskommun nära mindre stad/tätort, C8 landsbygdskommun, C9\n"
    "landsbygdskommun med besöksnäring. `kompass report ID --average group:B3`\n"
    "compares with the other municipalities of a group.\n"
    "\n"
    "edit corrects the register (audited, municipality.edit); NAME may be the\n"
    "municipality's id. --county '' and --group '' clear them. Evaluations not yet\n"
    "signed show a new name at once; a signed evaluation keeps the name it was\n"
    "signed with until it is reopened. A rename waits while an evaluation of the\n"
    "municipality is being signed.\n"};

static void s_summary_json(json_t *o, const Kompass__V1__FrameworkSummary *f)
{
    char b[24];
    json_object_set_new(o, "code", json_string(f->code));
    json_object_set_new(o, "name", json_string(f->name));
    json_object_set_new(o, "year", json_integer(f->year));
    json_object_set_new(o, "areas", json_integer(f->areas));
    json_object_set_new(o, "questions", json_integer(f->questions));
    json_object_set_new(o, "total_max", json_string(kp_points_format(f->total_max_centi, b)));
    json_object_set_new(o, "evaluations", json_integer(f->evaluations));
}

static int s_import(kp_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, &kp_framework_command, argc, argv, 2, NULL, pos, 1, 1, &n);
    if (rc) return rc;
    char *text = kp_read_file(pos[0], 4 * 1024 * 1024, NULL);
    if (!text) return kp_cli_error(cli, KP_BAD_REQUEST, "cannot read %s", pos[0]);
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FrameworkImportRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__framework_import_request__init(b);
    b->json = kp_arena_strdup(cli->arena, text);
    free(text);
    req->body_case = KOMPASS__V1__REQUEST__BODY_FRAMEWORK_IMPORT;
    req->framework_import = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__FrameworkSummary *f = resp->framework_import->framework;
    if (cli->settings.json) {
        json_t *o = json_object();
        s_summary_json(o, f);
        kp_cli_json(cli, o);
    } else {
        char b2[24];
        printf("imported framework %s, %s (%d): %d areas, %d questions, %s points\n", f->code,
               f->name, f->year, f->areas, f->questions, kp_points_format(f->total_max_centi, b2));
    }
    return 0;
}

static int s_list(kp_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, &kp_framework_command, argc, argv, 2, NULL, pos, 0, 0, &n);
    if (rc) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FrameworkListRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__framework_list_request__init(b);
    req->body_case = KOMPASS__V1__REQUEST__BODY_FRAMEWORK_LIST;
    req->framework_list = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__FrameworkListResponse *l = resp->framework_list;
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < l->n_frameworks; i++) {
            json_t *o = json_object();
            s_summary_json(o, l->frameworks[i]);
            json_array_append_new(arr, o);
        }
        kp_cli_json(cli, json_pack("{s:o}", "frameworks", arr));
        return 0;
    }
    printf("CODE      YEAR  NAME                                      AREAS  QUESTIONS  MAX  "
           "EVALUATIONS\n");
    for (size_t i = 0; i < l->n_frameworks; i++) {
        const Kompass__V1__FrameworkSummary *f = l->frameworks[i];
        char mb[24];
        kp_cli_cell(f->code, 10);
        printf("%-6d", f->year);
        kp_cli_cell(f->name, 42);
        printf("%-7d%-11d%-5s%d\n", f->areas, f->questions,
               kp_points_format(f->total_max_centi, mb), f->evaluations);
    }
    return 0;
}

static int s_show(kp_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, &kp_framework_command, argc, argv, 2, NULL, pos, 1, 1, &n);
    if (rc) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FrameworkShowRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__framework_show_request__init(b);
    b->code = (char *)pos[0];
    req->body_case = KOMPASS__V1__REQUEST__BODY_FRAMEWORK_SHOW;
    req->framework_show = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__FrameworkShowResponse *s = resp->framework_show;
    const Kompass__V1__FrameworkSummary *f = s->framework;
    char b1[24], b2[24];
    if (cli->settings.json) {
        json_t *o = json_object();
        s_summary_json(o, f);
        json_object_set_new(o, "note", json_string(s->note));
        json_t *areas = json_array();
        for (size_t i = 0; i < s->n_areas; i++) {
            const Kompass__V1__Area *a = s->areas[i];
            json_t *h = json_array(), *qs = json_array();
            for (size_t k = 0; k < a->n_headings; k++)
                json_array_append_new(h, json_string(a->headings[k]));
            for (size_t k = 0; k < a->n_questions; k++)
                json_array_append_new(qs,
                                      json_pack("{s:s,s:s,s:s}", "code", a->questions[k]->code,
                                                "text", a->questions[k]->text, "max",
                                                kp_points_format(a->questions[k]->max_centi, b1)));
            json_array_append_new(
                areas, json_pack("{s:i,s:s,s:o,s:s,s:s,s:o}", "number", a->number, "title",
                                 a->title, "headings", h, "general_text", a->general_text, "max",
                                 kp_points_format(a->max_centi, b2), "questions", qs));
        }
        json_object_set_new(o, "areas", areas);
        kp_cli_json(cli, o);
        return 0;
    }
    printf("%s  %s (%d): %d areas, %d questions, %s points", f->code, f->name, f->year, f->areas,
           f->questions, kp_points_format(f->total_max_centi, b1));
    if (f->evaluations)
        printf("; used by %d evaluation%s (immutable)", f->evaluations,
               f->evaluations == 1 ? "" : "s");
    printf("\n");
    for (size_t i = 0; i < s->n_areas; i++) {
        const Kompass__V1__Area *a = s->areas[i];
        printf("\n%d  ", a->number);
        kp_cli_cell(a->title, 70);
        printf(" %5s\n", kp_points_format(a->max_centi, b1));
        for (size_t k = 0; k < a->n_questions; k++) {
            printf("   %-5s ", a->questions[k]->code);
            kp_cli_cell(a->questions[k]->text, 66);
            printf(" %5s\n", kp_points_format(a->questions[k]->max_centi, b1));
        }
    }
    return 0;
}

int kp_cmd_framework(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_framework_command, "framework needs a subcommand");
    if (strcmp(argv[1], "list") == 0) return s_list(cli, argc, argv);
    if (strcmp(argv[1], "show") == 0) return s_show(cli, argc, argv);
    if (strcmp(argv[1], "import") == 0) return s_import(cli, argc, argv);
    return kp_cli_usage(cli, &kp_framework_command, "unknown subcommand 'framework %s'", argv[1]);
}

/* ---------------------------------------------------------------- municipality */

static json_t *s_municipality_json(const Kompass__V1__Municipality *m)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:i,s:o}", "id", (json_int_t)m->id, "name", m->name,
                     "kind", m->kind, "county", m->county, "org_number", m->org_number,
                     "evaluations", m->evaluations, "group",
                     *m->group ? json_string(m->group) : json_null());
}

/* kompass municipality edit NAME [--name N] [--kind K] [--county C] [--group G] */
static int s_municipality_edit(kp_cli *cli, kp_request *req, int argc, char **argv)
{
    kp_opt opts[] = {
        {"name", 1, NULL}, {"kind", 1, NULL}, {"county", 1, NULL}, {"group", 1, NULL}, {0}};
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, &kp_municipality_command, argc, argv, 2, opts, pos, 1, 1, &n);
    if (rc) return rc;
    const char *name = kp_args_get(opts, "name"), *kind = kp_args_get(opts, "kind"),
               *county = kp_args_get(opts, "county"), *group = kp_args_get(opts, "group");
    if (!name && !kind && !county && !group)
        return kp_cli_usage(cli, &kp_municipality_command,
                            "municipality edit needs --name, --kind, --county or --group");
    if (name && !*name)
        return kp_cli_usage(cli, &kp_municipality_command, "--name cannot be empty");
    if (kind && !*kind)
        return kp_cli_usage(cli, &kp_municipality_command,
                            "--kind must be kommun, stad or region, not empty");
    Kompass__V1__MunicipalityEditRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__municipality_edit_request__init(b);
    b->municipality = (char *)pos[0];
    if (name) b->name = (char *)name;
    if (kind) b->kind = (char *)kind;
    if (county) {
        b->county = (char *)county;
        b->clear_county = !*county;
    }
    if (group) {
        b->group = (char *)group;
        b->clear_group = !*group;
    }
    req->body_case = KOMPASS__V1__REQUEST__BODY_MUNICIPALITY_EDIT;
    req->municipality_edit = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__MunicipalityEditResponse *o = resp->municipality_edit;
    const Kompass__V1__Municipality *m = o->municipality;
    if (cli->settings.json) {
        json_t *j = s_municipality_json(m);
        json_object_set_new(j, "changed", json_boolean(o->changed));
        kp_cli_json(cli, j);
        return 0;
    }
    printf("%s municipality %s: %s%s%s, kommungrupp %s\n", o->changed ? "corrected" : "unchanged",
           m->name, m->kind, *m->county ? ", " : "", m->county, *m->group ? m->group : "none");
    return 0;
}

int kp_cmd_municipality(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return kp_cli_usage(cli, &kp_municipality_command, "municipality needs a subcommand");
    kp_request *req = kp_cli_request(cli);
    kp_response *resp;
    const char *pos[1];
    int n, rc;
    if (strcmp(argv[1], "add") == 0) {
        kp_opt opts[] = {{"kind", 1, NULL},
                         {"county", 1, NULL},
                         {"org-number", 1, NULL},
                         {"group", 1, NULL},
                         {0}};
        rc = kp_args_parse(cli, &kp_municipality_command, argc, argv, 2, opts, pos, 1, 1, &n);
        if (rc) return rc;
        Kompass__V1__MunicipalityAddRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
        kompass__v1__municipality_add_request__init(b);
        b->name = (char *)pos[0];
        if (kp_args_get(opts, "kind")) b->kind = (char *)kp_args_get(opts, "kind");
        if (kp_args_get(opts, "county")) b->county = (char *)kp_args_get(opts, "county");
        if (kp_args_get(opts, "org-number"))
            b->org_number = (char *)kp_args_get(opts, "org-number");
        if (kp_args_get(opts, "group")) b->group = (char *)kp_args_get(opts, "group");
        req->body_case = KOMPASS__V1__REQUEST__BODY_MUNICIPALITY_ADD;
        req->municipality_add = b;
        rc = kp_cli_call(cli, req, &resp);
        if (rc) return rc;
        const Kompass__V1__Municipality *m = resp->municipality_add->municipality;
        if (cli->settings.json)
            kp_cli_json(cli, s_municipality_json(m));
        else
            printf("added municipality %s (%s%s%s%s%s)\n", m->name, m->kind, *m->county ? ", " : "",
                   m->county, *m->group ? ", kommungrupp " : "", m->group);
        return 0;
    }
    if (strcmp(argv[1], "edit") == 0) return s_municipality_edit(cli, req, argc, argv);
    if (strcmp(argv[1], "list") == 0) {
        rc = kp_args_parse(cli, &kp_municipality_command, argc, argv, 2, NULL, pos, 0, 0, &n);
        if (rc) return rc;
        Kompass__V1__MunicipalityListRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
        kompass__v1__municipality_list_request__init(b);
        req->body_case = KOMPASS__V1__REQUEST__BODY_MUNICIPALITY_LIST;
        req->municipality_list = b;
        rc = kp_cli_call(cli, req, &resp);
        if (rc) return rc;
        const Kompass__V1__MunicipalityListResponse *l = resp->municipality_list;
        if (cli->settings.json) {
            json_t *arr = json_array();
            for (size_t i = 0; i < l->n_municipalities; i++)
                json_array_append_new(arr, s_municipality_json(l->municipalities[i]));
            kp_cli_json(cli, json_pack("{s:o}", "municipalities", arr));
            return 0;
        }
        printf("NAME                     KIND    COUNTY                   GROUP  ORG NUMBER   "
               "EVALUATIONS\n");
        for (size_t i = 0; i < l->n_municipalities; i++) {
            const Kompass__V1__Municipality *m = l->municipalities[i];
            kp_cli_cell(m->name, 25);
            kp_cli_cell(m->kind, 8);
            kp_cli_cell(m->county, 25);
            kp_cli_cell(*m->group ? m->group : "-", 7);
            kp_cli_cell(m->org_number, 13);
            printf("%d\n", m->evaluations);
        }
        return 0;
    }
    return kp_cli_usage(cli, &kp_municipality_command, "unknown subcommand 'municipality %s'",
                        argv[1]);
}
