/*  cmd_search: `kompass search QUERY [filters]`: good examples across every
 *  evaluation you may see (signed ones, and your team's).
 *
 *  Each hit: the municipality and year, the area and its consensus score in
 *  that evaluation, what kind of text matched, and the text with the
 *  matched words marked. The server marks them with U+0002 and U+0003; on a
 *  terminal they become bold, elsewhere «...» (also with NO_COLOR set).
 *  Other control characters of a text are printed as spaces: a text written
 *  by someone else must not drive the terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "points.h"

const kp_command kp_search_command = {
    "search", kp_cmd_search, "find good examples in the texts of every evaluation",
    "usage: kompass search QUERY... [--area N] [--question CODE] [--municipality M]\n"
    "                      [--from YEAR] [--to YEAR]\n"
    "                      [--kind strengths|improvements|summary|evidence] [--limit N]\n"
    "\n"
    "Searches the strengths, improvement opportunities, summaries and evidence\n"
    "notes of the evaluations you may see: every signed (or imported, published)\n"
    "evaluation, and the unsigned ones of your own team (administrators: all).\n"
    "Swedish stemming: medborgardialogen finds medborgardialog. All words must\n"
    "occur; \"quoted words\" in that order; `or` between alternatives; -word\n"
    "excludes. Hits come best first (the query's words closest together), each\n"
    "with its area's consensus score in that evaluation.\n"
    "\n"
    "  --area N          texts of area N, evidence linked to a question of it\n"
    "  --question CODE   texts of the question's area, evidence linked to it (1.4)\n"
    "  --municipality M  one municipality (name or id)\n"
    "  --from, --to      evaluations of these years (the label's or period's year)\n"
    "  --kind K          only strengths, improvements, summary or evidence\n"
    "  --limit N         at most N hits (default 20, at most 200)\n"
    "\n"
    "Example: kompass search medborgardialog --question 1.4 --from 2015\n"};

/* An optional whole number option into *v (0 if absent). */
static int s_number(kp_cli *cli, const kp_opt *opts, const char *name, int lo, int hi, int32_t *v)
{
    const char *text = kp_args_get(opts, name);
    *v = 0;
    if (!text) return 0;
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || *end || end == text || n < lo || n > hi)
        return kp_cli_usage(cli, &kp_search_command,
                            "--%s must be a number from %d to %d, not '%s'", name, lo, hi, text);
    *v = (int32_t)n;
    return 0;
}

/* The query: the positionals joined by spaces. */
static char *s_join(kp_cli *cli, const char **pos, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(pos[i]) + 1;
    char *q = kp_arena_alloc(cli->arena, len);
    q[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strcat(q, " ");
        strcat(q, pos[i]);
    }
    return q;
}

/* Prints a highlighted text: markers as bold (tty) or «» (otherwise); any
 * other control character as a space. */
static void s_print_marked(const char *text, int bold)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == 0x02)
            fputs(bold ? "\033[1m" : "«", stdout);
        else if (*p == 0x03)
            fputs(bold ? "\033[22m" : "»", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            putchar(' ');
        else
            putchar(*p);
    }
}

/* The area's score as "82/100", "61.5/100 so far (3 of 5 questions)",
 * "not scored", or "" for evidence linked to no area. */
static const char *s_score(kp_cli *cli, const Kompass__V1__SearchHit *h)
{
    if (!h->area) return "";
    if (h->area_scored == 0) return "not scored yet";
    char pts[24], max[24];
    kp_points_format(h->area_score_centi, pts);
    kp_points_format(h->area_max_centi, max);
    if (h->area_scored < h->area_questions)
        return kp_arena_printf(cli->arena, "%s/%s so far (%d of %d questions agreed)", pts, max,
                               h->area_scored, h->area_questions);
    return kp_arena_printf(cli->arena, "%s/%s", pts, max);
}

/* The matched words of a highlight, in order. */
static json_t *s_matches(const char *hl)
{
    json_t *a = json_array();
    for (const char *p = strchr(hl, 0x02); p; p = strchr(p, 0x02)) {
        const char *end = strchr(p + 1, 0x03);
        if (!end) break;
        json_array_append_new(a, json_stringn(p + 1, (size_t)(end - p - 1)));
        p = end;
    }
    return a;
}

