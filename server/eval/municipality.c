/*  municipality: finding a municipality by its name as people read it
 *  (municipality.h). */
#include "municipality.h"

#include <stdlib.h>
#include <string.h>

#include "namekey.h"

const kp_stmt kp_municipality_stmts[] = {
    {"municipality_names", "SELECT id, name FROM municipalities ORDER BY id"},
    {"municipality_lock", "SELECT pg_advisory_xact_lock(hashtext('kompass.municipalities'))"},
    {NULL, NULL},
};

int kp_municipality_find(kp_req *r, const char *name, int by_id, int64_t *id, const char **stored)
{
    *id = 0;
    *stored = NULL;
    size_t digits = strspn(name, "0123456789");
    int64_t want = by_id && digits > 0 && digits <= 18 && !name[digits] ? atoll(name) : 0;
    PGresult *res;
    int rc = kp_req_call(r, "municipality_names", 0, NULL, &res);
    if (rc != KP_OK) return rc;
    const char *key = kp_name_key(r->arena, name);
    int n = PQntuples(res);
    int64_t by_number = 0;
    const char *by_number_name = NULL;
    for (int i = 0; i < n && !*id; i++) {
        if (strcmp(kp_name_key(r->arena, PQgetvalue(res, i, 1)), key) == 0) {
            *id = kp_db_i64(res, i, 0);
            *stored = kp_db_str(r->arena, res, i, 1);
        } else if (want && kp_db_i64(res, i, 0) == want) {
            by_number = want;
            by_number_name = kp_db_str(r->arena, res, i, 1);
        }
    }
    if (!*id && by_number) { /* a name wins over an id that looks the same */
        *id = by_number;
        *stored = by_number_name;
    }
    return KP_OK;
}

int kp_municipality_lock(kp_req *r)
{
    PGresult *res;
    int rc = kp_req_call(r, "municipality_lock", 0, NULL, &res);
    return rc;
}

int kp_municipality_group_ok(const char *code)
{
    static const char *const groups[] = {"A1", "A2", "B3", "B4", "B5", "C6", "C7", "C8", "C9"};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (strcmp(code, groups[i]) == 0) return 1;
    return 0;
}
