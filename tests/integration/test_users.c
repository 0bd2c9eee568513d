/*  User administration through the CLI: what an administrator can do, what
 *  bad input gets (a sentence, the right exit code, nothing written), and
 *  what everyone else gets. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define EWA_PW "Ewa-Luvo-secret-2017"

static th_server *s;

static void setup(void)
{
    s = th_server_start(NULL);
}

static void teardown(void)
{
    th_server_free(&s);
}

TestSuite(users, .init = setup, .fini = teardown, .timeout = 120);

/* Runs a command as the admin; exit code, *out and *err. */
static int s_admin(const char *input, char **out, char **err, const char *a1, const char *a2,
                   const char *a3, const char *a4, const char *a5, const char *a6, const char *a7,
                   const char *a8, const char *a9)
{
    return th_cli_as(s, th_admin(s), input, out, err, a1, a2, a3, a4, a5, a6, a7, a8, a9, NULL);
}

Test(users, admin_adds_and_lists_users)
{
    char *out = NULL, *err = NULL;
    cr_assert_eq(s_admin(EWA_PW "\n", &out, &err, "user", "add", "ewa", "--name", "Ewa Luvö",
                         "--org", "Borås Stad", "--role", "evaluator --password-stdin"),
                 2, "a glued argument is one argument");
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, th_admin(s), EWA_PW "\n", &out, &err, "user", "add", "ewa", "--name",
                           "Ewa Luvö", "--org", "Borås Stad", "--role", "evaluator",
                           "--password-stdin", NULL),
                 0, "%s", err);
    cr_assert_str_eq(out, "added ewa (Ewa Luvö, Borås Stad, evaluator)\n");
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, th_admin(s), "Observer-password-1\n", &out, &err, "--json", "user",
                           "add", "kontakt", "--name", "Kim Kontakt", "--org", "Västerås stad",
                           "--role", "observer", "--password-stdin", NULL),
                 0, "%s", err);
    json_t *doc = json_loads(out, 0, NULL);
    cr_assert(doc, "%s", out);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "role")), "observer");
    cr_assert(json_is_true(json_object_get(doc, "active")));
    cr_assert(json_is_null(json_object_get(doc, "last_login")));
    json_decref(doc);
    free(out);
    free(err);

    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "list", NULL), 0, "%s", err);
    cr_assert(strstr(out, "LOGIN"), "%s", out);
    char *admin = strstr(out, "\nadmin "), *ewa = strstr(out, "\newa "),
         *kontakt = strstr(out, "\nkontakt ");
    cr_assert(admin && ewa && kontakt && admin < ewa && ewa < kontakt, "by login:\n%s", out);
    cr_assert(strstr(ewa, "evaluator") && strstr(ewa, "Borås Stad") && strstr(ewa, "never"), "%s",
              out);
    free(out);
    free(err);

    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "--json", "user", "list", NULL), 0);
    doc = json_loads(out, 0, NULL);
    cr_assert_eq(json_array_size(json_object_get(doc, "users")), 3, "%s", out);
    json_decref(doc);
    free(out);
    free(err);
    /* the new user can log in */
    char home[300];
    th_home(s, "ewa", home, sizeof home);
    th_login(s, home, "ewa", EWA_PW);
}

Test(users, bad_input_is_named_and_writes_nothing)
{
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char *before = th_db_fingerprint(s);
    struct {
        const char *login, *name, *org, *role, *password;
        int exit;
        const char *says;
    } cases[] = {
        {"abcdefghijabcdefghijabcdefghijabc", "E", "O", "evaluator", EWA_PW, 1,
         "a login is 2 to 32 characters long"},
        {"Ewa", "E", "O", "evaluator", EWA_PW, 1, "a login starts with a letter a-z"},
        {"ewa luvo", "E", "O", "evaluator", EWA_PW, 1, "only the characters a-z, 0-9"},
        {"9lives", "E", "O", "evaluator", EWA_PW, 1, "starts with a letter"},
        {"anna", "", "O", "evaluator", EWA_PW, 1, "the full name is empty"},
        {"anna", "Anna", "  ", "evaluator", EWA_PW, 1, "'user_add.organisation' is blank"},
        {"anna", "Anna", "SKL", "superuser", EWA_PW, 2, "--role must be admin, evaluator or"},
        {"anna", "Anna", "SKL", "evaluator", "too-short", 1, "shorter than 12 characters"},
        {"ewa", "Ewa Again", "SKL", "evaluator", EWA_PW, 3, "there is already a user 'ewa'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char input[200], *out = NULL, *err = NULL;
        snprintf(input, sizeof input, "%s\n", cases[i].password);
        int rc = th_cli_as(s, th_admin(s), input, &out, &err, "user", "add", cases[i].login,
                           "--name", cases[i].name, "--org", cases[i].org, "--role", cases[i].role,
                           "--password-stdin", NULL);
        cr_assert_eq(rc, cases[i].exit, "case %zu: exit %d: %s", i, rc, err);
        cr_assert(strstr(err, cases[i].says), "case %zu: '%s' does not say '%s'", i, err,
                  cases[i].says);
        free(out);
        free(err);
    }
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "add", "anna", NULL), 2);
    cr_assert(strstr(err, "--name, --org and --role are needed"), "%s", err);
    free(out);
    free(err);
    /* user edit: each refusal says what, and nothing is written */
    const char *const edits[][8] = {
        {"user", "edit", "ewa", NULL},
        {"user", "edit", "nobody", "--name", "N", NULL},
        {"user", "edit", "ewa", "--name", "Ewa\u200bLuvö", NULL},
        {"user", "edit", "ewa", "--org", "   ", NULL},
        {"user", "edit", "ewa", "--role", "admin", NULL},
    };
    const char *const edit_says[] = {"give --name, --org or both", "no user 'nobody'",
                                     "U+200B ZERO WIDTH SPACE", "is blank",
                                     "a role is not changed by edit"};
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        int rc = th_cli_as(s, th_admin(s), NULL, &out, &err, edits[i][0], edits[i][1], edits[i][2],
                           edits[i][3], edits[i][4], NULL);
        cr_assert_neq(rc, 0, "edit %zu accepted", i);
        cr_assert(strstr(err, edit_says[i]), "edit %zu: '%s' does not say '%s'", i, err,
                  edit_says[i]);
        free(out);
        free(err);
    }
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "frobnicate", NULL), 2);
    cr_assert(strstr(err, "unknown sub-command 'frobnicate'"), "%s", err);
    free(out);
    free(err);
    char *after = th_db_fingerprint(s);
    cr_assert_str_eq(before, after, "refused input wrote to the database");
    free(before);
    free(after);
}

