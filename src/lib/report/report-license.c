/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "report-internal.h"

/* The SPDX License List (licenses and exceptions), embedded from spdx-license-ids.txt and
 * spdx-exceptions.txt at build time (tools/embed.py). */
extern const unsigned char report_spdx_license_ids[];
extern const size_t report_spdx_license_ids_len;
extern const unsigned char report_spdx_exceptions[];
extern const size_t report_spdx_exceptions_len;

struct id_list {
        char *text;     /* the embedded file, lines split at NUL */
        const char **v; /* sorted with strcasecmp() */
        size_t n;
};

static struct id_list licenses, exceptions;
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static int cmp_case(const void *a, const void *b) {
        return strcasecmp(*(const char *const *) a, *(const char *const *) b);
}

static void list_load(struct id_list *l, const unsigned char *data, size_t len) {
        size_t lines = 0;

        l->text = malloc(len + 1);
        if (!l->text)
                return;
        memcpy(l->text, data, len);
        l->text[len] = 0;
        for (size_t i = 0; i < len; i++)
                lines += l->text[i] == '\n';
        l->v = calloc(lines + 1, sizeof *l->v);
        if (!l->v) {
                free(l->text);
                l->text = NULL;
                return;
        }
        for (char *line = l->text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (*line && *line != '#')
                        l->v[l->n++] = line;
        }
        qsort_safe(l->v, l->n, sizeof *l->v, cmp_case);
}

static void lists_load(void) {
        list_load(&licenses, report_spdx_license_ids, report_spdx_license_ids_len);
        list_load(&exceptions, report_spdx_exceptions, report_spdx_exceptions_len);
}

static const char *list_lookup(const struct id_list *l, const char *s, size_t len) {
        char key[128];
        if (!l->v || len == 0 || len >= sizeof key)
                return NULL;
        memcpy(key, s, len);
        key[len] = 0;
        const char *k = key;
        const char *const *hit = bsearch(&k, l->v, l->n, sizeof *l->v, cmp_case);
        return hit ? *hit : NULL;
}

const char *spdx_license_id_lookup(const char *s) {
        pthread_once(&lists_once, lists_load);
        return s ? list_lookup(&licenses, s, strlen(s)) : NULL;
}

const char *spdx_exception_id_lookup(const char *s) {
        pthread_once(&lists_once, lists_load);
        return s ? list_lookup(&exceptions, s, strlen(s)) : NULL;
}

/* ---- expressions (SPDX 2.3 Annex D) ----
 *
 *   compound = and-expr *( "OR" and-expr )
 *   and-expr = with-expr *( "AND" with-expr )
 *   with-expr = primary [ "WITH" exception-id ]
 *   primary  = license-id [ "+" ] | "(" compound ")"
 *
 * The parser only checks and re-spells: it appends each token, canonicalized, to out. */

enum tok_kind { TOK_END, TOK_LPAREN, TOK_RPAREN, TOK_AND, TOK_OR, TOK_WITH, TOK_WORD, TOK_BAD };

struct lexer {
        const char *p;
        enum tok_kind kind;
        const char *word; /* TOK_WORD: points into the input */
        size_t len;
        unsigned depth;
        struct buf *out;
        int error;
};

static bool is_idchar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '-' || c == '+' || c == ':';
}

static void lex(struct lexer *l) {
        while (*l->p == ' ' || *l->p == '\t')
                l->p++;
        if (!*l->p) {
                l->kind = TOK_END;
                return;
        }
        if (*l->p == '(' || *l->p == ')') {
                l->kind = *l->p == '(' ? TOK_LPAREN : TOK_RPAREN;
                l->p++;
                return;
        }
        const char *s = l->p;
        while (is_idchar(*l->p))
                l->p++;
        size_t n = (size_t) (l->p - s);
        if (n == 0) {
                l->kind = TOK_BAD;
                return;
        }
        /* Operators: all upper or all lower case, as SPDX tools accept. */
        if ((n == 3 && (strneq(s, "AND", 3) || strneq(s, "and", 3))))
                l->kind = TOK_AND;
        else if (n == 2 && (strneq(s, "OR", 2) || strneq(s, "or", 2)))
                l->kind = TOK_OR;
        else if (n == 4 && (strneq(s, "WITH", 4) || strneq(s, "with", 4)))
                l->kind = TOK_WITH;
        else {
                l->kind = TOK_WORD;
                l->word = s;
                l->len = n;
        }
}

