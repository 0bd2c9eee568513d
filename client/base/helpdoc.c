/*  helpdoc: the man page and the shell completion, from the help texts. */
#include "helpdoc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- man page */

/* Text as roff: backslashes escaped, a line starting with . or ' guarded. */
static void s_roff(FILE *out, const char *text)
{
    int bol = 1;
    for (const char *p = text; *p; p++) {
        if (bol && (*p == '.' || *p == '\'')) fputs("\\&", out);
        if (*p == '\\')
            fputs("\\e", out);
        else if (*p == '-' && (p == text || p[-1] == ' ' || p[-1] == '-' || p[-1] == '['))
            fputs("\\-", out);
        else
            fputc(*p, out);
        bol = *p == '\n';
    }
    if (!bol) fputc('\n', out);
}

void kp_helpdoc_man(FILE *out, const char *overview)
{
    fprintf(out, ".TH KOMPASS 1 \"\" \"kompass %s\" \"Kompass\"\n", KOMPASS_VERSION);
    fputs(".SH NAME\nkompass \\- the Kompass client: KommunKompassen evaluations, together\n"
          ".SH SYNOPSIS\n.nf\n",
          out);
    /* the overview: its usage lines, then the rest as it is */
    const char *body = strstr(overview, "\n\n");
    char *syn = strndup(overview, body ? (size_t)(body - overview) : strlen(overview));
    if (syn && strncmp(syn, "usage: ", 7) == 0) {
        /* without "usage: ", and its continuation lines as far left */
        char *w = syn;
        for (const char *r = syn + 7; *r;) {
            const char *nl = strchr(r, '\n');
            size_t len = nl ? (size_t)(nl - r) + 1 : strlen(r);
            memmove(w, r, len);
            w += len;
            r += len;
            if (strncmp(r, "       ", 7) == 0) r += 7;
        }
        *w = '\0';
    }
    if (syn) s_roff(out, syn);
    free(syn);
    fputs(".fi\n.SH DESCRIPTION\n.nf\n", out);
    if (body) {
        /* the command list follows as COMMANDS */
        const char *list = strstr(body, "\nCommands:");
        char *d = strndup(body + 2, list ? (size_t)(list - body - 2) : strlen(body + 2));
        s_roff(out, d);
        free(d);
    }
    fputs(".fi\n.SH COMMANDS\n", out);
    for (const kp_command *const *c = kp_commands; *c; c++) {
        fprintf(out, ".SS %s\n", (*c)->name);
        s_roff(out, (*c)->summary);
        fputs(".PP\n.nf\n", out);
        s_roff(out, (*c)->usage);
        fputs(".fi\n", out);
    }
    fputs(".SH EXIT STATUS\n"
          "0 ok, 1 error, 2 usage, 3 conflict (stale version, locked), 4 denied or\n"
          "unauthenticated, 5 not found, 6 unavailable, timed out or rate limited.\n"
          ".SH FILES\n.TP\n$XDG_CONFIG_HOME/kompass/config\n"
          "(else ~/.config/kompass/config) lines \\fIname\\fR = \\fIvalue\\fR: server,\n"
          "server_key, timeout.\n.TP\n$XDG_CONFIG_HOME/kompass/session\n"
          "the login session, mode 0600.\n.TP\n$XDG_STATE_HOME/kompass/drafts/\n"
          "(else ~/.local/state/kompass/drafts/) what text edit and score edit keep until\n"
          "the server has it, mode 0600.\n"
          ".SH ENVIRONMENT\nKOMPASS_SERVER, KOMPASS_SERVER_KEY, KOMPASS_TIMEOUT, VISUAL, EDITOR,\n"
          "XDG_CONFIG_HOME, XDG_STATE_HOME, COLUMNS.\n"
          ".SH SEE ALSO\nkompassd(8); README.md and docs/ of Kompass.\n",
          out);
}

/* ---------------------------------------------------------------- completion */

/* The usage lines of cmd ("kompass score set ID ..."), split into tokens
 * after the command's name: calls fn for each line. */
typedef struct {
    char *tok[48];
    int n;
} usage_line;

