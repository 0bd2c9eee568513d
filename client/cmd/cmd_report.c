/*  cmd_report: `kompass report`, `kompass history`, `kompass import`.
 *
 *  report asks the server for one evaluation's report data (ReportData)
 *  and renders it with the report renderers (report_render.h); history
 *  prints a municipality's evaluations with their totals per area; import
 *  sends published evaluations, one file per request, each checked whole
 *  and written all or nothing by the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "points.h"
#include "report_data.h"
#include "report_render.h"
#include "util.h"

const kp_command kp_report_command = {
    "report", kp_cmd_report, "an evaluation's report: html, md, csv or json",
    "usage: kompass report ID [--format html|md|csv|json] [-o FILE]\n"
    "                         [--average all|period:FROM-TO|group:G]\n"
    "                         [--template full|pm]\n"
    "\n"
    "The KommunKompassen report of evaluation ID, from its consensus scores and\n"
    "texts: cover, summary with a bar per area, a radar chart against the average\n"
    "of other municipalities' signed evaluations and the municipality's previous one,\n"
    "each area in detail, the follow-up of the previous round's improvement\n"
    "opportunities (kompass followup), the score overview and the signatures. A\n"
    "report of an evaluation that is not signed says DRAFT (\"UTKAST\") on every\n"
    "page. Its last page says when the municipality reviewed the draft (kompass\n"
    "factcheck).\n"
    "\n"
    "  --format F   html (one self-contained file), md, csv or json; default: from\n"
    "               the suffix of -o's file name, else md\n"
    "  -o FILE      write to FILE (default: standard output)\n"
    "  --average S  what the average (\"Genomsnitt\") is over: by default the other\n"
    "               municipalities' signed evaluations on the same framework from\n"
    "               the evaluation's year and the two before; all: every year;\n"
    "               period:2015-2017: those years; group:B3: those of the\n"
    "               municipalities in kommungrupp B3 (kompass municipality edit\n"
    "               --group), from the default years. Fewer than 3: none is drawn\n"
    "  --template T full (default): the whole analysis; pm: the short memo \"PM\n"
    "               Utvärdering enligt Kommunkompassen\" (the evaluation, the team,\n"
    "               the total and the points per area with the radar, each area's\n"
    "               strengths and improvement opportunities; no framework texts),\n"
    "               as html (prints to A4 as the full report does) or md\n"
    "\n"
    "Signed evaluations (imported ones too) are readable by everyone; others by\n"
    "admins and their team, and by the municipality's contact person once its\n"
    "factual review is open.\n"};

const kp_command kp_history_command = {
    "history", kp_cmd_history, "a municipality's evaluations and totals over time",
    "usage: kompass history MUNICIPALITY\n"
    "\n"
    "Every evaluation of MUNICIPALITY (its name or its id) you may see, oldest\n"
    "first: label, framework, status, points per area and the total.\n"};

const kp_command kp_import_command = {
    "import", kp_cmd_import, "import published evaluations (admin)",
    "usage: kompass import FILE.json... [--source TEXT]      (admin)\n"
    "\n"
    "Loads published evaluations, one per file, in the shape of\n"
    "vasteras-2017-published.json (docs/reports.md, \"Importing\"), as signed as\n"
    "published, marked with their source. Each file is checked whole (every\n"
    "problem is listed with its place) and written all or nothing; a file\n"
    "imported before is skipped; an unknown municipality is created. A summary\n"
    "ends the run; the exit status is 1 if any file failed.\n"
    "\n"
    "  --source TEXT   where the figures come from (default: the file's \"source\",\n"
    "                  else its name)\n"};

/* ---------------------------------------------------------------- report */

static const char *s_suffix_format(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot) return NULL;
    if (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0) return "html";
    if (strcmp(dot, ".md") == 0) return "md";
    if (strcmp(dot, ".csv") == 0) return "csv";
    if (strcmp(dot, ".json") == 0) return "json";
    return NULL;
}

