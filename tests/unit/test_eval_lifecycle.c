/*  The lifecycle of an evaluation: its states and the one table of moves
 *  (server/lifecycle.h, docs/signoff.md), without a server. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lifecycle.h"

/* The moves docs/signoff.md draws, with whether a calibration exercise
 * (never reviewed, signed or reopened) may make them. */
static const struct {
    kp_eval_state from, to;
    int practice;
} s_allowed[] = {
    {KP_EVAL_DRAFT, KP_EVAL_SCORING, 1},      {KP_EVAL_SCORING, KP_EVAL_CONSENSUS, 1},
    {KP_EVAL_CONSENSUS, KP_EVAL_REVIEW, 0},   {KP_EVAL_REVIEW, KP_EVAL_CONSENSUS, 1},
    {KP_EVAL_REVIEW, KP_EVAL_SIGNED, 0},      {KP_EVAL_SIGNED, KP_EVAL_REOPENED, 0},
    {KP_EVAL_REOPENED, KP_EVAL_CONSENSUS, 1}, {KP_EVAL_REOPENED, KP_EVAL_REVIEW, 0},
};
#define N_ALLOWED (sizeof s_allowed / sizeof *s_allowed)

static int s_listed(kp_eval_state from, kp_eval_state to, int *practice)
{
    for (size_t i = 0; i < N_ALLOWED; i++)
        if (s_allowed[i].from == from && s_allowed[i].to == to) {
            *practice = s_allowed[i].practice;
            return 1;
        }
    return 0;
}

Test(lifecycle, every_state_has_the_name_the_schema_and_the_protocol_use)
{
    const char *names[KP_EVAL_STATES] = {"draft",  "scoring", "consensus",
                                         "review", "signed",  "reopened"};
    for (int s = 0; s < KP_EVAL_STATES; s++) {
        cr_assert_str_eq(kp_eval_state_name((kp_eval_state)s), names[s]);
        kp_eval_state back;
        cr_assert_eq(kp_eval_state_parse(names[s], &back), 0);
        cr_assert_eq(back, (kp_eval_state)s);
    }
    kp_eval_state x;
    cr_assert_eq(kp_eval_state_parse("signd", &x), -1);
    cr_assert_eq(kp_eval_state_parse("", &x), -1);
    cr_assert_eq(kp_eval_state_parse("Signed", &x), -1);
}

Test(lifecycle, every_move_docs_signoff_draws_is_allowed)
{
    cr_assert_eq(kp_eval_n_moves, N_ALLOWED);
    for (size_t i = 0; i < N_ALLOWED; i++) {
        const kp_eval_move *m = kp_eval_move_find(s_allowed[i].from, s_allowed[i].to, 0);
        cr_assert_not_null(m, "%s -> %s", kp_eval_state_name(s_allowed[i].from),
                           kp_eval_state_name(s_allowed[i].to));
        cr_assert_eq(m->from, s_allowed[i].from);
        cr_assert_eq(m->to, s_allowed[i].to);
        cr_assert(m->step && *m->step);
    }
}

Test(lifecycle, every_other_move_is_refused_whoever_asks)
{
    for (int from = 0; from < KP_EVAL_STATES; from++)
        for (int to = 0; to < KP_EVAL_STATES; to++) {
            int practice_ok = 0;
            if (s_listed((kp_eval_state)from, (kp_eval_state)to, &practice_ok)) continue;
            for (int practice = 0; practice <= 1; practice++)
                cr_assert_null(kp_eval_move_find((kp_eval_state)from, (kp_eval_state)to, practice),
                               "%s -> %s (practice %d) is allowed",
                               kp_eval_state_name((kp_eval_state)from),
                               kp_eval_state_name((kp_eval_state)to), practice);
        }
}

Test(lifecycle, staying_in_a_state_is_not_a_move)
{
    for (int s = 0; s < KP_EVAL_STATES; s++)
        cr_assert_null(kp_eval_move_find((kp_eval_state)s, (kp_eval_state)s, 0));
}

