/*  followup: the follow-up ("uppföljning") of the previous round's
 *  improvement opportunities (docs/reports.md, "Follow-up").
 *
 *  A Kompass-made evaluation (not imported, not a calibration exercise)
 *  follows up its previous round: evaluation_previous() of
 *  sql/015_followup.sql, the latest earlier signed evaluation of the
 *  municipality on the same framework, the one whose series the report
 *  shows. Its items are that evaluation's `improvements`, area by area, in
 *  their order: item "3.2" is area 3's second. The team gives each a status
 *  (done, started, remains) and a note; followup_statuses keeps them by the
 *  opportunity's text, so an assessment stays with what it assessed. The
 *  items with their statuses are part of the signed content (content.c).
 *
 *  Once signed, the round followed up is the one the signed content names
 *  ("followup":{"of":ID}), whatever is imported or re-dated later; an
 *  evaluation signed before Kompass had follow-ups (no "followup" in its
 *  signed content) has none until it is reopened, so that its content and
 *  report stay what was signed.
 */
#ifndef KP_FOLLOWUP_H
#define KP_FOLLOWUP_H

#include <stdint.h>

#include "req.h"

typedef struct {
    int64_t previous_id;        /* 0: no previous round */
    const char *previous_label; /* "Västerås stad 2014" */
    Kompass__V1__FollowupItem **items;
    size_t n_items;
} kp_followup;

/* Evaluation eval_id's follow-up (in the arena). KP_OK, or the failure set
 * on r. */
int kp_followup_read(kp_req *r, int64_t eval_id, kp_followup *out);

/* The status's Swedish word in the report: genomfört, påbörjat, kvarstår;
 * "" (not assessed): "ej bedömd". */
const char *kp_followup_status_sv(const char *status);

extern const kp_stmt kp_followup_stmts[];

#endif
