/*  framework: a framework file is checked whole, every problem named with
 *  where it is. */
#include <criterion/criterion.h>
#include <string.h>

#include "framework.h"
#include "util.h"

static kp_arena *a;
static void setup(void)
{
    a = kp_arena_new();
}
static void teardown(void)
{
    kp_arena_destroy(&a);
}
TestSuite(framework, .init = setup, .fini = teardown);

static int check(const char *text, char **problems)
{
    json_t *doc;
    int n = kp_framework_check(a, text, problems, &doc);
    json_decref(doc);
    return n;
}

#define VALID_AREA_1                                                                               \
    "{\"number\":1,\"title\":\"Demokrati\",\"max\":100,\"questions\":["                            \
    "{\"code\":\"1.1\",\"text\":\"A?\",\"max\":40},{\"code\":\"1.2\",\"text\":\"B?\",\"max\":60}]" \
    "}"

Test(framework, shipped_kommunkompassen_2015_is_valid)
{
    char *text = kp_read_file(KP_TEST_DATA "/kommunkompassen-2015.json", 1 << 20, NULL);
    cr_assert(text);
    /* The shipped file has no year; the migration adds it. */
    json_t *doc = json_loads(text, 0, NULL);
    json_object_set_new(json_object_get(doc, "framework"), "year", json_integer(2015));
    char *fixed = json_dumps(doc, 0);
    char *problems;
    cr_assert_eq(check(fixed, &problems), 0, "%s", problems);
    free(fixed);
    json_decref(doc);
    free(text);
}

Test(framework, minimal_valid)
{
    char *p;
    cr_assert_eq(check("{\"framework\":{\"code\":\"T1\",\"name\":\"Test\",\"year\":2020},"
                       "\"areas\":[" VALID_AREA_1 "]}",
                       &p),
                 0, "%s", p);
}

Test(framework, not_json_says_where)
{
    char *p;
    cr_assert_eq(check("{\"framework\": {\n  \"code\": }", &p), 1);
    cr_assert(strstr(p, "not valid JSON at line 2"), "%s", p);
}

Test(framework, every_problem_is_listed_with_its_place)
{
    char *p;
    int n = check("{\"framework\":{\"code\":\"bad code!\",\"name\":\"\",\"year\":1800,\"x\":1},"
                  "\"areas\":[" VALID_AREA_1 ","
                  "{\"number\":1,\"title\":\"Dup\",\"max\":50,\"questions\":["
                  "{\"code\":\"1.1\",\"text\":\"Dup code\",\"max\":30},"
                  "{\"code\":\"2.2\",\"text\":\"\",\"max\":-5},"
                  "{\"code\":\"1.3\",\"text\":\"C\",\"max\":10.555}]},"
                  "{\"number\":3,\"title\":\"Sum\",\"max\":100,\"questions\":["
                  "{\"code\":\"3.1\",\"text\":\"S\",\"max\":90}]}]}",
                  &p);
    const char *expected[] = {
        "framework: unknown key 'x'",
        "framework.code: 'bad code!' may hold only",
        "framework.name: must not be empty",
        "framework.year: must be a year",
        "areas[1].number: area 1 appears twice",
        "areas[1].questions[0].code: question 1.1 appears twice",
        "areas[1].questions[1].code: 2.2 does not belong to area 1",
        "areas[1].questions[1].text: must not be empty",
        "areas[1].questions[1].max: must be more than 0",
        "areas[1].questions[2].max: 10.555 has more than two decimals",
        "areas[2]: its questions' maxima sum to 90, not to the area's max 100",
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        cr_assert(strstr(p, expected[i]), "missing '%s' in:\n%s", expected[i], p);
    cr_assert_eq(n, (int)(sizeof expected / sizeof expected[0]), "%d problems:\n%s", n, p);
}

Test(framework, structure_errors)
{
    char *p;
    cr_assert_eq(check("[]", &p), 1);
    cr_assert(strstr(p, "must be an object"), "%s", p);
    cr_assert_gt(
        check("{\"framework\":{\"code\":\"X\",\"name\":\"n\",\"year\":2020},\"areas\":[]}", &p), 0);
    cr_assert(strstr(p, "areas: must be a non-empty list"), "%s", p);
    cr_assert_gt(
        check("{\"areas\":[{\"number\":1,\"title\":\"t\",\"max\":1,\"questions\":[]}]}", &p), 0);
    cr_assert(strstr(p, "framework: missing"), "%s", p);
    cr_assert(strstr(p, "areas[0].questions: must be a non-empty list"), "%s", p);
    cr_assert_gt(
        check("{\"framework\":{\"code\":\"X\",\"name\":\"n\",\"year\":2020},\"areas\":[7]}", &p),
        0);
    cr_assert(strstr(p, "areas[0]: must be an object"), "%s", p);
}

Test(framework, duplicate_json_keys_are_refused)
{
    char *p;
    cr_assert_eq(check("{\"framework\":{\"code\":\"A\",\"code\":\"B\"}}", &p), 1);
    cr_assert(strstr(p, "duplicate"), "%s", p);
}

Test(framework, problems_are_capped)
{
    /* 80 questions each with an empty text: 50 listed, then a count. */
    char *doc = strdup("{\"framework\":{\"code\":\"C\",\"name\":\"n\",\"year\":2020},\"areas\":[{"
                       "\"number\":1,\"title\":\"t\",\"max\":80,\"questions\":[");
    for (int i = 0; i < 80; i++) {
        char q[96];
        snprintf(q, sizeof q, "%s{\"code\":\"1.%d\",\"text\":\"\",\"max\":1}", i ? "," : "", i);
        doc = realloc(doc, strlen(doc) + strlen(q) + 8);
        strcat(doc, q);
    }
    strcat(doc, "]}]}");
    char *p;
    cr_assert_eq(check(doc, &p), 80);
    cr_assert(strstr(p, "... and 30 more"), "%s", p);
    free(doc);
}
