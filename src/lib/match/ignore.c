/* SPDX-License-Identifier: Apache-2.0 */
/* The ignore file (ignore.h). libyaml's event API builds a small tree with line and column of every
 * node (bounded in depth and size), which is then checked against the one shape the file may have. */
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "ignore.h"
#include "match-internal.h"

enum ykind {
        Y_SCALAR,
        Y_SEQ,
        Y_MAP,
};

struct ynode {
        enum ykind kind;
        const char *value; /* scalars */
        bool plain;        /* a plain (unquoted) scalar: "~", "null" and "" mean null */
        unsigned line, col;
        struct ynode *first, *last, *next; /* children; a map alternates key, value */
        size_t n;
};

struct yctx {
        struct arena *a;
        struct diag *d;
        const char *name;
        size_t nodes;
};

#define MAX_NODES (IGNORE_MAX_ENTRIES * 12 + 64)

static int yerror(struct yctx *c, unsigned line, unsigned col, const char *fmt, ...) _printf_(4, 5);
static int yerror(struct yctx *c, unsigned line, unsigned col, const char *fmt, ...) {
        char what[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        return diag_error(c->d, -EBADMSG, "ignore file '%s', line %u, column %u: %s", c->name, line, col,
                          what);
}

static struct ynode *ynew(struct yctx *c, enum ykind k, const yaml_mark_t *m) {
        struct ynode *n = arena_alloc(c->a, sizeof *n);
        if (!n)
                return NULL;
        n->kind = k;
        n->line = (unsigned) m->line + 1;
        n->col = (unsigned) m->column + 1;
        return n;
}

static void yappend(struct ynode *parent, struct ynode *child) {
        if (parent->last)
                parent->last->next = child;
        else
                parent->first = child;
        parent->last = child;
        parent->n++;
}

/* Parses the whole text into a tree; *ret is NULL for an empty document. */
static int yparse(struct yctx *c, const char *data, size_t len, struct ynode **ret) {
        yaml_parser_t p;
        struct ynode *stack[IGNORE_MAX_DEPTH], *root = NULL;
        size_t depth = 0, docs = 0;
        int r = 0;
        bool done = false;

        if (!yaml_parser_initialize(&p))
                return -ENOMEM;
        yaml_parser_set_input_string(&p, (const unsigned char *) data, len);
        while (!done && r >= 0) {
                yaml_event_t e;
                if (!yaml_parser_parse(&p, &e)) {
                        r = yerror(c, (unsigned) p.problem_mark.line + 1,
                                   (unsigned) p.problem_mark.column + 1, "%s",
                                   p.problem ? p.problem : "invalid YAML");
                        break;
                }
                const yaml_mark_t *m = &e.start_mark;
                struct ynode *n = NULL;
                switch (e.type) {
                case YAML_STREAM_END_EVENT: done = true; break;
                case YAML_DOCUMENT_START_EVENT:
                        if (++docs > 1)
                                r = yerror(c, (unsigned) m->line + 1, (unsigned) m->column + 1,
                                           "more than one YAML document");
                        break;
                case YAML_ALIAS_EVENT:
                        r = yerror(c, (unsigned) m->line + 1, (unsigned) m->column + 1,
                                   "YAML aliases are not allowed");
                        break;
                case YAML_SCALAR_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT: {
                        const yaml_char_t *anchor = e.type == YAML_SCALAR_EVENT ? e.data.scalar.anchor
                                                    : e.type == YAML_SEQUENCE_START_EVENT
                                                            ? e.data.sequence_start.anchor
                                                            : e.data.mapping_start.anchor;
                        if (anchor) {
                                r = yerror(c, (unsigned) m->line + 1, (unsigned) m->column + 1,
                                           "YAML anchors are not allowed");
                                break;
                        }
                        if (++c->nodes > MAX_NODES) {
                                r = yerror(c, (unsigned) m->line + 1, (unsigned) m->column + 1,
                                           "too many values (at most %d entries)", IGNORE_MAX_ENTRIES);
                                break;
                        }
                        n = ynew(c,
                                 e.type == YAML_SCALAR_EVENT           ? Y_SCALAR
                                 : e.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ
                                                                       : Y_MAP,
                                 m);
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        if (e.type == YAML_SCALAR_EVENT) {
                                size_t vl = e.data.scalar.length;
                                if (vl > IGNORE_MAX_VALUE) {
                                        r = yerror(c, n->line, n->col, "value longer than %d bytes",
                                                   IGNORE_MAX_VALUE);
                                        break;
                                }
                                if (memchr(e.data.scalar.value, 0, vl)) {
                                        r = yerror(c, n->line, n->col, "NUL byte in a value");
                                        break;
                                }
                                n->value = arena_strndup(c->a, (const char *) e.data.scalar.value, vl);
                                n->plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                                if (!n->value) {
                                        r = -ENOMEM;
                                        break;
                                }
                        }
                        if (depth > 0)
                                yappend(stack[depth - 1], n);
                        else
                                root = n;
                        if (e.type != YAML_SCALAR_EVENT) {
                                if (depth >= IGNORE_MAX_DEPTH) {
                                        r = yerror(c, n->line, n->col, "nested deeper than %d levels",
                                                   IGNORE_MAX_DEPTH);
                                        break;
                                }
                                stack[depth++] = n;
                        }
                        break;
                }
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        if (depth > 0)
                                depth--;
                        break;
                default: break;
                }
                yaml_event_delete(&e);
        }
        yaml_parser_delete(&p);
        if (r < 0)
                return r;
        *ret = root;
        return 0;
}

static bool is_null(const struct ynode *n) {
        return n->kind == Y_SCALAR && n->plain &&
               (!n->value[0] || streq(n->value, "~") || streq(n->value, "null") || streq(n->value, "Null") ||
                streq(n->value, "NULL"));
}

static bool valid_date(const char *s) {
        static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
                return false;
        for (int i = 0; i < 10; i++)
                if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
                        return false;
        int y = atoi(s), mo = atoi(s + 5), dd = atoi(s + 8);
        if (mo < 1 || mo > 12 || dd < 1 || dd > days[mo - 1])
                return false;
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return !(mo == 2 && dd == 29 && !leap);
}

static bool valid_id(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 128)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\'')
                        return false;
        return true;
}

