/*  identity rules: passwords, logins, names; the throttle's waits. */
#include <criterion/criterion.h>
#include <string.h>

#include "identity.h"
#include "roles.h"
#include "password.h"
#include "throttle.h"

Test(password, at_least_twelve_characters_counted_as_characters)
{
    cr_assert_not_null(kp_password_problem(""));
    cr_assert_not_null(kp_password_problem("elevenchars"));
    cr_assert_null(kp_password_problem("twelve chars"));
    /* 12 characters, 24 bytes */
    cr_assert_null(kp_password_problem("åäöåäöåäöåäö"));
    /* 11 characters, 22 bytes: too short, whatever the bytes */
    cr_assert_str_eq(kp_password_problem("åäöåäöåäöåä"),
                     "the password is shorter than 12 characters");
    char big[1100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_str_eq(kp_password_problem(big), "the password is longer than 1024 bytes");
}

Test(password, argon2id_hash_verifies_and_is_salted)
{
    cr_assert_eq(sodium_init() >= 0, 1);
    char h1[KP_PASSWORD_HASH_MAX], h2[KP_PASSWORD_HASH_MAX];
    cr_assert_eq(kp_password_hash("correct horse battery", h1), 0);
    cr_assert_eq(kp_password_hash("correct horse battery", h2), 0);
    cr_assert_eq(strncmp(h1, "$argon2id$", 10), 0, "%s", h1);
    cr_assert_str_neq(h1, h2, "two hashes of one password are equal: no salt");
    cr_assert(kp_password_verify(h1, "correct horse battery"));
    cr_assert(!kp_password_verify(h1, "correct horse batterY"));
    cr_assert(!kp_password_needs_rehash(h1));
    char pw[] = "wipe me please";
    kp_password_wipe(pw);
    for (size_t i = 0; i < sizeof pw - 1; i++)
        cr_assert_eq(pw[i], 0);
}

Test(identity, login_names)
{
    cr_assert_null(kp_identity_login_problem("ewa"));
    cr_assert_null(kp_identity_login_problem("anna.eklund-2"));
    cr_assert_not_null(kp_identity_login_problem(""));
    cr_assert_not_null(kp_identity_login_problem("a"));
    cr_assert_not_null(kp_identity_login_problem("Ewa"));
    cr_assert_not_null(kp_identity_login_problem("1ewa"));
    cr_assert_not_null(kp_identity_login_problem("ewa luvö"));
    cr_assert_not_null(kp_identity_login_problem("abcdefghijabcdefghijabcdefghijabc")); /* 33 */
    kp_arena *a = kp_arena_new();
    cr_assert_str_eq(kp_identity_login_fold(a, "Ewa.LUVO"), "ewa.luvo");
    cr_assert_null(kp_identity_text_problem("Ewa Luvö", "full name", a));
    cr_assert_null(kp_identity_text_problem("Borås Stad", "organisation", a));
    cr_assert_str_eq(kp_identity_text_problem("", "full name", a), "the full name is empty");
    cr_assert_str_eq(kp_identity_text_problem("   ", "full name", a), "the full name is empty");
    cr_assert_str_eq(kp_identity_text_problem("a\nb", "organisation", a),
                     "the organisation has a control character");
    kp_arena_destroy(&a);
}

Test(identity, roles_by_name_and_value)
{
    for (int v = 1; v <= 3; v++)
        cr_assert_eq(kp_role_value(kp_role_name(v)), v);
    cr_assert_null(kp_role_name(0));
    cr_assert_eq(kp_role_value("superuser"), 0);
    cr_assert_eq(kp_role_value(NULL), 0);
    cr_assert_null(kp_role_name(4));
    cr_assert_str_eq(kp_role_name(KOMPASS__V1__ROLE__ROLE_ADMIN), "admin");
    cr_assert_str_eq(kp_role_name(KOMPASS__V1__ROLE__ROLE_EVALUATOR), "evaluator");
    cr_assert_str_eq(kp_role_name(KOMPASS__V1__ROLE__ROLE_OBSERVER), "observer");
}

Test(throttle, slowed_more_and_more_but_never_locked_out)
{
    int slow = KP_THROTTLE_LOGIN_SLOW, max = KP_THROTTLE_LOGIN_MAX;
    cr_assert_eq(kp_throttle_wait(0, slow, max), 0);
    cr_assert_eq(kp_throttle_wait(2, slow, max), 0);
    cr_assert_eq(kp_throttle_wait(3, slow, max), 2);
    cr_assert_eq(kp_throttle_wait(4, slow, max), 4);
    cr_assert_eq(kp_throttle_wait(5, slow, max), 8);
    cr_assert_eq(kp_throttle_wait(6, slow, max), 16);
    cr_assert_eq(kp_throttle_wait(7, slow, max), 30);
    /* however many failures: a named user waits at most 30 s, an address 60 s */
    for (int n = 7; n < 100000; n = n * 3 + 1)
        cr_assert_eq(kp_throttle_wait(n, slow, max), 30, "%d", n);
    cr_assert_eq(kp_throttle_wait(9, KP_THROTTLE_ADDR_SLOW, KP_THROTTLE_ADDR_MAX), 0);
    cr_assert_eq(kp_throttle_wait(10, KP_THROTTLE_ADDR_SLOW, KP_THROTTLE_ADDR_MAX), 2);
    cr_assert_eq(kp_throttle_wait(1000000, KP_THROTTLE_ADDR_SLOW, KP_THROTTLE_ADDR_MAX), 60);
    cr_assert_eq(KP_THROTTLE_LOGIN_MAX, 30);
    cr_assert_eq(KP_THROTTLE_ADDR_MAX, 60);
}
