/*  cmd_followup: `kompass followup ID` and `kompass followup set`, the
 *  follow-up of the previous round's improvement opportunities. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "seen.h"
#include "status.h"
#include "table.h"

const kp_command kp_followup_command = {
    "followup", kp_cmd_followup,
    "follow up the previous round's improvement opportunities: list, set",
    "usage: kompass followup ID\n"
    "       kompass followup set ID ITEM --status done|started|remains [--note T]\n"
    "                                    [--version N]\n"
    "\n"
    "A new evaluation of a municipality follows up what the previous round (the\n"
    "latest earlier signed evaluation of the municipality on the same framework,\n"
    "imported ones included: the one whose series the report shows) asked to\n"
    "improve. Its items are that round's improvement opportunities, area by area:\n"
    "item 3.2 is area 3's second. The lead and peers give each a status, done\n"
    "(genomfört), started (påbörjat) or remains (kvarstår), and a note; an item\n"
    "not set yet is 'not assessed' (ej bedömd), and the report says so.\n"
    "\n"
    "The report has them in \"Uppföljning av förbättringsmöjligheter från förra\n"
    "utvärderingen\", and they are part of the signed content: a change withdraws\n"
    "the area's text approval and the signatures given so far, and none is\n"
    "possible once the evaluation is signed.\n"
    "\n"
    "set sends the item's version as this client last showed it (kompass followup\n"
    "ID), or --version N, or the current one: a change made meanwhile is refused\n"
    "(CONFLICT, exit 3) and shown. Imported evaluations have no follow-up.\n"};

static const char *s_status_word(const char *status)
{
    if (!*status) return "not assessed";
    return status;
}

static json_t *s_item_json(kp_cli *cli, const Kompass__V1__FollowupItem *it)
{
    return json_pack("{s:s,s:i,s:s,s:s,s:o,s:s,s:I,s:o,s:o}", "item", it->item, "area", it->area,
                     "area_title", it->area_title, "text", it->text, "status",
                     *it->status ? json_string(it->status) : json_null(), "note", it->note,
                     "version", (json_int_t)it->version, "written_by",
                     *it->written_by ? json_string(it->written_by) : json_null(), "written_at",
                     it->written_at_us ? json_string(kp_cli_time(cli, it->written_at_us))
                                       : json_null());
}

static const char *s_key(kp_cli *cli, int64_t id, const char *item)
{
    return kp_arena_printf(cli->arena, "%lld/followup/%s", (long long)id, item);
}

static int s_list_call(kp_cli *cli, int64_t id, const Kompass__V1__FollowupListResponse **out)
{
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FollowupListRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__followup_list_request__init(b);
    b->evaluation_id = id;
    req->body_case = KOMPASS__V1__REQUEST__BODY_FOLLOWUP_LIST;
    req->followup_list = b;
    kp_response *resp;
    int rc = kp_cli_call(cli, req, &resp);
    if (rc) return rc;
    *out = resp->followup_list;
    return 0;
}

static int s_list(kp_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, &kp_followup_command, argc, argv, 1, NULL, pos, 1, 1, &n);
    if (rc || (rc = kp_args_id(cli, &kp_followup_command, "evaluation id", pos[0], &id))) return rc;
    const Kompass__V1__FollowupListResponse *l;
    if ((rc = s_list_call(cli, id, &l))) return rc;
    for (size_t i = 0; i < l->n_items; i++)
        kp_seen_put(cli, s_key(cli, id, l->items[i]->item), l->items[i]->version);
    if (cli->settings.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < l->n_items; i++)
            json_array_append_new(arr, s_item_json(cli, l->items[i]));
        kp_cli_json(
            cli,
            json_pack("{s:I,s:o,s:o,s:I,s:o}", "evaluation_id", (json_int_t)id, "previous_id",
                      l->previous_id ? json_integer(l->previous_id) : json_null(), "previous_label",
                      *l->previous_label ? json_string(l->previous_label) : json_null(), "version",
                      (json_int_t)l->version, "items", arr));
        return 0;
    }
    if (!l->previous_id) {
        printf("evaluation %lld has no previous round to follow up\n", (long long)id);
        return 0;
    }
    size_t open = 0;
    for (size_t i = 0; i < l->n_items; i++)
        open += !*l->items[i]->status;
    printf("Follow-up of %s's improvement opportunities: %zu item%s, %zu not assessed\n",
           l->previous_label, l->n_items, l->n_items == 1 ? "" : "s", open);
    if (l->n_items == 0) return 0;
    kp_table *t = kp_table_new(cli->arena, 6);
    kp_table_col(t, 0, "ITEM", 0);
    kp_table_col(t, 1, "AREA", 0);
    kp_table_col(t, 2, "TEXT", KP_TABLE_WRAP);
    kp_table_col(t, 3, "STATUS", 0);
    kp_table_col(t, 4, "NOTE", KP_TABLE_WRAP);
    kp_table_col(t, 5, "VERSION", KP_TABLE_RIGHT);
    for (size_t i = 0; i < l->n_items; i++) {
        const Kompass__V1__FollowupItem *it = l->items[i];
        kp_table_add(t, it->item);
        kp_table_add(t, kp_arena_printf(cli->arena, "%d %s", it->area, it->area_title));
        kp_table_add(t, it->text);
        kp_table_add(t, s_status_word(it->status));
        kp_table_add(t, it->note);
        kp_table_add(t, kp_arena_printf(cli->arena, "%lld", (long long)it->version));
    }
    kp_table_print(t, stdout, kp_table_width());
    return 0;
}

static int s_set(kp_cli *cli, int argc, char **argv)
{
    const kp_command *cmd = &kp_followup_command;
    kp_opt opts[] = {{"status", 1, NULL}, {"note", 1, NULL}, {"version", 1, NULL}, {0}};
    const char *pos[2];
    int n;
    int64_t id;
    int rc = kp_args_parse(cli, cmd, argc, argv, 2, opts, pos, 2, 2, &n);
    if (rc || (rc = kp_args_id(cli, cmd, "evaluation id", pos[0], &id))) return rc;
    const char *status = kp_args_get(opts, "status");
    if (!status) return kp_cli_usage(cli, cmd, "followup set needs --status done|started|remains");
    if (strcmp(status, "done") && strcmp(status, "started") && strcmp(status, "remains"))
        return kp_cli_usage(cli, cmd, "--status must be done, started or remains, not '%s'",
                            status);
    const char *note = kp_args_get(opts, "note");
    /* the version: as given, as last shown by this client, or the current one */
    int64_t version = kp_seen_get(cli, s_key(cli, id, pos[1]));
    int given = kp_args_version(cli, cmd, opts, &version);
    if (given < 0) return -given;
    if (version < 0) {
        const Kompass__V1__FollowupListResponse *l;
        if ((rc = s_list_call(cli, id, &l))) return rc;
        for (size_t i = 0; i < l->n_items && version < 0; i++)
            if (strcmp(l->items[i]->item, pos[1]) == 0) version = l->items[i]->version;
        if (version < 0) version = 0; /* the server names what is wrong */
    }
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__FollowupSetRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__followup_set_request__init(b);
    b->evaluation_id = id;
    b->item = (char *)pos[1];
    b->status = (char *)status;
    b->note = (char *)(note ? note : "");
    b->expected_version = version;
    req->body_case = KOMPASS__V1__REQUEST__BODY_FOLLOWUP_SET;
    req->followup_set = b;
    kp_response *resp = NULL;
    const char *error = NULL;
    int st = kp_cli_call_quiet(cli, req, &resp, &error);
    if (st != KP_OK) {
        rc = kp_cli_error(cli, st, "%s: %s", kp_status_name(st), error);
        if (st == KP_CONFLICT && resp && resp->followup_set && resp->followup_set->item &&
            !cli->settings.json) {
            const Kompass__V1__FollowupItem *it = resp->followup_set->item;
            fprintf(stderr,
                    "now: %s %s, note '%s' (version %lld by %s); show it with kompass "
                    "followup %lld\n",
                    it->item, s_status_word(it->status), it->note, (long long)it->version,
                    it->written_by, (long long)id);
        }
        return rc;
    }
    const Kompass__V1__FollowupItem *it = resp->followup_set->item;
    kp_seen_put(cli, s_key(cli, id, it->item), it->version);
    if (cli->settings.json) {
        json_t *j = s_item_json(cli, it);
        json_object_set_new(j, "evaluation_version",
                            json_integer((json_int_t)resp->followup_set->version));
        kp_cli_json(cli, j);
        return 0;
    }
    printf("follow-up item %s: %s (evaluation version %lld)\n", it->item, it->status,
           (long long)resp->followup_set->version);
    return 0;
}

int kp_cmd_followup(kp_cli *cli, int argc, char **argv)
{
    if (argc < 2) return kp_cli_usage(cli, &kp_followup_command, "followup needs an evaluation id");
    if (strcmp(argv[1], "set") == 0) return s_set(cli, argc, argv);
    return s_list(cli, argc, argv);
}
