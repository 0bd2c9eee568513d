/*  rpc_search: good examples, found across every evaluation (Search).
 *
 *  Full-text search over search_items (sql/010_search.sql): the items of
 *  every area text and the evidence entries, indexed by triggers with
 *  Swedish stemming and a GIN index. One statement does all of it, so that
 *  what a caller may see is decided in the SQL itself and no filter can
 *  forget it: signed evaluations for everyone (imported published ones are
 *  signed too), the others only for their team's members and for admins;
 *  evidence entries, whatever the status, only for the evaluation's team
 *  and admins (the one rule of EvidenceList: interview notes name people).
 *
 *  The query goes through websearch_to_tsquery, which reads any text as a
 *  search-box query and never fails on syntax: quotes, operators and
 *  backslashes are words or nothing. What is left to refuse is an empty or
 *  over-long query and one without a single searchable word (only stop
 *  words or punctuation), each with a sentence saying so.
 *
 *  The search runs in one read-only transaction that plans it for the
 *  values at hand (plan_cache_mode, for this transaction only): the items
 *  matching the query are read once through the GIN index and the visible
 *  evaluations once (materialized CTEs), joined and filtered; only the
 *  returned hits get their area, score and highlight.
 *
 *  Hits are ranked with ts_rank_cd (cover density: the closer the query's
 *  words stand, the higher), normalised by the item's length (flag 1) so
 *  that a long summary that repeats a word does not bury a short item that
 *  says exactly that; ties go to the newer evaluation. Highlights come from
 *  ts_headline, computed for the returned hits only, with U+0002/U+0003
 *  around each matched word (removed from the text first, so they cannot be
 *  confused with it). Each hit carries its area's consensus score in that
 *  evaluation (good examples matter most where the score was high).
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "evaluation.h"
#include "municipality.h"
#include "rpc.h"
#include "util.h"

#define QUERY_MAX     500 /* characters */
#define LIMIT_DEFAULT 20
#define LIMIT_MAX     200

/* The year of an evaluation: its label's leading year, else its period's. */
#define SQL_YEAR                                                                                   \
    "coalesce(substring(e.label FROM '^[0-9]{4}'), substring(e.period FROM '^[0-9]{4}'))::int"