/* Printable text: no control characters but tab (the reason is shown in terminals, after escaping, but
 * it should not need escaping to be read). */
static bool valid_text(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                        return false;
        return true;
}

const char *ignore_today(char *buf, size_t size) {
        time_t t = time(NULL);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
                snprintf(buf, size, "1970-01-01");
        return buf;
}

static int parse_entry(struct yctx *c, const struct ynode *m, const char *today, struct ignore_rule *rule) {
        static const char *const keys[] = {"id", "package", "reason", "expires"};
        const struct ynode *val[ELEMENTSOF(keys)] = {};

        if (m->kind != Y_MAP)
                return yerror(c, m->line, m->col,
                              "an entry must be a mapping with id, package, reason, expires");
        for (const struct ynode *k = m->first; k; k = k->next ? k->next->next : NULL) {
                const struct ynode *v = k->next;
                if (k->kind != Y_SCALAR)
                        return yerror(c, k->line, k->col, "keys must be plain words");
                size_t i = 0;
                while (i < ELEMENTSOF(keys) && !streq(keys[i], k->value))
                        i++;
                if (i == ELEMENTSOF(keys))
                        return yerror(c, k->line, k->col,
                                      "unknown key '%s' (use id, package, reason, expires)", k->value);
                if (val[i])
                        return yerror(c, k->line, k->col, "duplicate key '%s'", k->value);
                if (!v || v->kind != Y_SCALAR)
                        return yerror(c, v ? v->line : k->line, v ? v->col : k->col,
                                      "'%s' must be a single value", k->value);
                val[i] = v;
        }
        if (!val[0] || is_null(val[0]))
                return yerror(c, m->line, m->col, "entry without an id");
        if (!valid_id(val[0]->value))
                return yerror(c, val[0]->line, val[0]->col, "invalid vulnerability id '%s'", val[0]->value);
        if (!val[2] || is_null(val[2]) || !val[2]->value[0])
                return yerror(c, m->line, m->col, "entry for %s without a reason", val[0]->value);
        if (!valid_text(val[2]->value))
                return yerror(c, val[2]->line, val[2]->col, "control characters in the reason");
        if (val[1] && !is_null(val[1]) &&
            (!val[1]->value[0] || !valid_text(val[1]->value) || strchr(val[1]->value, ' ')))
                return yerror(c, val[1]->line, val[1]->col, "invalid package '%s': a name or a purl",
                              val[1]->value);
        if (val[3] && !is_null(val[3]) && !valid_date(val[3]->value))
                return yerror(c, val[3]->line, val[3]->col, "invalid date '%s': expected YYYY-MM-DD",
                              val[3]->value);

        *rule = (struct ignore_rule){
                .id = val[0]->value,
                .package = val[1] && !is_null(val[1]) ? val[1]->value : NULL,
                .reason = val[2]->value,
                .expires = val[3] && !is_null(val[3]) ? val[3]->value : NULL,
                .line = m->line,
                .source = arena_printf(c->a, "%s:%u", c->name, m->line),
        };
        if (!rule->source)
                return -ENOMEM;
        rule->expired = rule->expires && strcmp(rule->expires, today) <= 0;
        return 0;
}

