/*  authz: who may call which RPC. The one place to read to know.
 *
 *  Every request passes kp_authz_check() before its handler runs (the
 *  dispatcher calls it, server/dispatch.c); an RPC without a row in the
 *  table is refused, whatever its handler would do: deny by default.
 *
 *  The rows are expanded from the one table of RPCs, server/rpcs.def, whose
 *  columns `who`, `relations`, `evaluation` and `writes` they are. A row
 *  says, for one RPC:
 *    - session:    whether it needs a live session (Ping and Login do not:
 *                  then anyone may call it and the other columns are unused);
 *    - roles:      which global roles may call it (admin, evaluator,
 *                  observer);
 *    - relations:  for an RPC about one evaluation, which relations of the
 *                  caller to that evaluation may call it: team lead, team
 *                  peer, team observer, the municipality's contact; 0 for
 *                  RPCs not about an evaluation;
 *    - evaluation: for those, the field of the request body that holds the
 *                  evaluation's id;
 *    - writes:     whether it changes stored data; refusals of such RPCs are
 *                  recorded in the security log.
 *
 *  The decision, in order:
 *    1. no session needed: allowed;
 *    2. no session, or not a live one: UNAUTHENTICATED;
 *    3. about an evaluation: the caller's relation to it is resolved
 *       (kp_authz_relation). An evaluation that does not exist, or, for
 *       anyone but an admin, one whose team the caller is not on: NOT_FOUND,
 *       with the same sentence, so that an outsider cannot learn that it
 *       exists;
 *    4. the caller's global role not in roles: DENIED;
 *    5. about an evaluation, the caller not an admin, and their relation not
 *       in relations: DENIED;
 *    6. allowed.
 *  So admins reach every evaluation through their role (when the row lets
 *  admins call it at all); everyone else through their place on its team.
 *
 *  tests/integration/test_authz_matrix.c calls every RPC of the table as
 *  every role in every relation and checks each outcome against the rules
 *  above; a new RPC without a sample request there fails that test.
 */
#ifndef KP_AUTHZ_H
#define KP_AUTHZ_H

#include <stddef.h>

#include "req.h"

/* Global roles, as bits of a row's `roles`. */
#define KP_ROLE_ADMIN     (1u << 0)
#define KP_ROLE_EVALUATOR (1u << 1)
#define KP_ROLE_OBSERVER  (1u << 2)
#define KP_ROLES_ALL      (KP_ROLE_ADMIN | KP_ROLE_EVALUATOR | KP_ROLE_OBSERVER)

/* A caller's relation to one evaluation. */
typedef enum {
    KP_REL_NONE = 0, /* not on its team */
    KP_REL_LEAD,     /* the team's lead (the SKL consultant) */
    KP_REL_PEER,     /* a peer evaluator on the team */
    KP_REL_OBSERVER, /* a team observer (read-only) */
    KP_REL_CONTACT,  /* the evaluated municipality's contact person: sees the
                        evaluation and its status, and the draft report once
                        its factual review is open; leaves the review's
                        remarks; nothing else (docs/signoff.md) */
} kp_relation;

#define KP_REL_COUNT 5
/* Relations as bits of a row's `relations`. */
#define KP_RELBIT(rel) (1u << (rel))

typedef struct {
    int body_case;          /* Kompass__V1__Request__BodyCase */
    const char *name;       /* the body field in kompass.proto: "user_add" */
    int session;            /* 1: needs a live session */
    unsigned roles;         /* KP_ROLE_* bits that may call it */
    unsigned relations;     /* KP_RELBIT()s that may call it; 0: not about an evaluation */
    const char *evaluation; /* field of the body with the evaluation id, when relations */
    int writes;             /* changes stored data */
} kp_authz_rule;

/* The table: *n rows. */
const kp_authz_rule *kp_authz_table(size_t *n);

/* The row for a body case, or NULL (then: refused). */
const kp_authz_rule *kp_authz_find(int body_case);

/* The role bit of a role name ("admin" -> KP_ROLE_ADMIN), 0 if unknown. */
unsigned kp_authz_role_bit(const char *role);

/* Steps 4-6 of the decision, for a caller with a live session, role_bit
 * their global role, rel their relation (KP_REL_NONE when the RPC is not
 * about an evaluation): KP_OK, KP_DENIED or KP_NOT_FOUND. */
int kp_authz_decide(const kp_authz_rule *rule, unsigned role_bit, kp_relation rel);

/* The whole check for r (steps 1-6): resolves the session into r's identity
 * fields, then decides. KP_OK, or the refusal with its sentence in r->resp
 * (recorded in the security log for RPCs that write), or a database
 * status. */
int kp_authz_check(kp_req *r, const kp_authz_rule *rule);

/* The evaluation id a request names in its rule's evaluation field, as text
 * in the arena; "" when the rule is not about one evaluation or the field is
 * unset. Pure: no database. */
const char *kp_authz_evaluation_of(kp_arena *arena, const kp_request *msg,
                                   const kp_authz_rule *rule);

/* The caller's (r->user_id) relation to the evaluation with this id, from
 * its team (evaluation_members): KP_OK with *rel (KP_REL_NONE when not on
 * its team), KP_NOT_FOUND when there is no such evaluation, or a database
 * status. Also sets r->eval_seen, _version, _status, _blind and _locks from
 * the same row (KP_EVAL_STAMP_COLUMNS). */
int kp_authz_relation(kp_req *r, const char *evaluation_id, kp_relation *rel);

/* The columns of evaluation e (an alias in the query) that tell whether a
 * kept snapshot of it is still true (snapcache.h): version, status, blind
 * phase (blind scoring in draft or scoring), and a digest of its section
 * locks (each lock's key, holder, token and times; '' when none). The
 * relation query reads them with the relation, the snapshot with its data. */
#define KP_EVAL_STAMP_COLUMNS                                                                      \
    "e.version, e.status, e.blind AND e.status IN ('draft', 'scoring'),"                           \
    " coalesce((SELECT md5(string_agg(concat_ws(',', l.area_number, l.section, l.holder_id,"       \
    "   l.token, l.acquired_at, l.expires_at), ';' ORDER BY l.area_number, l.section))"            \
    "   FROM section_locks l WHERE l.evaluation_id = e.id), '')"

/* Checks the table against the protocol: each row's name is its body
 * field's, no body case twice, a row with a session lets some role call it,
 * an evaluation field exists in the body message and holds one string or
 * integer. 0, or -1 with err. */
int kp_authz_verify(char *err, size_t errlen);

/* The same checks for any table (for tests). */
int kp_authz_verify_rules(const kp_authz_rule *rules, size_t n, char *err, size_t errlen);

/* "admin", "admin or evaluator", "admin, evaluator or observer" */
const char *kp_authz_roles_text(kp_arena *arena, unsigned roles);

extern const char *const kp_relation_names[KP_REL_COUNT];

#endif