static json_t *s_hit_json(const Kompass__V1__SearchHit *h)
{
    char pts[24], max[24];
    json_t *qs = json_array();
    for (size_t i = 0; i < h->n_questions; i++)
        json_array_append_new(qs, json_string(h->questions[i]));
    json_t *o =
        json_pack("{s:I,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:s,s:s,s:o,s:f}",
                  "evaluation_id", (json_int_t)h->evaluation_id, "municipality", h->municipality,
                  "label", h->label, "year", h->year, "period", h->period, "status", h->status,
                  "source", h->source, "framework", h->framework, "area", h->area, "area_title",
                  h->area_title, "kind", h->kind, "position", h->position, "text", h->text,
                  "highlight", h->highlight, "matches", s_matches(h->highlight), "rank", h->rank);
    if (h->evidence_id) json_object_set_new(o, "evidence_id", json_integer(h->evidence_id));
    json_object_set_new(o, "questions", qs);
    json_object_set_new(o, "area_score",
                        h->area && h->area_scored
                            ? json_string(kp_points_format(h->area_score_centi, pts))
                            : json_null());
    json_object_set_new(o, "area_max",
                        h->area ? json_string(kp_points_format(h->area_max_centi, max))
                                : json_null());
    json_object_set_new(o, "area_scored", json_integer(h->area_scored));
    json_object_set_new(o, "area_questions", json_integer(h->area_questions));
    json_object_set_new(o, "area_complete",
                        json_boolean(h->area && h->area_scored == h->area_questions));
    return o;
}

/* "strengths 2", "summary", "evidence 12 (1.4, 3.2)". */
static const char *s_what(kp_cli *cli, const Kompass__V1__SearchHit *h)
{
    if (strcmp(h->kind, "summary") == 0) return "summary";
    if (strcmp(h->kind, "evidence") != 0)
        return kp_arena_printf(cli->arena, "%s %d", h->kind, h->position);
    const char *qs = "";
    for (size_t i = 0; i < h->n_questions; i++)
        qs = kp_arena_printf(cli->arena, "%s%s%s", qs, i ? ", " : "", h->questions[i]);
    return kp_arena_printf(cli->arena, "evidence %lld%s%s%s", (long long)h->evidence_id,
                           *qs ? " (" : "", qs, *qs ? ")" : "");
}

int kp_cmd_search(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_search_command;
    kp_opt opts[] = {
        {"area", 1, NULL}, {"question", 1, NULL}, {"municipality", 1, NULL}, {"from", 1, NULL},
        {"to", 1, NULL},   {"kind", 1, NULL},     {"limit", 1, NULL},        {0}};
    const char *pos[64];
    int n;
    int rc = kp_args_parse(cli, cmd, argc, argv, 1, opts, pos, 1, 64, &n);
    if (rc) return rc;
    Kompass__V1__SearchRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__search_request__init(b);
    b->query = s_join(cli, pos, n);
    if ((rc = s_number(cli, opts, "area", 1, 99, &b->area)) ||
        (rc = s_number(cli, opts, "from", 1900, 2200, &b->from_year)) ||
        (rc = s_number(cli, opts, "to", 1900, 2200, &b->to_year)) ||
        (rc = s_number(cli, opts, "limit", 1, 200, &b->limit)))
        return rc;
    const char *kind = kp_args_get(opts, "kind");
    if (kind && strcmp(kind, "strengths") && strcmp(kind, "improvements") &&
        strcmp(kind, "summary") && strcmp(kind, "evidence"))
        return kp_cli_usage(cli, cmd,
                            "--kind must be strengths, improvements, summary or evidence, not '%s'",
                            kind);
    if (kind) b->kind = (char *)kind;
    if (kp_args_get(opts, "question")) b->question = (char *)kp_args_get(opts, "question");
    if (kp_args_get(opts, "municipality"))
        b->municipality = (char *)kp_args_get(opts, "municipality");

    kp_request *req = kp_cli_request(cli);
    req->body_case = KOMPASS__V1__REQUEST__BODY_SEARCH;
    req->search = b;
    kp_response *resp;
    rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    const Kompass__V1__SearchResponse *out = resp->search;

    if (cli->settings.json) {
        json_t *hits = json_array();
        for (size_t i = 0; i < out->n_hits; i++)
            json_array_append_new(hits, s_hit_json(out->hits[i]));
        kp_cli_json(cli, json_pack("{s:s,s:s,s:b,s:o}", "query", b->query, "parsed", out->parsed,
                                   "more", out->more, "hits", hits));
        return 0;
    }
    int bold = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    if (out->n_hits == 0) {
        printf("no hits for %s\n", out->parsed);
        return 0;
    }
    printf("%zu hit%s for %s, best first\n", out->n_hits, out->n_hits == 1 ? "" : "s", out->parsed);
    for (size_t i = 0; i < out->n_hits; i++) {
        const Kompass__V1__SearchHit *h = out->hits[i];
        printf("\n%2zu  %s %s", i + 1, h->municipality, h->label);
        if (*h->source) printf(" (published)");
        if (strcmp(h->status, "signed") != 0) printf(" [%s, not signed]", h->status);
        printf("  evaluation %lld\n", (long long)h->evaluation_id);
        if (h->area)
            printf("    area %d %s  %s\n", h->area, h->area_title, s_score(cli, h));
        else
            printf("    evidence linked to no question\n");
        printf("    %s: ", s_what(cli, h));
        s_print_marked(h->highlight, bold);
        putchar('\n');
    }
    if (out->more)
        printf("\nmore hits than these %zu: narrow the search, or raise --limit (at most 200)\n",
               out->n_hits);
    return 0;
}