static int s_usage_lines(const kp_command *cmd, usage_line *out, int max)
{
    int n = 0;
    char *copy = strdup(cmd->usage);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && n < max;
         line = strtok_r(NULL, "\n", &save)) {
        char *k = strstr(line, "kompass ");
        if (!k) continue;
        char *pre = line;
        while (pre < k && (*pre == ' ' || strncmp(pre, "usage:", 6) == 0))
            pre += *pre == ' ' ? 1 : 6;
        if (pre != k) continue; /* "kompass" inside a sentence */
        usage_line *u = &out[n];
        u->n = 0;
        char *s2 = NULL;
        char *t = strtok_r(k, " ", &s2); /* "kompass" */
        t = strtok_r(NULL, " ", &s2);    /* the command */
        if (!t || strcmp(t, cmd->name) != 0) continue;
        for (t = strtok_r(NULL, " ", &s2); t && u->n < 48; t = strtok_r(NULL, " ", &s2))
            if (*t) u->tok[u->n++] = strdup(t);
        n++;
    }
    /* continuation lines of a long usage ("     [--resume]") belong to the
     * line before them */
    free(copy);
    copy = strdup(cmd->usage);
    int at = -1;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *k = strstr(line, "kompass ");
        char *first = line;
        while (*first == ' ')
            first++;
        if (k && (k == first || strncmp(first, "usage:", 6) == 0)) {
            at++;
            continue;
        }
        if (at >= 0 && at < n && *first == '[' && first > line + 10) {
            char *s2 = NULL;
            for (char *t = strtok_r(first, " ", &s2); t && out[at].n < 48;
                 t = strtok_r(NULL, " ", &s2))
                out[at].tok[out[at].n++] = strdup(t);
        } else if (!*first || !k) {
            if (!*first) at = n; /* the description begins */
        }
    }
    free(copy);
    return n;
}

static void s_free_lines(usage_line *u, int n)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < u[i].n; k++)
            free(u[i].tok[k]);
}