int kp_cmd_report(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_report_command;
    /* -o is the one short option: spelled --output for the parser */
    char **args = kp_arena_alloc(cli->arena, sizeof(char *) * (size_t)(argc + 1));
    for (int i = 0; i < argc; i++)
        args[i] = strcmp(argv[i], "-o") == 0 ? "--output" : argv[i];
    kp_opt opts[] = {{"format", 1, NULL},
                     {"output", 1, NULL},
                     {"average", 1, NULL},
                     {"template", 1, NULL},
                     {NULL, 0, NULL}};
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, cmd, argc, args, 1, opts, pos, 1, 1, &n);
    if (rc) return rc;
    int64_t id;
    rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id);
    if (rc) return rc;
    const char *path = kp_args_get(opts, "output");
    const char *format = kp_args_get(opts, "format");
    if (!format) format = s_suffix_format(path);
    if (!format) format = "md";
    int (*render)(const kp_report *, FILE *) = NULL;
    if (strcmp(format, "html") == 0)
        render = kp_report_render_html;
    else if (strcmp(format, "md") == 0 || strcmp(format, "markdown") == 0)
        render = kp_report_render_markdown;
    else if (strcmp(format, "csv") == 0)
        render = kp_report_render_csv;
    else if (strcmp(format, "json") == 0)
        render = kp_report_render_json;
    else
        return kp_cli_usage(cli, cmd, "--format must be html, md, csv or json, not '%s'", format);
    const char *template = kp_args_get(opts, "template");
    if (!template) template = "full";
    if (strcmp(template, "pm") == 0) {
        if (render == kp_report_render_html)
            render = kp_report_render_pm_html;
        else if (render == kp_report_render_markdown)
            render = kp_report_render_pm_markdown;
        else
            return kp_cli_usage(cli, cmd,
                                "the PM (--template pm) is html or md, not %s: the figures in "
                                "csv and json are the full report's (--template full)",
                                format);
    } else if (strcmp(template, "full") != 0) {
        return kp_cli_usage(cli, cmd, "--template must be full or pm, not '%s'", template);
    }

    kp_request *req = kp_cli_request(cli);
    Kompass__V1__ReportDataRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__report_data_request__init(b);
    b->evaluation_id = id;
    const char *average = kp_args_get(opts, "average");
    if (average) b->average = (char *)average;
    req->body_case = KOMPASS__V1__REQUEST__BODY_REPORT_DATA;
    req->report_data = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    kp_report *r = kp_report_from_data(cli->arena, resp->report_data);
    char why[512];
    if (kp_report_check(r, why, sizeof why) != KP_OK)
        return kp_cli_error(cli, KP_BAD_REQUEST, "evaluation %lld cannot be reported: %s",
                            (long long)id, why);

    /* into memory first: a failed render leaves no half-written file */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) return kp_cli_error(cli, KP_INTERNAL, "out of memory");
    rc = render(r, mem);
    fclose(mem);
    if (rc != KP_OK) {
        free(text);
        return kp_cli_error(cli, rc, "rendering the report as %s failed", format);
    }
    if (path) {
        rc = kp_write_file(path, text, len, 0644);
        free(text);
        if (rc != 0) return kp_cli_error(cli, KP_BAD_REQUEST, "cannot write %s", path);
        fprintf(stderr, "wrote %s %s of evaluation %lld (%s %s%s) to %s\n", format,
                strcmp(template, "pm") == 0 ? "PM" : "report", (long long)id, r->municipality,
                r->label, r->is_signed ? "" : ", DRAFT", path);
        return 0;
    }
    size_t wrote = fwrite(text, 1, len, stdout);
    free(text);
    if (wrote != len || fflush(stdout) != 0)
        return kp_cli_error(cli, KP_INTERNAL, "writing the report failed");
    return 0;
}