Test(users, only_admins_administer_users)
{
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    th_user_add(s, "kontakt", "observer", "Observer-password-1");
    char ewa[300], kontakt[300];
    th_home(s, "ewa", ewa, sizeof ewa);
    th_home(s, "kontakt", kontakt, sizeof kontakt);
    th_login(s, ewa, "ewa", EWA_PW);
    th_login(s, kontakt, "kontakt", "Observer-password-1");
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, ewa, NULL, &out, &err, "user", "list", NULL), 4);
    cr_assert(strstr(err, "DENIED: user_list is for admin; you are evaluator"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, kontakt, "Another-password-1\n", &out, &err, "user", "add", "mallory",
                           "--name", "M", "--org", "X", "--role", "admin", "--password-stdin",
                           NULL),
                 4);
    cr_assert(strstr(err, "DENIED: user_add is for admin; you are observer"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, &out, &err, "user", "disable", "admin", NULL), 4);
    free(out);
    free(err);
    /* refused writes are in the security log, with who tried */
    char *n = th_sql(s, "SELECT count(*) FROM security_log WHERE kind = 'denied' AND "
                        "((rpc = 'user_add' AND login = 'kontakt') OR "
                        "(rpc = 'user_set_active' AND login = 'ewa'))");
    cr_assert_str_eq(n, "2");
    free(n);
    /* reads are refused too, but not recorded */
    n = th_sql(s, "SELECT count(*) FROM security_log WHERE rpc = 'user_list'");
    cr_assert_str_eq(n, "0");
    free(n);
}

Test(users, disable_enable_and_their_limits)
{
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char *out = NULL, *err = NULL;
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "disable", "admin", NULL), 1);
    cr_assert(strstr(err, "INVALID_STATE: you cannot disable your own account"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "disable", "nobody", NULL), 5);
    cr_assert(strstr(err, "NOT_FOUND: no user 'nobody'"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "disable", "ewa", NULL), 0);
    cr_assert_str_eq(out, "disabled ewa; 0 sessions ended\n");
    free(out);
    free(err);
    /* again: nothing to do, still fine (a retry must not fail) */
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "disable", "ewa", NULL), 0);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "--json", "user", "list", NULL), 0);
    cr_assert(strstr(out, "\"active\": false"), "%s", out);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "enable", "ewa", NULL), 0);
    cr_assert_str_eq(out, "enabled ewa\n");
    free(out);
    free(err);

    /* A second admin may disable the first; the first then cannot act. */
    th_user_add(s, "chris", "admin", "Christine-Feuk-2017");
    char chris[300];
    th_home(s, "chris", chris, sizeof chris);
    th_login(s, chris, "chris", "Christine-Feuk-2017");
    cr_assert_eq(th_cli_as(s, chris, NULL, &out, &err, "user", "disable", "admin", NULL), 0, "%s",
                 err);
    cr_assert_str_eq(out, "disabled admin; 1 session ended\n");
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, th_admin(s), NULL, &out, &err, "user", "list", NULL), 4);
    cr_assert(strstr(err, "the account was disabled"), "%s", err);
    free(out);
    free(err);
}

Test(users, reset_password_ends_the_users_sessions)
{
    th_user_add(s, "ewa", "evaluator", EWA_PW);
    char ewa[300], *out = NULL, *err = NULL;
    th_home(s, "ewa", ewa, sizeof ewa);
    th_login(s, ewa, "ewa", EWA_PW);
    cr_assert_eq(th_cli_as(s, th_admin(s), "short\n", &out, &err, "user", "reset-password", "ewa",
                           "--password-stdin", NULL),
                 1);
    cr_assert(strstr(err, "shorter than 12 characters"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, th_admin(s), "Reset-by-admin-2024\n", &out, &err, "user",
                           "reset-password", "ewa", "--password-stdin", NULL),
                 0, "%s", err);
    cr_assert_str_eq(out, "password of ewa reset; 1 session ended\n");
    free(out);
    free(err);
    cr_assert_eq(th_cli_as(s, ewa, NULL, &out, &err, "whoami", NULL), 4);
    cr_assert(strstr(err, "the password was reset"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(
        th_cli_as(s, ewa, EWA_PW "\n", &out, &err, "login", "ewa", "--password-stdin", NULL), 4);
    free(out);
    free(err);
    th_login(s, ewa, "ewa", "Reset-by-admin-2024");
    cr_assert_eq(th_cli_as(s, th_admin(s), "Reset-by-admin-2024\n", &out, &err, "user",
                           "reset-password", "nobody", "--password-stdin", NULL),
                 5);
    free(out);
    free(err);
}
