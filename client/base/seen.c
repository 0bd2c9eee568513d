/*  seen: the versions this client has shown its user. */
#include "seen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static json_t *s_doc; /* loaded on first use */
static int s_dirty;

static void s_load(kp_cli *cli)
{
    if (s_doc) return;
    char path[1100];
    snprintf(path, sizeof path, "%s/seen.json", cli->settings.config_dir);
    s_doc = json_load_file(path, 0, NULL);
    if (!json_is_object(s_doc)) {
        json_decref(s_doc);
        s_doc = json_object();
    }
}

int64_t kp_seen_get(kp_cli *cli, const char *key)
{
    s_load(cli);
    json_t *v = json_object_get(s_doc, key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

void kp_seen_put(kp_cli *cli, const char *key, int64_t version)
{
    s_load(cli);
    json_object_set_new(s_doc, key, json_integer(version));
    s_dirty = 1;
}

void kp_seen_save(kp_cli *cli)
{
    if (!s_doc) return;
    if (s_dirty) {
        char path[1100];
        kp_mkdir_p(cli->settings.config_dir, 0700);
        snprintf(path, sizeof path, "%s/seen.json", cli->settings.config_dir);
        /* Keep it bounded: a client that has seen very much starts afresh. */
        if (json_object_size(s_doc) > 100000) json_object_clear(s_doc);
        char *text = json_dumps(s_doc, JSON_COMPACT);
        if (text) {
            kp_write_file(path, text, strlen(text), 0600);
            free(text);
        }
    }
    json_decref(s_doc);
    s_doc = NULL;
    s_dirty = 0;
}
