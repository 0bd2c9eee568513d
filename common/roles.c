/*  roles: the global roles' names (see roles.h). */
#include "roles.h"

#include <string.h>

#include "kompass.pb-c.h"

/* by protocol value: ROLE_ADMIN = 1, ROLE_EVALUATOR = 2, ROLE_OBSERVER = 3 */
static const char *const s_names[] = {NULL, "admin", "evaluator", "observer"};
#define N_NAMES (int)(sizeof s_names / sizeof *s_names)

const char *kp_role_name(int role)
{
    return role > 0 && role < N_NAMES ? s_names[role] : NULL;
}

int kp_role_value(const char *name)
{
    for (int v = 1; name && v < N_NAMES; v++)
        if (strcmp(s_names[v], name) == 0) return v;
    return KOMPASS__V1__ROLE__ROLE_UNSPECIFIED;
}
