/*  backup: a password in kompassd's connection string reaches pg_dump
 *  through its environment, never its command line: the string is rewritten
 *  without it, whatever form it came in. */
#include <criterion/criterion.h>
#include <string.h>

#include "backup.h"

static void s_split(const char *conninfo, char *out, char *password)
{
    char err[300];
    cr_assert_eq(kp_backup_split_password(conninfo, out, 2048, password, 256, err, sizeof err), 0,
                 "%s", err);
}

Test(backup_conninfo, keyword_form)
{
    char out[2048], pw[256];
    s_split("host=db.example port=5432 dbname=kompass user=kompass password=s3cr3t "
            "target_session_attrs=read-write",
            out, pw);
    cr_assert_str_eq(pw, "s3cr3t");
    cr_assert_null(strstr(out, "s3cr3t"), "%s", out);
    cr_assert(strstr(out, "host='db.example'"), "%s", out);
    cr_assert(strstr(out, "target_session_attrs='read-write'"), "%s", out);
}

Test(backup_conninfo, uri_form_and_quoting)
{
    char out[2048], pw[256];
    s_split("postgresql://kompass:p%40ss@db1:5432,db2:5432/kompass?application_name=it's", out, pw);
    cr_assert_str_eq(pw, "p@ss");
    cr_assert_null(strstr(out, "p@ss"), "%s", out);
    cr_assert(strstr(out, "host='db1,db2'"), "%s", out);
    cr_assert(strstr(out, "application_name='it\\'s'"), "%s", out);
}

Test(backup_conninfo, no_password_and_bad_strings)
{
    char out[2048], pw[256], err[300];
    s_split("host=/tmp/x dbname=k", out, pw);
    cr_assert_str_eq(pw, "");
    cr_assert_eq(kp_backup_split_password("host=x nonsense", out, sizeof out, pw, sizeof pw, err,
                                          sizeof err),
                 -1);
    cr_assert(strstr(err, "cannot be read"), "%s", err);
}

Test(backup_conninfo, ids_are_hex_and_nothing_else)
{
    cr_assert(kp_backup_id_valid("0123456789abcdef0123456789abcdef"));
    cr_assert(!kp_backup_id_valid("0123456789ABCDEF0123456789abcdef"));
    cr_assert(!kp_backup_id_valid("../../../../etc/passwd/../../../x"));
    cr_assert(!kp_backup_id_valid(""));
    cr_assert(!kp_backup_id_valid(NULL));
}