/* The option inside a token ("[--area" -> "--area"), into out. */
static int s_option(const char *tok, char *out, size_t len)
{
    const char *p = tok;
    while (*p == '[' || *p == '(')
        p++;
    if (strncmp(p, "--", 2) != 0) return 0;
    size_t n = 2;
    while (p[n] && (islower((unsigned char)p[n]) || p[n] == '-'))
        n++;
    if (n == 2 || n >= len) return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

/* Whether token is a placeholder for a value (ID, N, "TEXT]"). */
static int s_placeholder(const char *tok)
{
    const char *p = tok;
    while (*p == '[')
        p++;
    return isupper((unsigned char)*p) || (strchr(p, '|') && !strstr(p, "--"));
}

/* The plain word of a token: "[AREA]" -> "AREA", "summary|strengths" kept. */
static void s_word(const char *tok, char *out, size_t len)
{
    const char *p = tok;
    while (*p == '[')
        p++;
    size_t n = 0;
    while (p[n] && p[n] != ']' && n + 1 < len)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* Each alternative of "a|b|c" on a line. */
static void s_alternatives(const char *word)
{
    char *c = strdup(word), *save = NULL;
    for (char *t = strtok_r(c, "|", &save); t; t = strtok_r(NULL, "|", &save))
        printf("%s\n", t);
    free(c);
}

/* The evaluations the caller can see, their ids. */
static void s_evaluations(kp_cli *cli)
{
    if (cli->settings.timeout > 2) cli->settings.timeout = 2;
    kp_request *req = kp_cli_request(cli);
    Kompass__V1__EvalListRequest *b = kp_arena_alloc(cli->arena, sizeof *b);
    kompass__v1__eval_list_request__init(b);
    req->body_case = KOMPASS__V1__REQUEST__BODY_EVAL_LIST;
    req->eval_list = b;
    kp_response *resp;
    const char *error;
    if (kp_cli_call_quiet(cli, req, &resp, &error) != KP_OK || !resp->eval_list) return;
    for (size_t i = 0; i < resp->eval_list->n_evaluations; i++)
        printf("%lld\n", (long long)resp->eval_list->evaluations[i]->id);
}

static const char *const s_globals[] = {"--server", "--server-key", "--insecure", "--timeout",
                                        "--json",   "--help",       "--version",  NULL};

int kp_helpdoc_complete(kp_cli *cli, int cword, int nwords, char **words)
{
    const char *cur = cword < nwords ? words[cword] : "";
    int i = 1;
    /* global options and their values */
    while (i < cword && strncmp(words[i], "--", 2) == 0) {
        if (strcmp(words[i], "--server") == 0 || strcmp(words[i], "--server-key") == 0 ||
            strcmp(words[i], "--timeout") == 0)
            i++;
        i++;
    }
    if (i >= cword) {
        if (*cur == '-')
            for (int k = 0; s_globals[k]; k++)
                printf("%s\n", s_globals[k]);
        else
            for (const kp_command *const *c = kp_commands; *c; c++)
                if ((*c)->name[0] != '_') printf("%s\n", (*c)->name);
        return 0;
    }
    const kp_command *cmd = kp_cli_find_command(words[i]);
    if (!cmd) return 0;
    if (strcmp(cmd->name, "help") == 0) {
        for (const kp_command *const *c = kp_commands; *c; c++)
            printf("%s\n", (*c)->name);
        return 0;
    }
    usage_line u[24];
    int nu = s_usage_lines(cmd, u, 24);
    /* subcommands: lower-case words first on their lines */
    int has_sub = 0;
    for (int l = 0; l < nu; l++)
        has_sub |=
            u[l].n > 0 && islower((unsigned char)u[l].tok[0][0]) && !strchr(u[l].tok[0], '|');
    int first = i + 1;
    if (has_sub && cword == first) {
        for (int l = 0; l < nu; l++)
            if (u[l].n > 0 && islower((unsigned char)u[l].tok[0][0])) {
                int dup = 0;
                for (int k = 0; k < l; k++)
                    dup |= u[k].n > 0 && strcmp(u[k].tok[0], u[l].tok[0]) == 0;
                if (!dup) printf("%s\n", u[l].tok[0]);
            }
        s_free_lines(u, nu);
        return 0;
    }
    const char *sub = has_sub && first < nwords ? words[first] : NULL;
    char opt[64], word[256];
    for (int l = 0; l < nu; l++) {
        int start = 0;
        if (has_sub) {
            if (!sub || u[l].n == 0 || strcmp(u[l].tok[0], sub) != 0) continue;
            start = 1;
        }
        /* the word before the cursor: an option that wants a value? */
        const char *prev = cword - 1 > i ? words[cword - 1] : "";
        for (int k = start; k < u[l].n; k++)
            if (s_option(u[l].tok[k], opt, sizeof opt) && strcmp(opt, prev) == 0 &&
                k + 1 < u[l].n && s_placeholder(u[l].tok[k + 1])) {
                s_word(u[l].tok[k + 1], word, sizeof word);
                if (strchr(word, '|')) s_alternatives(word);
                s_free_lines(u, nu);
                return 0;
            }
        if (*cur == '-') {
            for (int k = start; k < u[l].n; k++)
                if (s_option(u[l].tok[k], opt, sizeof opt)) printf("%s\n", opt);
            continue;
        }
        /* which positional: count those typed since the (sub)command */
        int typed = 0;
        for (int w = (has_sub ? first + 1 : first); w < cword; w++) {
            if (strncmp(words[w], "--", 2) == 0) {
                /* an option's value is not a positional */
                for (int k = start; k < u[l].n; k++)
                    if (s_option(u[l].tok[k], opt, sizeof opt) && strcmp(opt, words[w]) == 0 &&
                        k + 1 < u[l].n && s_placeholder(u[l].tok[k + 1]) &&
                        strncmp(u[l].tok[k + 1], "--", 2) != 0)
                        w++;
                continue;
            }
            typed++;
        }
        int seen = 0;
        for (int k = start; k < u[l].n; k++) {
            if (s_option(u[l].tok[k], opt, sizeof opt)) {
                if (k + 1 < u[l].n && s_placeholder(u[l].tok[k + 1])) k++;
                continue;
            }
            if (!s_placeholder(u[l].tok[k]) || u[l].tok[k][0] == '(') continue;
            if (seen++ != typed) continue;
            s_word(u[l].tok[k], word, sizeof word);
            if (strcmp(word, "ID") == 0)
                s_evaluations(cli);
            else if (strchr(word, '|'))
                s_alternatives(word);
            else if (strcmp(word, "COMMAND") == 0)
                for (const kp_command *const *c = kp_commands; *c; c++)
                    printf("%s\n", (*c)->name);
            break;
        }
        break; /* the first matching usage line decides */
    }
    s_free_lines(u, nu);
    return 0;
}
