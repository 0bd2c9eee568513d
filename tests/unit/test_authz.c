/*  authz: the table's consistency, its policy, and the decision rules,
 *  including the evaluation-relation dimension on synthetic rows (no real
 *  RPC is about an evaluation yet). The integration matrix test
 *  (test_authz_matrix.c) checks the running server against the table. */
#include <criterion/criterion.h>
#include <string.h>

#include "authz.h"
#include "dispatch.h"

#define RQ(field) KOMPASS__V1__REQUEST__BODY_##field

Test(authz, table_handlers_and_protocol_agree)
{
    char err[512];
    cr_assert_eq(kp_dispatch_verify(err, sizeof err), 0, "%s", err);
    size_t n_rules, n_rpcs;
    kp_authz_table(&n_rules);
    kp_dispatch_table(&n_rpcs);
    cr_assert_eq(n_rules, n_rpcs);
}

Test(authz, only_ping_and_login_need_no_session)
{
    size_t n;
    const kp_authz_rule *rules = kp_authz_table(&n);
    for (size_t i = 0; i < n; i++) {
        int open = rules[i].body_case == RQ(PING) || rules[i].body_case == RQ(LOGIN);
        cr_assert_eq(rules[i].session, !open, "%s", rules[i].name);
    }
}

Test(authz, user_administration_is_for_admins_only)
{
    int cases[] = {RQ(USER_ADD), RQ(USER_LIST), RQ(USER_SET_ACTIVE), RQ(USER_RESET_PASSWORD)};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const kp_authz_rule *r = kp_authz_find(cases[i]);
        cr_assert(r);
        cr_assert_eq(r->roles, KP_ROLE_ADMIN, "%s", r->name);
        cr_assert_eq(kp_authz_decide(r, KP_ROLE_ADMIN, KP_REL_NONE), KP_OK);
        cr_assert_eq(kp_authz_decide(r, KP_ROLE_EVALUATOR, KP_REL_NONE), KP_DENIED);
        cr_assert_eq(kp_authz_decide(r, KP_ROLE_OBSERVER, KP_REL_NONE), KP_DENIED);
    }
}

Test(authz, everyone_manages_their_own_session)
{
    int cases[] = {RQ(LOGOUT), RQ(WHO_AM_I), RQ(CHANGE_PASSWORD), RQ(REAUTHENTICATE)};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const kp_authz_rule *r = kp_authz_find(cases[i]);
        cr_assert_eq(r->roles, KP_ROLES_ALL, "%s", r->name);
    }
}

Test(authz, unknown_rpc_has_no_row)
{
    cr_assert_null(kp_authz_find(9999));
    cr_assert_null(kp_authz_find(0));
}

/* An evaluation-scoped row, borrowing UserAddRequest.login as the field
 * holding the evaluation id. */
static const kp_authz_rule s_scores = {RQ(USER_ADD),
                                       "user_add",
                                       1,
                                       KP_ROLE_ADMIN | KP_ROLE_EVALUATOR,
                                       KP_RELBIT(KP_REL_LEAD) | KP_RELBIT(KP_REL_PEER),
                                       "login",
                                       1};

Test(authz, team_members_by_relation)
{
    cr_assert_eq(kp_authz_decide(&s_scores, KP_ROLE_EVALUATOR, KP_REL_LEAD), KP_OK);
    cr_assert_eq(kp_authz_decide(&s_scores, KP_ROLE_EVALUATOR, KP_REL_PEER), KP_OK);
    cr_assert_eq(kp_authz_decide(&s_scores, KP_ROLE_EVALUATOR, KP_REL_OBSERVER), KP_DENIED);
    /* A global observer on the team may see that it exists but not write. */
    cr_assert_eq(kp_authz_decide(&s_scores, KP_ROLE_OBSERVER, KP_REL_OBSERVER), KP_DENIED);
    cr_assert_eq(kp_authz_decide(&s_scores, KP_ROLE_OBSERVER, KP_REL_PEER), KP_DENIED);
}