static void emit(struct lexer *l, const char *s) {
        if (l->error)
                return;
        /* A space between tokens, except after "(" and before ")". */
        if (l->out->len > 0 && l->out->data[l->out->len - 1] != '(' && !streq(s, ")"))
                l->error = buf_append_char(l->out, ' ');
        if (!l->error)
                l->error = buf_append_str(l->out, s);
}

static bool parse_or(struct lexer *l);

static bool parse_primary(struct lexer *l) {
        if (l->kind == TOK_LPAREN) {
                if (++l->depth > 32)
                        return false;
                emit(l, "(");
                lex(l);
                if (!parse_or(l) || l->kind != TOK_RPAREN)
                        return false;
                emit(l, ")");
                l->depth--;
                lex(l);
                return true;
        }
        if (l->kind != TOK_WORD)
                return false;
        size_t n = l->len;
        bool plus = n > 1 && l->word[n - 1] == '+';
        if (plus)
                n--;
        if (memchr(l->word, '+', n) || memchr(l->word, ':', n))
                return false; /* '+' only at the end; ':' only in DocumentRef-, which we do not accept */
        const char *id = list_lookup(&licenses, l->word, n);
        if (!id)
                return false;
        emit(l, id);
        if (plus && !l->error)
                l->error = buf_append_char(l->out, '+');
        lex(l);
        if (l->kind == TOK_WITH) {
                lex(l);
                if (l->kind != TOK_WORD)
                        return false;
                const char *ex = list_lookup(&exceptions, l->word, l->len);
                if (!ex)
                        return false;
                emit(l, "WITH");
                emit(l, ex);
                lex(l);
        }
        return true;
}

static bool parse_and(struct lexer *l) {
        if (!parse_primary(l))
                return false;
        while (l->kind == TOK_AND) {
                emit(l, "AND");
                lex(l);
                if (!parse_primary(l))
                        return false;
        }
        return true;
}

static bool parse_or(struct lexer *l) {
        if (!parse_and(l))
                return false;
        while (l->kind == TOK_OR) {
                emit(l, "OR");
                lex(l);
                if (!parse_and(l))
                        return false;
        }
        return true;
}

enum spdx_license_kind spdx_license_classify(struct arena *a, const char *s, const char **ret_canonical) {
        pthread_once(&lists_once, lists_load);
        *ret_canonical = NULL;
        if (!s)
                return SPDX_LICENSE_INVALID;

        const char *id = list_lookup(&licenses, s, strlen(s));
        if (id) {
                *ret_canonical = id;
                return SPDX_LICENSE_ID;
        }

        struct buf out = BUF_INIT(4096);
        struct lexer l = { .p = s, .out = &out };
        lex(&l);
        bool ok = parse_or(&l) && l.kind == TOK_END && !l.error;
        enum spdx_license_kind kind = SPDX_LICENSE_INVALID;
        if (ok && (id = list_lookup(&licenses, out.data, out.len))) {
                *ret_canonical = id; /* " MIT " */
                kind = SPDX_LICENSE_ID;
        } else if (ok) {
                *ret_canonical = arena_strndup(a, out.data, out.len);
                kind = *ret_canonical ? SPDX_LICENSE_EXPRESSION : SPDX_LICENSE_INVALID;
        }
        buf_free(&out);
        return kind;
}