const kp_stmt kp_search_stmts[] = {
    /* What the query becomes, and how many words are left to search for. */
    {"search_parse", "SELECT numnode(q), q::text"
                     " FROM websearch_to_tsquery('swedish'::regconfig, $1) AS q"},
    {"search_question_known", "SELECT 1 FROM framework_questions WHERE code = $1 LIMIT 1"},
    {"search_custom_plans", "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"},
    /* $1 query, $2 caller, $3 caller is admin, $4 kind, $5 area, $6 question
     * code, $7 municipality id, $8 from year, $9 to year, $10 rows. */
    {"search",
     "WITH q AS MATERIALIZED (SELECT websearch_to_tsquery('swedish'::regconfig, $1) AS tsq),"
     /* every match, ranked: only keys and the rank, never the text (a
      * common word matches thousands of items; only the hits returned
      * need their text, read again by id at the end) */
     " m AS MATERIALIZED ("
     "  SELECT i.id, i.evaluation_id, i.area_number, i.kind, i.position, i.evidence_id,"
     "   ts_rank_cd(i.tsv, q.tsq, 1) AS rank"
     "  FROM search_items i, q WHERE i.tsv @@ q.tsq),"
     /* the evaluations the caller may see, within the filters */
     " v AS MATERIALIZED ("
     "  SELECT e.id, e.framework_id, " SQL_YEAR " AS year,"
     /* evidence (interview notes name people) is for the team and admins
      * only, as in EvidenceList, whatever the evaluation's status */
     "   ($3::boolean OR EXISTS (SELECT 1 FROM evaluation_members x"
     "    WHERE x.evaluation_id = e.id AND x.user_id = $2::bigint AND x.role <> 'contact'))"
     "    AS team,"
     "   (SELECT fa.number FROM framework_questions fq JOIN framework_areas fa"
     "    ON fa.id = fq.area_id WHERE fq.framework_id = e.framework_id AND fq.code = $6)"
     "    AS question_area"
     "  FROM evaluations e"
     "  WHERE (e.status = 'signed' OR $3::boolean OR EXISTS (SELECT 1 FROM evaluation_members x"
     "         WHERE x.evaluation_id = e.id AND x.user_id = $2::bigint"
     "         AND x.role <> 'contact'))"
     "   AND NOT e.practice" /* calibration exercises: copies, never examples */
     "   AND ($7::bigint IS NULL OR e.municipality_id = $7)"
     "   AND ($8::int IS NULL OR " SQL_YEAR " >= $8)"
     "   AND ($9::int IS NULL OR " SQL_YEAR " <= $9)),"
     /* the evidence the area or question filter keeps (none without one) */
     " ev AS MATERIALIZED ("
     "  SELECT DISTINCT x.evidence_id FROM evidence_questions x"
     "  JOIN framework_questions fq ON fq.id = x.question_id"
     "  JOIN framework_areas fa ON fa.id = fq.area_id"
     "  WHERE ($5::int IS NOT NULL OR $6::text IS NOT NULL)"
     "   AND ($5::int IS NULL OR fa.number = $5) AND ($6::text IS NULL OR fq.code = $6)),"
     " hits AS ("
     "  SELECT i.id, i.evaluation_id, v.framework_id, v.year, v.question_area, i.area_number,"
     "   i.kind, i.position, i.evidence_id, i.rank"
     "  FROM m i JOIN v ON v.id = i.evaluation_id"
     "  LEFT JOIN ev ON ev.evidence_id = i.evidence_id"
     "  WHERE ($4::text IS NULL OR i.kind = $4) AND (i.kind <> 'evidence' OR v.team)"
     "   AND (($5::int IS NULL AND $6::text IS NULL) OR CASE WHEN i.kind <> 'evidence'"
     "    THEN ($5::int IS NULL OR i.area_number = $5)"
     "     AND ($6::text IS NULL OR i.area_number = v.question_area)"
     "    ELSE ev.evidence_id IS NOT NULL END)"
     "  ORDER BY i.rank DESC, v.year DESC NULLS LAST, i.evaluation_id DESC, i.area_number,"
     "   i.kind, i.position, i.evidence_id"
     "  LIMIT $10::int)"
     " SELECT h.evaluation_id, m.name, e.label, coalesce(h.year, 0), e.period, e.status,"
     "  coalesce(e.source, ''), f.code, coalesce(an.number, 0), coalesce(fa.title, ''),"
     "  h.kind, h.position, coalesce(h.evidence_id, 0),"
     "  coalesce((SELECT json_agg(fq.code ORDER BY fq.id)::text FROM evidence_questions x"
     "   JOIN framework_questions fq ON fq.id = x.question_id"
     "   WHERE x.evidence_id = h.evidence_id), '[]'),"
     "  si.text,"
     "  CASE WHEN length(si.text) <= 400"
     "   THEN ts_headline('swedish'::regconfig, translate(si.text, E'\\x02\\x03', '  '), q.tsq,"
     "    E'StartSel=\\x02, StopSel=\\x03, HighlightAll=true')"
     "   ELSE ts_headline('swedish'::regconfig, translate(si.text, E'\\x02\\x03', '  '), q.tsq,"
     "    E'StartSel=\\x02, StopSel=\\x03, MaxFragments=3, MinWords=8, MaxWords=25,"
     " FragmentDelimiter=\" … \"') END,"
     "  h.rank, coalesce(sc.points, 0), coalesce((fa.max * 100)::bigint, 0),"
     "  coalesce(sc.scored, 0), coalesce(sc.questions, 0)"
     " FROM hits h JOIN search_items si ON si.id = h.id CROSS JOIN q"
     " JOIN evaluations e ON e.id = h.evaluation_id"
     " JOIN municipalities m ON m.id = e.municipality_id"
     " JOIN frameworks f ON f.id = e.framework_id"
     /* the hit's area: its text's; for evidence, the one asked for, else its
      * first linked question's */
     " CROSS JOIN LATERAL (SELECT CASE WHEN h.kind <> 'evidence' THEN h.area_number"
     "  ELSE coalesce($5::int, h.question_area,"
     "   (SELECT min(fa.number) FROM evidence_questions x"
     "    JOIN framework_questions fq ON fq.id = x.question_id"
     "    JOIN framework_areas fa ON fa.id = fq.area_id"
     "    WHERE x.evidence_id = h.evidence_id)) END AS number) an"
     " LEFT JOIN framework_areas fa ON fa.framework_id = h.framework_id AND fa.number = an.number"
     /* the area's score as the report shows it: its questions' shown (whole,
      * half up) points summed, not the exact sum (docs/reports.md) */
     " LEFT JOIN LATERAL (SELECT (coalesce(sum(round(cs.points)), 0) * 100)::bigint AS points,"
     "   count(cs.question_id) AS scored, count(*) AS questions"
     "  FROM framework_questions fq LEFT JOIN consensus_scores cs"
     "   ON cs.question_id = fq.id AND cs.evaluation_id = h.evaluation_id"
     "  WHERE fq.area_id = fa.id) sc ON true"
     " ORDER BY h.rank DESC, h.year DESC NULLS LAST, h.evaluation_id DESC, h.area_number,"
     "  h.kind, h.position, h.evidence_id"},
    {NULL, NULL},
};