Test(authz, outsiders_learn_nothing)
{
    cr_assert_eq(kp_authz_decide(&s_scores, KP_ROLE_EVALUATOR, KP_REL_NONE), KP_NOT_FOUND);
    cr_assert_eq(kp_authz_decide(&s_scores, KP_ROLE_OBSERVER, KP_REL_NONE), KP_NOT_FOUND);
}

Test(authz, admins_reach_every_evaluation_when_the_row_lets_them)
{
    cr_assert_eq(kp_authz_decide(&s_scores, KP_ROLE_ADMIN, KP_REL_NONE), KP_OK);
    kp_authz_rule team_only = s_scores;
    team_only.roles = KP_ROLE_EVALUATOR;
    /* not NOT_FOUND: an admin may know that every evaluation exists */
    cr_assert_eq(kp_authz_decide(&team_only, KP_ROLE_ADMIN, KP_REL_NONE), KP_DENIED);
    cr_assert_eq(kp_authz_decide(&team_only, KP_ROLE_ADMIN, KP_REL_LEAD), KP_DENIED);
}

Test(authz, no_session_rows_are_open)
{
    const kp_authz_rule *ping = kp_authz_find(RQ(PING));
    cr_assert_eq(kp_authz_decide(ping, 0, KP_REL_NONE), KP_OK);
}

Test(authz, verifier_rejects_broken_rows)
{
    char err[512];
    kp_authz_rule ok[] = {s_scores};
    cr_assert_eq(kp_authz_verify_rules(ok, 1, err, sizeof err), 0, "%s", err);

    kp_authz_rule wrong_name[] = {{RQ(PING), "pong", 0, 0, 0, NULL, 0}};
    cr_assert_eq(kp_authz_verify_rules(wrong_name, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "does not match request body field"), "%s", err);

    kp_authz_rule twice[] = {{RQ(PING), "ping", 0, 0, 0, NULL, 0},
                             {RQ(PING), "ping", 0, 0, 0, NULL, 0}};
    cr_assert_eq(kp_authz_verify_rules(twice, 2, err, sizeof err), -1);
    cr_assert(strstr(err, "two rows"), "%s", err);

    kp_authz_rule nobody[] = {{RQ(LOGOUT), "logout", 1, 0, 0, NULL, 1}};
    cr_assert_eq(kp_authz_verify_rules(nobody, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "lets no role call it"), "%s", err);

    kp_authz_rule no_field[] = {s_scores};
    no_field[0].evaluation = "evaluation_id";
    cr_assert_eq(kp_authz_verify_rules(no_field, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "no single string or integer field 'evaluation_id'"), "%s", err);

    kp_authz_rule bool_field[] = {s_scores};
    bool_field[0].body_case = RQ(USER_SET_ACTIVE);
    bool_field[0].name = "user_set_active";
    bool_field[0].evaluation = "active";
    cr_assert_eq(kp_authz_verify_rules(bool_field, 1, err, sizeof err), -1);
}

Test(authz, role_texts)
{
    cr_assert_eq(kp_authz_role_bit("admin"), KP_ROLE_ADMIN);
    cr_assert_eq(kp_authz_role_bit("evaluator"), KP_ROLE_EVALUATOR);
    cr_assert_eq(kp_authz_role_bit("observer"), KP_ROLE_OBSERVER);
    cr_assert_eq(kp_authz_role_bit("root"), 0);
    kp_arena *a = kp_arena_new();
    cr_assert_str_eq(kp_authz_roles_text(a, KP_ROLE_ADMIN), "admin");
    cr_assert_str_eq(kp_authz_roles_text(a, KP_ROLE_ADMIN | KP_ROLE_OBSERVER), "admin or observer");
    cr_assert_str_eq(kp_authz_roles_text(a, KP_ROLES_ALL), "admin, evaluator or observer");
    kp_arena_destroy(&a);
}
