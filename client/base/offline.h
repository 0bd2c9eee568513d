/*  offline: an evaluation's working copy and journal, for days without the
 *  server (`kompass checkout`, `status`, `sync`; README "A field day").
 *
 *  Both live in $XDG_DATA_HOME/kompass/offline/LOGIN@SERVER/ (else
 *  ~/.local/share/kompass/...; directory 0700, files 0600; SERVER as for
 *  drafts, client/draft.h):
 *
 *    ID.json     the copy: what the caller may see of evaluation ID, as the
 *                server answered EvalShow, ScoreList, TextShow and
 *                EvidenceList at checkout or at the last sync (each answer
 *                kept whole, base64 of its protobuf, beside readable
 *                metadata). Written atomically (temporary file, fsync,
 *                rename, fsync of the directory).
 *    ID.journal  the changes made while the server could not be reached, one
 *                JSON object a line, append-only, each line fsynced before
 *                the command says anything:
 *                  {"change":N,"id":REQUEST-ID,"at_us":..,"base":VERSION,
 *                   "rpc":"score_set","what":"score 1.4 of ewa = 25",
 *                   "request":BASE64}
 *                  {"done":REQUEST-ID,"outcome":"sent"|"kept_theirs"|
 *                   "replaced","versions":{"score/1.4":12}}
 *                The request is the very Request the command would have sent
 *                (without the session token), with its request id: `sync`
 *                sends it as it is, so that a change that did reach the
 *                server (its answer lost) is answered from the server's
 *                request_log, not done twice.
 *
 *  kp_cli_call_quiet() asks kp_offline_answer() when no server answered: a
 *  read of a checked-out evaluation is answered from the copy (with the
 *  caller's own waiting changes shown in it), marked "offline copy of
 *  version V, from TIME"; a write goes to the journal. A damaged journal
 *  line (not JSON, truncated) is reported with its file and line number and
 *  left where it is; the other lines count as ever.
 */
#ifndef KP_OFFLINE_H
#define KP_OFFLINE_H

#include <jansson.h>
#include <limits.h>

#include "cli.h"

/* One change of a journal, with what became of it. */
typedef struct {
    int line;            /* its line in the journal, from 1 */
    int64_t seq;         /* "change" */
    const char *id;      /* its request id */
    int64_t at_us;       /* when it was made */
    int64_t base;        /* the copy's version it was made on */
    const char *rpc;     /* "score_set", "text_save", "evidence_add" */
    const char *what;    /* for people: "score 1.4 of ewa = 25" */
    kp_request *req;     /* as it goes to the server */
    const char *outcome; /* NULL while waiting; else the done line's */
    json_t *versions;    /* the done line's versions (borrowed), or NULL */
} kp_offline_change;

/* A journal as read. */
typedef struct {
    char path[PATH_MAX];
    kp_offline_change *changes; /* in the arena */
    size_t n;
    size_t damaged; /* lines that could not be read (reported when read) */
    json_t *lines;  /* the parsed lines (owns what changes borrow) */
} kp_offline_journal;

/* The offline directory of login at the server of cli into out (not
 * created). 0, or -1 with err. */
int kp_offline_dir(kp_cli *cli, const char *login, char *out, size_t len, char *err, size_t errlen);

/* The copy of evaluation id (a new reference), or NULL when it is not
 * checked out by login at this server. */
json_t *kp_offline_copy_load(kp_cli *cli, const char *login, int64_t id);

/* Writes the copy of evaluation id durably. 0, or -1 with err. */
int kp_offline_copy_save(kp_cli *cli, const char *login, int64_t id, json_t *copy, char *err,
                         size_t errlen);

/* Removes the copy and journal of evaluation id. 0, or -1 with err. */
int kp_offline_copy_drop(kp_cli *cli, const char *login, int64_t id, char *err, size_t errlen);

/* The answer kept under key ("score_list", ...) in copy, decoded in the
 * arena; NULL when there is none or it cannot be read. */
kp_response *kp_offline_copy_answer(kp_cli *cli, json_t *copy, const char *key);

/* Puts resp under key in copy (base64 of its protobuf). */
void kp_offline_copy_put(kp_cli *cli, json_t *copy, const char *key, const kp_response *resp);

/* Reads the journal of evaluation id (none: an empty one). Damaged lines are
 * reported on stderr (file and line) when report is set, and counted. 0, or
 * -1 with err when the file cannot be read at all. */
int kp_offline_journal_read(kp_cli *cli, const char *login, int64_t id, int report,
                            kp_offline_journal *j, char *err, size_t errlen);

/* Frees what j holds (not the arena's). */
void kp_offline_journal_free(kp_offline_journal *j);

/* How many of j's changes wait. */
size_t kp_offline_waiting(const kp_offline_journal *j);

/* Appends line (steals it) to the journal of evaluation id, durably (one
 * write, fsync; the directory too when the file is new). A damaged last line
 * without its newline is ended first, so the new line is one of its own.
 * 0, or -1 with err. */
int kp_offline_journal_append(kp_cli *cli, const char *login, int64_t id, json_t *line, char *err,
                              size_t errlen);

/* A new change line for req (made on base), for the journal. */
json_t *kp_offline_change_line(kp_cli *cli, kp_request *req, int64_t seq, int64_t base,
                               const char *what);

/* What req changes, for people ("score 1.4 of ewa = 25"). */
const char *kp_offline_what(kp_cli *cli, const kp_request *req);

/* The evaluation a request is about, and whether it is one that works
 * offline (a read answered from the copy, or a write kept in the journal). */
int64_t kp_offline_eval_of(const kp_request *req, int *write);

/* When no server answered req: 1 when it was answered from the copy (*resp,
 * *status KP_OK) or kept in the journal (*status KP_CLI_KEPT_OFFLINE, said on
 * stdout), 0 when req has nothing to do with a checked-out evaluation (or the
 * journal cannot be written: *status KP_INTERNAL, *error why). */
int kp_offline_answer(kp_cli *cli, kp_request *req, kp_response **resp, int *status,
                      const char **error);

#endif