static const char *s_or_null(const char *s)
{
    return s && *s ? s : NULL;
}

/* Characters (not bytes) of UTF-8 text (valid: the wire layer checked). */
static size_t s_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

static int s_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

/* Checks the request's fields; sets *rows (limit + 1: one more tells `more`). */
static int s_check(kp_req *r, const Kompass__V1__SearchRequest *in, int *rows)
{
    if (s_blank(in->query))
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "the search query is empty: give words to search for");
    size_t n = s_chars(in->query);
    if (n > QUERY_MAX)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "the search query is %zu characters long; at most %d are allowed", n,
                           QUERY_MAX);
    if (*in->kind && strcmp(in->kind, "strengths") && strcmp(in->kind, "improvements") &&
        strcmp(in->kind, "summary") && strcmp(in->kind, "evidence"))
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "kind must be strengths, improvements, summary or evidence, not '%s'",
                           kp_arena_printf(r->arena, "%.40s", in->kind));
    if (in->area < 0 || in->area > 99)
        return kp_req_fail(r, KP_BAD_REQUEST, "area must be 1 to 99 (or 0 for any), not %d",
                           (int)in->area);
    if (strlen(in->question) > 16)
        return kp_req_fail(r, KP_BAD_REQUEST, "a question code is at most 16 characters (\"1.4\")");
    if (strlen(in->municipality) > 200)
        return kp_req_fail(r, KP_BAD_REQUEST, "a municipality name is at most 100 characters");
    if ((in->from_year && (in->from_year < 1900 || in->from_year > 2200)) ||
        (in->to_year && (in->to_year < 1900 || in->to_year > 2200)))
        return kp_req_fail(r, KP_BAD_REQUEST, "years must be 1900 to 2200 (or 0 for any)");
    if (in->from_year && in->to_year && in->from_year > in->to_year)
        return kp_req_fail(r, KP_BAD_REQUEST, "from year %d is after to year %d",
                           (int)in->from_year, (int)in->to_year);
    if (in->limit < 0 || in->limit > LIMIT_MAX)
        return kp_req_fail(r, KP_BAD_REQUEST, "limit must be 1 to %d (0: %d), not %d", LIMIT_MAX,
                           LIMIT_DEFAULT, (int)in->limit);
    *rows = (in->limit ? in->limit : LIMIT_DEFAULT) + 1;
    return KP_OK;
}

/* The municipality's id into *id (its name as people read it, or an id). */
static int s_municipality(kp_req *r, const char *m, const char **id)
{
    int64_t mid = 0;
    const char *stored;
    int rc = kp_municipality_find(r, m, 1, &mid, &stored);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "finding the municipality");
    if (!mid) return kp_req_fail(r, KP_NOT_FOUND, "no municipality '%s'", m);
    *id = kp_db_param_i64(r->arena, mid);
    return KP_OK;
}

static Kompass__V1__SearchHit *s_hit(kp_req *r, PGresult *res, int i)
{
    Kompass__V1__SearchHit *h = kp_arena_alloc(r->arena, sizeof *h);
    kompass__v1__search_hit__init(h);
    h->evaluation_id = kp_db_i64(res, i, 0);
    h->municipality = kp_db_str(r->arena, res, i, 1);
    h->label = kp_db_str(r->arena, res, i, 2);
    h->year = (int32_t)kp_db_i64(res, i, 3);
    h->period = kp_db_str(r->arena, res, i, 4);
    h->status = kp_db_str(r->arena, res, i, 5);
    h->source = kp_db_str(r->arena, res, i, 6);
    h->framework = kp_db_str(r->arena, res, i, 7);
    h->area = (int32_t)kp_db_i64(res, i, 8);
    h->area_title = kp_db_str(r->arena, res, i, 9);
    h->kind = kp_db_str(r->arena, res, i, 10);
    h->position = (int32_t)kp_db_i64(res, i, 11);
    h->evidence_id = kp_db_i64(res, i, 12);
    json_t *qs = json_loads(PQgetvalue(res, i, 13), 0, NULL);
    h->n_questions = json_array_size(qs);
    h->questions = kp_arena_alloc(r->arena, sizeof(char *) * (h->n_questions + 1));
    for (size_t k = 0; k < h->n_questions; k++)
        h->questions[k] = kp_arena_strdup(r->arena, json_string_value(json_array_get(qs, k)));
    json_decref(qs);
    h->text = kp_db_str(r->arena, res, i, 14);
    h->highlight = kp_db_str(r->arena, res, i, 15);
    h->rank = strtod(PQgetvalue(res, i, 16), NULL);
    h->area_score_centi = kp_db_i64(res, i, 17);
    h->area_max_centi = kp_db_i64(res, i, 18);
    h->area_scored = (int32_t)kp_db_i64(res, i, 19);
    h->area_questions = (int32_t)kp_db_i64(res, i, 20);
    return h;
}