/* ---------------------------------------------------------------- history */

int kp_cmd_history(kp_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int n;
    int rc = kp_args_parse(cli, &kp_history_command, argc, argv, 1, NULL, pos, 1, 1, &n);
    if (rc) return rc;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__HistoryRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__history_request__init(b);
    b->municipality = (char *)pos[0];
    req->body_case = KOMPASS__V1__REQUEST__BODY_HISTORY;
    req->history = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__HistoryResponse *h = resp->history;
    char mb[24];
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < h->n_evaluations; i++) {
            const Kompass__V1__HistoryEntry *e = h->evaluations[i];
            json_t *areas = json_array();
            for (size_t k = 0; k < e->n_areas; k++)
                json_array_append_new(areas,
                                      json_pack("{s:i,s:I,s:s,s:i}", "number", e->areas[k]->number,
                                                "achieved", (json_int_t)e->areas[k]->achieved,
                                                "max", kp_points_format(e->areas[k]->max_centi, mb),
                                                "unscored", e->areas[k]->unscored));
            json_array_append_new(
                arr, json_pack(
                         "{s:I,s:s,s:s,s:s,s:s,s:i,s:o,s:o,s:I,s:s}", "id",
                         (json_int_t)e->evaluation_id, "label", e->label, "framework", e->framework,
                         "status", e->status, "period", e->period, "ordinal", e->ordinal, "source",
                         *e->source ? json_string(e->source) : json_null(), "areas", areas, "total",
                         (json_int_t)e->total, "max", kp_points_format(e->total_max_centi, mb)));
        }
        kp_cli_json(cli,
                    json_pack("{s:s,s:o}", "municipality", h->municipality, "evaluations", arr));
        return 0;
    }
    printf("%s: %zu evaluation%s\n", h->municipality, h->n_evaluations,
           h->n_evaluations == 1 ? "" : "s");
    if (h->n_evaluations == 0) return 0;
    size_t most = 0;
    for (size_t i = 0; i < h->n_evaluations; i++)
        if (h->evaluations[i]->n_areas > most) most = h->evaluations[i]->n_areas;
    printf("ID    LABEL     FRAMEWORK  STATUS     SOURCE    ");
    for (size_t k = 0; k < most; k++)
        printf("%4zu", k + 1);
    printf("  TOTAL\n");
    for (size_t i = 0; i < h->n_evaluations; i++) {
        const Kompass__V1__HistoryEntry *e = h->evaluations[i];
        printf("%-6lld", (long long)e->evaluation_id);
        kp_cli_cell(e->label, 10);
        kp_cli_cell(e->framework, 11);
        kp_cli_cell(e->status, 11);
        kp_cli_cell(*e->source ? "imported" : "kompass", 10);
        int partial = 0;
        for (size_t k = 0; k < most; k++) {
            if (k >= e->n_areas) {
                printf("%4s", "");
                continue;
            }
            printf("%4lld", (long long)e->areas[k]->achieved);
            partial |= e->areas[k]->unscored > 0;
        }
        printf("  %lld of %s%s\n", (long long)e->total, kp_points_format(e->total_max_centi, mb),
               partial ? " (not all scored)" : "");
    }
    return 0;
}

/* ---------------------------------------------------------------- import */

/* The progress bar, on stderr: "[#####.....] 3/10 file.json". */
static void s_progress(size_t done, size_t all, const char *file)
{
    int width = 30, filled = (int)(width * done / all);
    fprintf(stderr, "\r\033[K[");
    for (int i = 0; i < width; i++)
        fputc(i < filled ? '#' : '.', stderr);
    fprintf(stderr, "] %zu/%zu %s", done, all, file ? file : "");
    fflush(stderr);
}