int ignore_parse(const char *data, size_t len, const char *name, const char *today_arg, struct arena *a,
                 struct diag *d, struct ignore_list **ret) {
        struct yctx c = {.a = a, .d = d, .name = name ? name : "-"};
        struct ynode *root = NULL;
        char today[16];
        int r;

        if (len > IGNORE_MAX_BYTES)
                return diag_error(d, -EFBIG, "ignore file '%s' is larger than %u bytes", c.name,
                                  IGNORE_MAX_BYTES);
        if (!today_arg || !valid_date(today_arg))
                today_arg = ignore_today(today, sizeof today);
        r = yparse(&c, data, len, &root);
        if (r < 0)
                return r;

        struct ignore_list *l = arena_alloc(a, sizeof *l);
        if (!l || !(l->path = arena_strdup(a, c.name)))
                return -ENOMEM;
        const struct ynode *list = NULL;
        if (root && !is_null(root)) {
                if (root->kind != Y_MAP)
                        return yerror(&c, root->line, root->col, "expected a mapping with the key 'ignore'");
                for (const struct ynode *k = root->first; k; k = k->next ? k->next->next : NULL) {
                        if (k->kind != Y_SCALAR || !streq(k->value, "ignore"))
                                return yerror(&c, k->line, k->col,
                                              "unknown key '%s' (the file has one key, 'ignore')",
                                              k->kind == Y_SCALAR ? k->value : "?");
                        if (list)
                                return yerror(&c, k->line, k->col, "duplicate key 'ignore'");
                        list = k->next;
                }
        }
        if (list && !is_null(list)) {
                if (list->kind != Y_SEQ)
                        return yerror(&c, list->line, list->col, "'ignore' must be a list of entries");
                if (list->n > IGNORE_MAX_ENTRIES)
                        return yerror(&c, list->line, list->col, "more than %d entries", IGNORE_MAX_ENTRIES);
                l->rules = arena_alloc(a, MAX(list->n, (size_t) 1) * sizeof *l->rules);
                if (!l->rules)
                        return -ENOMEM;
                for (const struct ynode *e = list->first; e; e = e->next) {
                        struct ignore_rule *rule = &l->rules[l->n];
                        if ((r = parse_entry(&c, e, today_arg, rule)) < 0)
                                return r;
                        l->n++;
                        if (rule->expired) {
                                l->n_expired++;
                                diag_warn(d,
                                          "ignore file '%s', line %u: the entry for %s%s%s expired on %s "
                                          "and no "
                                          "longer applies",
                                          c.name, rule->line, rule->id, rule->package ? " in " : "",
                                          rule->package ? rule->package : "", rule->expires);
                        }
                }
        }
        *ret = l;
        return 0;
}

int ignore_load(const char *path, const char *today, struct arena *a, struct diag *d,
                struct ignore_list **ret) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = match_read_file(path, IGNORE_MAX_BYTES, "ignore file", d, &data, &len);
        if (r < 0)
                return r;
        return ignore_parse(data, len, path, today, a, d, ret);
}

bool ignore_rule_matches(struct arena *a, const struct ignore_rule *r, const struct vuln_finding *f) {
        if (!match_finding_has_id(f, r->id))
                return false;
        return !r->package || match_package_matches(a, r->package, f);
}
