/*  statements: every named prepared statement of every module is prepared on
 *  each connection under its name, so names must be unique across modules,
 *  and SQL must use parameters (checked where a reader would miss it). */
#include <criterion/criterion.h>
#include <string.h>

#include "statements.h"

Test(statements, names_are_unique_across_modules)
{
    for (int a = 0; kp_statement_sets[a]; a++)
        for (const kp_stmt *x = kp_statement_sets[a]; x->name; x++)
            for (int b = a; kp_statement_sets[b]; b++)
                for (const kp_stmt *y = b == a ? x + 1 : kp_statement_sets[b]; y->name; y++)
                    cr_assert(strcmp(x->name, y->name) != 0, "statement %s is defined twice",
                              x->name);
}

Test(statements, every_statement_has_sql)
{
    int n = 0;
    for (int a = 0; kp_statement_sets[a]; a++)
        for (const kp_stmt *x = kp_statement_sets[a]; x->name; x++, n++)
            cr_assert(x->sql && *x->sql, "statement %s has no SQL", x->name);
    cr_assert_gt(n, 10);
}