Test(lifecycle, a_calibration_exercise_is_never_reviewed_signed_or_reopened)
{
    for (size_t i = 0; i < N_ALLOWED; i++) {
        kp_eval_state to = s_allowed[i].to;
        const kp_eval_move *m = kp_eval_move_find(s_allowed[i].from, to, 1);
        int never = to == KP_EVAL_REVIEW || to == KP_EVAL_SIGNED || to == KP_EVAL_REOPENED;
        cr_assert_eq(m != NULL, !never, "practice %s -> %s", kp_eval_state_name(s_allowed[i].from),
                     kp_eval_state_name(to));
        cr_assert_eq(m != NULL, s_allowed[i].practice);
    }
}

/* The schema's own table (sql/005_evaluations.sql), which its trigger
 * enforces: the same rows as kp_eval_moves, no more, no fewer. */
Test(lifecycle, the_table_is_the_schemas_evaluation_transitions)
{
    FILE *f = fopen(KP_SQL_DIR "/005_evaluations.sql", "r");
    cr_assert_not_null(f);
    char line[512];
    int in = 0, rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "INSERT INTO evaluation_transitions VALUES")) {
            in = 1;
            continue;
        }
        if (!in) continue;
        char from[32], to[32];
        if (sscanf(line, " ('%31[a-z]', '%31[a-z]')", from, to) == 2) {
            kp_eval_state a, b;
            cr_assert_eq(kp_eval_state_parse(from, &a), 0, "%s", from);
            cr_assert_eq(kp_eval_state_parse(to, &b), 0, "%s", to);
            cr_assert_not_null(kp_eval_move_find(a, b, 0), "schema: %s -> %s", from, to);
            rows++;
        }
        if (strchr(line, ';')) break;
    }
    fclose(f);
    cr_assert_eq((size_t)rows, kp_eval_n_moves);
}

Test(lifecycle, complete_means_every_question_agreed_every_area_approved_nothing_open)
{
    char *open[] = {"7.1"};
    kp_eval_progress p = {.questions = 3, .resolved = 3, .areas = 2, .approved = 2};
    cr_assert(kp_eval_complete(&p));
    p.resolved = 2;
    cr_assert_not(kp_eval_complete(&p));
    p.resolved = 3;
    p.approved = 1;
    cr_assert_not(kp_eval_complete(&p));
    p.approved = 2;
    p.open = open;
    p.n_open = 1;
    cr_assert_not(kp_eval_complete(&p));
}

Test(lifecycle, a_change_moves_consensus_to_review_when_complete_and_review_back_when_not)
{
    kp_eval_state to;
    cr_assert_eq(kp_eval_advance_to(KP_EVAL_CONSENSUS, 1, &to), 1);
    cr_assert_eq(to, KP_EVAL_REVIEW);
    cr_assert_eq(kp_eval_advance_to(KP_EVAL_REOPENED, 1, &to), 1);
    cr_assert_eq(to, KP_EVAL_REVIEW);
    cr_assert_eq(kp_eval_advance_to(KP_EVAL_REVIEW, 0, &to), 1);
    cr_assert_eq(to, KP_EVAL_CONSENSUS);
    /* everything else stays where it is */
    cr_assert_eq(kp_eval_advance_to(KP_EVAL_CONSENSUS, 0, &to), 0);
    cr_assert_eq(kp_eval_advance_to(KP_EVAL_REOPENED, 0, &to), 0);
    cr_assert_eq(kp_eval_advance_to(KP_EVAL_REVIEW, 1, &to), 0);
    for (int complete = 0; complete <= 1; complete++) {
        cr_assert_eq(kp_eval_advance_to(KP_EVAL_DRAFT, complete, &to), 0);
        cr_assert_eq(kp_eval_advance_to(KP_EVAL_SCORING, complete, &to), 0);
        cr_assert_eq(kp_eval_advance_to(KP_EVAL_SIGNED, complete, &to), 0);
    }
    /* and every move it makes is in the table */
    for (int s = 0; s < KP_EVAL_STATES; s++)
        for (int complete = 0; complete <= 1; complete++)
            if (kp_eval_advance_to((kp_eval_state)s, complete, &to))
                cr_assert_not_null(kp_eval_move_find((kp_eval_state)s, to, 0));
}
