/*  lograte: a log that a hostile peer cannot fill (see lograte.h). */
#include "lograte.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"

typedef struct {
    int used;
    kp_lograte_kind kind;
    char peer[80];
    uint64_t suppressed; /* events since its last line */
    int64_t line_ms;     /* when its last line (event or summary) was written */
} peer_entry;

typedef struct {
    uint64_t events, suppressed_total;
    uint64_t others;   /* events of peers not named, since the last "other peers" line */
    int64_t others_ms; /* when that line was last written */
    int64_t window_ms; /* start of the window new_peers counts in */
    int new_peers;     /* peers named in this window */
} kind_state;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static peer_entry s_peers[KP_LOGRATE_PEERS];
static kind_state s_kinds[KP_LOGRATE_KINDS];

static const char *const s_nouns[KP_LOGRATE_KINDS] = {"malformed frames", "refused requests"};

/* n with thousands separated by commas ("4,812"), into buf. */
static const char *s_thousands(uint64_t n, char *buf, size_t len)
{
    char digits[32];
    int d = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < d && o + 2 < len; i++) {
        if (i > 0 && (d - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

static void s_summary(kp_lograte_kind kind, const char *from, uint64_t n, int64_t since_ms,
                      int64_t now_ms)
{
    char num[40];
    kp_log(KP_LOG_INFO, "lograte", "suppressed %s %s from %s in the last %lld s",
           s_thousands(n, num, sizeof num), s_nouns[kind], from,
           (long long)((now_ms - since_ms + 999) / 1000));
}

void kp_lograte_event(kp_lograte_kind kind, const char *peer, int64_t now_ms, const char *module,
                      const char *fmt, ...)
{
    if (kind < 0 || kind >= KP_LOGRATE_KINDS) return;
    if (!peer || !*peer) peer = "(unknown peer)";
    pthread_mutex_lock(&s_lock);
    kind_state *k = &s_kinds[kind];
    k->events++;
    peer_entry *e = NULL, *free_slot = NULL;
    for (int i = 0; i < KP_LOGRATE_PEERS; i++) {
        if (!s_peers[i].used) {
            if (!free_slot) free_slot = &s_peers[i];
        } else if (s_peers[i].kind == kind && strcmp(s_peers[i].peer, peer) == 0) {
            e = &s_peers[i];
            break;
        }
    }
    int write = 0;
    if (e) {
        e->suppressed++; /* summarised by kp_lograte_flush */
    } else {
        if (now_ms - k->window_ms >= KP_LOGRATE_WINDOW_MS) {
            k->window_ms = now_ms;
            k->new_peers = 0;
        }
        if (free_slot && k->new_peers < KP_LOGRATE_NEW_PEERS) {
            k->new_peers++;
            free_slot->used = 1;
            free_slot->kind = kind;
            kp_strlcpy(free_slot->peer, peer, sizeof free_slot->peer);
            free_slot->suppressed = 0;
            free_slot->line_ms = now_ms;
            write = 1;
        } else {
            if (k->others == 0 && now_ms - k->others_ms >= KP_LOGRATE_WINDOW_MS)
                k->others_ms = now_ms;
            k->others++;
        }
    }
    if (!write) k->suppressed_total++;
    pthread_mutex_unlock(&s_lock);
    if (write) {
        char line[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        kp_log(KP_LOG_INFO, module, "%s (more like it from this peer: summarised every %d s)", line,
               KP_LOGRATE_WINDOW_MS / 1000);
    }
}

void kp_lograte_flush(int64_t now_ms)
{
    pthread_mutex_lock(&s_lock);
    for (int i = 0; i < KP_LOGRATE_PEERS; i++) {
        peer_entry *e = &s_peers[i];
        if (!e->used || now_ms - e->line_ms < KP_LOGRATE_WINDOW_MS) continue;
        if (e->suppressed > 0) {
            s_summary(e->kind, e->peer, e->suppressed, e->line_ms, now_ms);
            e->suppressed = 0;
            e->line_ms = now_ms;
        } else {
            e->used = 0; /* quiet for a window: its next event is written again */
        }
    }
    for (int k = 0; k < KP_LOGRATE_KINDS; k++) {
        kind_state *ks = &s_kinds[k];
        if (ks->others > 0 && now_ms - ks->others_ms >= KP_LOGRATE_WINDOW_MS) {
            s_summary((kp_lograte_kind)k, "other peers (too many to name)", ks->others,
                      ks->others_ms, now_ms);
            ks->others = 0;
            ks->others_ms = now_ms;
        }
    }
    pthread_mutex_unlock(&s_lock);
}

uint64_t kp_lograte_events(kp_lograte_kind kind)
{
    pthread_mutex_lock(&s_lock);
    uint64_t n = kind < KP_LOGRATE_KINDS ? s_kinds[kind].events : 0;
    pthread_mutex_unlock(&s_lock);
    return n;
}

uint64_t kp_lograte_suppressed(kp_lograte_kind kind)
{
    pthread_mutex_lock(&s_lock);
    uint64_t n = kind < KP_LOGRATE_KINDS ? s_kinds[kind].suppressed_total : 0;
    pthread_mutex_unlock(&s_lock);
    return n;
}

void kp_lograte_reset(void)
{
    pthread_mutex_lock(&s_lock);
    memset(s_peers, 0, sizeof s_peers);
    memset(s_kinds, 0, sizeof s_kinds);
    pthread_mutex_unlock(&s_lock);
}