/* Checks the query and the filters that name something (inside the
 * transaction); the municipality's id into *municipality. */
static int s_resolve(kp_req *r, const Kompass__V1__SearchRequest *in, const char **parsed,
                     const char **municipality)
{
    PGresult *res;
    const char *pq[1] = {in->query};
    int rc = kp_req_call(r, "search_parse", 1, pq, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "reading the search query");
    int words = (int)kp_db_i64(res, 0, 0);
    *parsed = kp_db_str(r->arena, res, 0, 1);
    if (words == 0)
        return kp_req_fail(r, KP_BAD_REQUEST,
                           "the search query has no words to search for (only common words such "
                           "as 'och', 'att', or punctuation)");
    *municipality = NULL;
    if (*in->municipality) {
        rc = s_municipality(r, in->municipality, municipality);
        if (rc != KP_OK) return rc;
    }
    if (*in->question) {
        const char *p[1] = {in->question};
        rc = kp_req_call(r, "search_question_known", 1, p, &res);
        if (rc != KP_OK) return kp_req_db_fail(r, rc, "finding the question");
        int known = PQntuples(res) > 0;
        if (!known)
            return kp_req_fail(r, KP_NOT_FOUND, "no framework has a question '%s'", in->question);
    }
    /* A plan for these values: a generic plan knows neither how many items
     * match nor which filters are NULL, and guesses one row everywhere. */
    rc = kp_req_call(r, "search_custom_plans", 0, NULL, &res);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "searching");
    return KP_OK;
}

int kp_rpc_search(kp_req *r)
{
    const Kompass__V1__SearchRequest *in = r->msg->search;
    int rows = LIMIT_DEFAULT + 1;
    int rc = s_check(r, in, &rows);
    if (rc != KP_OK) return rc;

    rc = kp_db_begin_read(r->db);
    if (rc != KP_OK) return kp_req_db_fail(r, rc, "searching");
    const char *parsed = NULL, *municipality = NULL;
    PGresult *res = NULL;
    rc = s_resolve(r, in, &parsed, &municipality);
    if (rc == KP_OK) {
        const char *p[10] = {in->query,
                             kp_db_param_i64(r->arena, r->user_id),
                             kp_is_admin(r) ? "true" : "false",
                             s_or_null(in->kind),
                             in->area ? kp_db_param_i64(r->arena, in->area) : NULL,
                             s_or_null(in->question),
                             municipality,
                             in->from_year ? kp_db_param_i64(r->arena, in->from_year) : NULL,
                             in->to_year ? kp_db_param_i64(r->arena, in->to_year) : NULL,
                             kp_db_param_i64(r->arena, rows)};
        rc = kp_req_call(r, "search", 10, p, &res);
        if (rc != KP_OK) rc = kp_req_db_fail(r, rc, "searching");
    }
    rc = kp_req_end_tx(r, rc, "searching");
    if (rc != KP_OK) {
        return rc;
    }
    int n = PQntuples(res);
    Kompass__V1__SearchResponse *out = kp_arena_alloc(r->arena, sizeof *out);
    kompass__v1__search_response__init(out);
    out->more = n >= rows;
    out->n_hits = (size_t)(out->more ? rows - 1 : n);
    out->hits = kp_arena_alloc(r->arena, sizeof(void *) * (out->n_hits + 1));
    for (size_t i = 0; i < out->n_hits; i++)
        out->hits[i] = s_hit(r, res, (int)i);
    out->parsed = (char *)parsed;
    r->resp->body_case = KOMPASS__V1__RESPONSE__BODY_SEARCH;
    r->resp->search = out;
    return KP_OK;
}