int kp_cmd_import(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_import_command;
    kp_opt opts[] = {{"source", 1, NULL}, {NULL, 0, NULL}};
    const char **pos = kp_arena_alloc(cli->arena, sizeof(char *) * (size_t)(argc + 1));
    int n;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 1, argc, &n);
    if (rc) return rc;
    const char *source = kp_args_get(opts, "source");
    int bar = n > 1 && isatty(2) && !cli->settings.json;
    int imported = 0, present = 0, failed = 0;
    json_t *files = json_array();
    const char *created = "";
    for (int i = 0; i < n; i++) {
        const char *file = pos[i];
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        if (bar) s_progress((size_t)i, (size_t)n, base);
        json_t *entry = json_pack("{s:s}", "file", file);
        json_array_append_new(files, entry);
        char *text = kp_read_file(file, 4 * 1024 * 1024, NULL);
        const char *error = NULL;
        int status = KP_OK;
        kp_response *resp = NULL;
        if (!text) {
            status = KP_BAD_REQUEST;
            error = "cannot read the file (missing, unreadable or over 4 MiB)";
        } else {
            kp_request *req = kp_cli_request(cli);
            Kompass__V1__EvalImportRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
            kompass__v1__eval_import_request__init(b);
            b->json = kp_arena_strdup(cli->arena, text);
            b->source = (char *)(source ? source : "");
            b->file_name = (char *)base;
            free(text);
            req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_IMPORT;
            req->eval_import = b;
            status = kp_cli_call_quiet(cli, req, &resp, &error);
        }
        if (bar) fprintf(stderr, "\r\033[K");
        if (status != KP_OK) {
            failed++;
            json_object_set_new(entry, "result", json_string("failed"));
            json_object_set_new(entry, "status", json_string(kp_status_name(status)));
            json_object_set_new(entry, "error", json_string(error));
            if (!cli->settings.json) {
                fflush(stdout); /* the files in order, also when stdout is a pipe */
                fprintf(stderr, "%s: failed: %s: %s\n", file, kp_status_name(status), error);
            }
            continue;
        }
        const Kompass__V1__EvalImportResponse *o = resp->eval_import;
        json_object_set_new(entry, "result",
                            json_string(o->already_present ? "already present" : "imported"));
        json_object_set_new(entry, "evaluation_id", json_integer(o->evaluation_id));
        json_object_set_new(entry, "municipality", json_string(o->municipality));
        json_object_set_new(entry, "label", json_string(o->label));
        json_object_set_new(entry, "framework", json_string(o->framework));
        json_object_set_new(entry, "total", json_integer(o->total));
        json_object_set_new(entry, "municipality_created", json_boolean(o->municipality_created));
        if (*o->content_hash)
            json_object_set_new(entry, "content_hash", json_string(o->content_hash));
        char mb[24];
        if (o->already_present) {
            present++;
            if (!cli->settings.json)
                printf("%s: already present as evaluation %lld (%s %s); skipped\n", file,
                       (long long)o->evaluation_id, o->municipality, o->label);
            continue;
        }
        imported++;
        if (o->municipality_created)
            created = kp_arena_printf(cli->arena, "%s%s%s", created, *created ? ", " : "",
                                      o->municipality);
        if (!cli->settings.json)
            printf("%s: imported as evaluation %lld: %s %s on %s, %lld of %s points%s\n", file,
                   (long long)o->evaluation_id, o->municipality, o->label, o->framework,
                   (long long)o->total, kp_points_format(o->total_max_centi, mb),
                   o->municipality_created ? " (new municipality)" : "");
    }
    if (cli->settings.json) {
        kp_cli_json(cli, json_pack("{s:o,s:i,s:i,s:i}", "files", files, "imported", imported,
                                   "already_present", present, "failed", failed));
    } else {
        json_decref(files);
        printf("%d file%s: %d imported, %d already present, %d failed\n", n, n == 1 ? "" : "s",
               imported, present, failed);
        if (*created) printf("new municipalities: %s\n", created);
    }
    return failed ? KP_EXIT_ERROR : KP_EXIT_OK;
}
