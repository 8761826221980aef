/* SPDX-License-Identifier: Apache-2.0 */
/* The rules file parser (format: man/stockade-secret-rules.5). A rules file may come from a user, so it
 * is parsed like any other input: libyaml's event parser (no document tree, so no alias expansion),
 * hard limits on every count and length, and every error names file:line:column and the rule. */

#include <math.h>
#include <stdarg.h>
#include <yaml.h>

#include "secrets-internal.h"

struct yp {
        yaml_parser_t parser;
        yaml_event_t ev;
        bool have_ev;
        const char *name;
        struct diag *d;
        struct secrets_engine *e;
};

static int yp_error_at(struct yp *y, yaml_mark_t m, const char *fmt, ...) _printf_(3, 4);
static int yp_error_at(struct yp *y, yaml_mark_t m, const char *fmt, ...) {
        char msg[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return diag_error(y->d, -EINVAL, "%s:%zu:%zu: %s", y->name, m.line + 1, m.column + 1, msg);
}

/* Error at the current event. */
#define yp_error(y, ...) yp_error_at((y), (y)->ev.start_mark, __VA_ARGS__)

static int yp_next(struct yp *y) {
        if (y->have_ev) {
                yaml_event_delete(&y->ev);
                y->have_ev = false;
        }
        if (!yaml_parser_parse(&y->parser, &y->ev)) {
                const char *what = y->parser.problem ? y->parser.problem : "malformed document";
                if (y->parser.error == YAML_MEMORY_ERROR)
                        return -ENOMEM;
                if (y->parser.context)
                        return yp_error_at(y, y->parser.problem_mark, "invalid YAML: %s %s", what,
                                           y->parser.context);
                return yp_error_at(y, y->parser.problem_mark, "invalid YAML: %s", what);
        }
        y->have_ev = true;
        if (y->ev.type == YAML_ALIAS_EVENT)
                return yp_error(y, "YAML aliases are not supported in rules files");
        return 0;
}

static const char *event_name(yaml_event_type_t t) {
        switch (t) {
        case YAML_SCALAR_EVENT: return "a scalar";
        case YAML_SEQUENCE_START_EVENT: return "a list";
        case YAML_MAPPING_START_EVENT: return "a mapping";
        case YAML_SEQUENCE_END_EVENT: return "the end of a list";
        case YAML_MAPPING_END_EVENT: return "the end of a mapping";
        default: return "something else";
        }
}

static int yp_expect(struct yp *y, yaml_event_type_t t, const char *what) {
        int r = yp_next(y);
        if (r < 0)
                return r;
        if (y->ev.type != t)
                return yp_error(y, "expected %s, found %s", what, event_name(y->ev.type));
        return 0;
}

/* The current event's scalar as a C string; scalars with NUL bytes are refused. */
static int yp_scalar(struct yp *y, size_t max, const char *what, const char **ret) {
        const char *v = (const char *) y->ev.data.scalar.value;
        size_t n = y->ev.data.scalar.length;
        if (memchr(v, 0, n))
                return yp_error(y, "%s contains a NUL byte", what);
        if (n > max)
                return yp_error(y, "%s is longer than %zu bytes", what, max);
        *ret = v;
        return 0;
}

static int yp_next_scalar(struct yp *y, size_t max, const char *what, const char **ret) {
        int r = yp_expect(y, YAML_SCALAR_EVENT, what);
        if (r < 0)
                return r;
        return yp_scalar(y, max, what, ret);
}

/* Rule names in messages: its id once known, else its position in the list. */
static const char *rule_label(const struct secrets_rule *rule, size_t index, char buf[static 32]) {
        if (rule->id) {
                snprintf(buf, 32, "'%.24s'", rule->id);
                return buf;
        }
        snprintf(buf, 32, "#%zu", index + 1);
        return buf;
}

static int compile_regex(struct yp *y, const char *pattern, uint32_t options, const char *label,
                         const char *what, pcre2_code **ret) {
        int errcode;
        PCRE2_SIZE erroff;
        pcre2_code *re =
                pcre2_compile((PCRE2_SPTR) pattern, strlen(pattern), options, &errcode, &erroff, NULL);
        if (!re) {
                PCRE2_UCHAR msg[256];
                if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0)
                        snprintf((char *) msg, sizeof msg, "error %d", errcode);
                return yp_error(y, "%s: invalid %s: %s (at offset %zu)", label, what, (char *) msg,
                                (size_t) erroff);
        }
        /* Without JIT (not built, or no executable memory) the interpreter runs instead. */
        (void) pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
        *ret = re;
        return 0;
}

/* A list of regexes (allow patterns): "- regex" items, or a single scalar. */
static int parse_regex_list(struct yp *y, const char *label, size_t max, pcre2_code ***items, size_t *n,
                            size_t *alloc) {
        int r = yp_next(y);
        if (r < 0)
                return r;
        bool single = y->ev.type == YAML_SCALAR_EVENT;
        if (!single && y->ev.type != YAML_SEQUENCE_START_EVENT)
                return yp_error(y, "%s: 'allow' must be a list of regexes, found %s", label,
                                event_name(y->ev.type));
        for (;;) {
                if (!single) {
                        r = yp_next(y);
                        if (r < 0)
                                return r;
                        if (y->ev.type == YAML_SEQUENCE_END_EVENT)
                                return 0;
                        if (y->ev.type != YAML_SCALAR_EVENT)
                                return yp_error(y, "%s: 'allow' items must be regexes, found %s", label,
                                                event_name(y->ev.type));
                }
                const char *v;
                r = yp_scalar(y, RULE_REGEX_MAX, "allow pattern", &v);
                if (r < 0)
                        return r;
                if (*n >= max)
                        return yp_error(y, "%s: more than %zu allow patterns", label, max);
                pcre2_code *re;
                r = compile_regex(y, v, 0, label, "allow regex", &re);
                if (r < 0)
                        return r;
                if (*n >= *alloc && vec_grow_((void **) items, alloc, *n + 1, sizeof **items) < 0) {
                        pcre2_code_free(re);
                        return -ENOMEM;
                }
                (*items)[(*n)++] = re;
                if (single)
                        return 0;
        }
}

static bool id_valid(const char *s) {
        if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
                      *s == '.'))
                        return false;
        return true;
}

static bool text_valid(const char *s) {
        /* Titles and categories end up in reports: one printable line. */
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

static int parse_double(const char *s, double lo, double hi, double *ret) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *ret) {
        char *end;
        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v < lo || v > hi)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* The capture group(s) that hold the secret: a number, or a name (several groups may share a name with
 * PCRE2_DUPNAMES, e.g. in alternatives for quoted and unquoted values; the first one set wins). */
static int resolve_secret_group(struct yp *y, struct secrets_rule *rule, const char *spec, yaml_mark_t m,
                                const char *label) {
        uint32_t capture_count = 0, name_count = 0, entry_size = 0;
        PCRE2_SPTR table = NULL;
        unsigned long num;

        (void) pcre2_pattern_info(rule->re, PCRE2_INFO_CAPTURECOUNT, &capture_count);
        if (spec && parse_uint(spec, 0, UINT32_MAX, &num) == 0) {
                if (num > capture_count)
                        return yp_error_at(
                                y, m, "rule %s: secret-group %lu does not exist (the regex has %u groups)",
                                label, num, capture_count);
                rule->n_secret_groups = num > 0;
                rule->secret_groups[0] = (uint32_t) num;
                return 0;
        }

        const char *want = spec ? spec : "secret";
        (void) pcre2_pattern_info(rule->re, PCRE2_INFO_NAMECOUNT, &name_count);
        (void) pcre2_pattern_info(rule->re, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
        (void) pcre2_pattern_info(rule->re, PCRE2_INFO_NAMETABLE, &table);
        rule->n_secret_groups = 0;
        for (uint32_t i = 0; table && i < name_count; i++) {
                PCRE2_SPTR ent = table + (size_t) i * entry_size;
                if (!streq((const char *) ent + 2, want))
                        continue;
                if (rule->n_secret_groups >= RULE_SECRET_GROUPS_MAX)
                        return yp_error_at(y, m, "rule %s: more than %d groups named '%s'", label,
                                           RULE_SECRET_GROUPS_MAX, want);
                rule->secret_groups[rule->n_secret_groups++] = (uint32_t) (ent[0] << 8 | ent[1]);
        }
        if (spec && rule->n_secret_groups == 0)
                return yp_error_at(y, m, "rule %s: secret-group '%s' is not a group of the regex", label,
                                   spec);
        return 0;
}

enum {
        F_ID = 1u << 0,
        F_TITLE = 1u << 1,
        F_CATEGORY = 1u << 2,
        F_SEVERITY = 1u << 3,
        F_REGEX = 1u << 4,
        F_SECRET_GROUP = 1u << 5,
        F_KEYWORDS = 1u << 6,
        F_MIN_ENTROPY = 1u << 7,
        F_ALLOW = 1u << 8,
        F_CONTEXT = 1u << 9,
        F_CONTEXT_WINDOW = 1u << 10,
        F_DESCRIPTION = 1u << 11,
        F_MULTILINE = 1u << 12,
};

static const struct {
        const char *name;
        unsigned flag;
} rule_fields[] = {
        {"id", F_ID},
        {"title", F_TITLE},
        {"category", F_CATEGORY},
        {"severity", F_SEVERITY},
        {"regex", F_REGEX},
        {"secret-group", F_SECRET_GROUP},
        {"keywords", F_KEYWORDS},
        {"min-entropy", F_MIN_ENTROPY},
        {"allow", F_ALLOW},
        {"context", F_CONTEXT},
        {"context-window", F_CONTEXT_WINDOW},
        {"description", F_DESCRIPTION},
        {"multiline", F_MULTILINE},
};

static int parse_keywords(struct yp *y, struct secrets_rule *rule, const char *label) {
        int r = yp_expect(y, YAML_SEQUENCE_START_EVENT, "a list of keywords");
        if (r < 0)
                return r;
        for (;;) {
                r = yp_next(y);
                if (r < 0)
                        return r;
                if (y->ev.type == YAML_SEQUENCE_END_EVENT)
                        break;
                if (y->ev.type != YAML_SCALAR_EVENT)
                        return yp_error(y, "%s: keywords must be strings, found %s", label,
                                        event_name(y->ev.type));
                const char *v;
                r = yp_scalar(y, RULE_KEYWORD_LEN_MAX, "keyword", &v);
                if (r < 0)
                        return r;
                /* One- or two-byte keywords would hit everywhere and defeat the prefilter. */
                if (strlen(v) < 3)
                        return yp_error(y, "%s: keyword '%s' is shorter than 3 bytes", label, v);
                if (rule->keywords.n >= RULE_KEYWORDS_MAX)
                        return yp_error(y, "%s: more than %d keywords", label, RULE_KEYWORDS_MAX);
                const char *k = arena_strdup(y->e->arena, v);
                if (!k || VEC_PUSH(&rule->keywords, k) < 0)
                        return -ENOMEM;
        }
        if (rule->keywords.n == 0)
                return yp_error(y, "%s: 'keywords' is an empty list", label);
        return 0;
}

static int parse_rule(struct yp *y, size_t index) {
        struct secrets_engine *e = y->e;
        yaml_mark_t start = y->ev.start_mark, regex_mark = start, group_mark = start;
        char *secret_group = NULL;
        unsigned seen = 0;
        char lbuf[32];
        int r;

        struct secrets_rule *rule = VEC_NEW(&e->rules);
        if (!rule)
                return -ENOMEM;
        rule->line = (unsigned) start.line + 1;
        rule->column = (unsigned) start.column + 1;
        rule->context_window = RULE_CONTEXT_WINDOW_DEFAULT;

        for (;;) {
                r = yp_next(y);
                if (r < 0)
                        goto out;
                if (y->ev.type == YAML_MAPPING_END_EVENT)
                        break;
                char label[48];
                snprintf(label, sizeof label, "rule %s", rule_label(rule, index, lbuf));
                if (y->ev.type != YAML_SCALAR_EVENT) {
                        r = yp_error(y, "%s: expected a field name, found %s", label,
                                     event_name(y->ev.type));
                        goto out;
                }
                /* Copied: the event, and its text, go away with the next yp_next(). */
                char key[32];
                unsigned flag = 0;
                snprintf(key, sizeof key, "%s", (const char *) y->ev.data.scalar.value);
                for (size_t i = 0; i < ELEMENTSOF(rule_fields); i++)
                        if (streq((const char *) y->ev.data.scalar.value, rule_fields[i].name))
                                flag = rule_fields[i].flag;
                if (!flag) {
                        r = yp_error(y, "%s: unknown field '%.64s'", label,
                                     (const char *) y->ev.data.scalar.value);
                        goto out;
                }
                if (seen & flag) {
                        r = yp_error(y, "%s: duplicate field '%s'", label, key);
                        goto out;
                }
                seen |= flag;

                const char *v = NULL;
                if (flag == F_KEYWORDS) {
                        r = parse_keywords(y, rule, label);
                        if (r < 0)
                                goto out;
                        continue;
                }
                if (flag == F_ALLOW) {
                        r = parse_regex_list(y, label, RULE_ALLOW_MAX, &rule->allow.items, &rule->allow.n,
                                             &rule->allow.alloc);
                        if (r < 0)
                                goto out;
                        continue;
                }
                r = yp_next_scalar(y, flag == F_REGEX || flag == F_CONTEXT ? RULE_REGEX_MAX : 4096, key, &v);
                if (r < 0)
                        goto out;

                switch (flag) {
                case F_ID:
                        if (strlen(v) > RULE_ID_MAX || !id_valid(v)) {
                                r = yp_error(y,
                                             "%s: invalid id '%.80s' (lowercase letters, digits, '-', "
                                             "'_' and '.', at most %d bytes)",
                                             label, v, RULE_ID_MAX);
                                goto out;
                        }
                        for (size_t i = 0; i + 1 < e->rules.n; i++)
                                if (streq(e->rules.items[i].id, v)) {
                                        r = yp_error(y, "duplicate rule id '%s' (first defined at line %u)",
                                                     v, e->rules.items[i].line);
                                        goto out;
                                }
                        rule->id = arena_strdup(e->arena, v);
                        break;
                case F_TITLE:
                case F_CATEGORY: {
                        size_t max = flag == F_TITLE ? RULE_TITLE_MAX : RULE_CATEGORY_MAX;
                        if (!*v || strlen(v) > max || !text_valid(v)) {
                                r = yp_error(y, "%s: '%s' must be one line of 1 to %zu bytes", label, key,
                                             max);
                                goto out;
                        }
                        const char *s = arena_strdup(e->arena, v);
                        if (flag == F_TITLE)
                                rule->title = s;
                        else
                                rule->category = s;
                        break;
                }
                case F_SEVERITY:
                        rule->severity = severity_from_string(v);
                        if (rule->severity == SEV_UNKNOWN) {
                                r = yp_error(y,
                                             "%s: invalid severity '%.32s' (expected LOW, MEDIUM, HIGH "
                                             "or CRITICAL)",
                                             label, v);
                                goto out;
                        }
                        break;
                case F_REGEX:
                        regex_mark = y->ev.start_mark;
                        rule->regex_line = (unsigned) regex_mark.line + 1;
                        rule->regex_column = (unsigned) regex_mark.column + 1;
                        if (!*v) {
                                r = yp_error(y, "%s: empty regex", label);
                                goto out;
                        }
                        rule->regex = arena_strdup(e->arena, v);
                        if (!rule->regex) {
                                r = -ENOMEM;
                                goto out;
                        }
                        r = compile_regex(y, v, PCRE2_MULTILINE | PCRE2_DUPNAMES, label, "regex", &rule->re);
                        if (r < 0)
                                goto out;
                        break;
                case F_SECRET_GROUP:
                        group_mark = y->ev.start_mark;
                        secret_group = strdup(v);
                        if (!secret_group) {
                                r = -ENOMEM;
                                goto out;
                        }
                        break;
                case F_MIN_ENTROPY:
                        if (parse_double(v, 0, 8, &rule->min_entropy) < 0) {
                                r = yp_error(y,
                                             "%s: min-entropy '%.32s' is not a number from 0 to 8 "
                                             "(bits per byte)",
                                             label, v);
                                goto out;
                        }
                        break;
                case F_CONTEXT:
                        r = compile_regex(y, v, PCRE2_MULTILINE, label, "context regex", &rule->context);
                        if (r < 0)
                                goto out;
                        break;
                case F_CONTEXT_WINDOW: {
                        unsigned long w;
                        if (parse_uint(v, 1, RULE_CONTEXT_WINDOW_MAX, &w) < 0) {
                                r = yp_error(y,
                                             "%s: context-window '%.32s' is not a byte count from 1 to %d",
                                             label, v, RULE_CONTEXT_WINDOW_MAX);
                                goto out;
                        }
                        rule->context_window = (uint32_t) w;
                        break;
                }
                case F_DESCRIPTION: break;
                case F_MULTILINE:
                        if (streq(v, "true") || streq(v, "yes"))
                                rule->multiline = true;
                        else if (streq(v, "false") || streq(v, "no"))
                                rule->multiline = false;
                        else {
                                r = yp_error(y, "%s: multiline '%.32s' is not true or false", label, v);
                                goto out;
                        }
                        break;
                }
                if ((flag == F_ID && !rule->id) || (flag == F_TITLE && !rule->title) ||
                    (flag == F_CATEGORY && !rule->category)) {
                        r = -ENOMEM;
                        goto out;
                }
        }

        static const struct {
                unsigned flag;
                const char *name;
        } required[] = {
                {F_ID, "id"},       {F_TITLE, "title"}, {F_CATEGORY, "category"}, {F_SEVERITY, "severity"},
                {F_REGEX, "regex"},
        };
        for (size_t i = 0; i < ELEMENTSOF(required); i++)
                if (!(seen & required[i].flag)) {
                        r = yp_error_at(y, start, "rule %s: missing '%s'", rule_label(rule, index, lbuf),
                                        required[i].name);
                        goto out;
                }
        r = resolve_secret_group(y, rule, secret_group, group_mark, rule_label(rule, index, lbuf));
out:
        free(secret_group);
        return r;
}

static int parse_rules(struct yp *y) {
        int r = yp_expect(y, YAML_SEQUENCE_START_EVENT, "a list of rules");
        if (r < 0)
                return r;
        for (size_t i = 0;; i++) {
                r = yp_next(y);
                if (r < 0)
                        return r;
                if (y->ev.type == YAML_SEQUENCE_END_EVENT)
                        return 0;
                if (y->ev.type != YAML_MAPPING_START_EVENT)
                        return yp_error(y, "rule #%zu: expected a mapping, found %s", i + 1,
                                        event_name(y->ev.type));
                if (y->e->rules.n >= RULES_MAX)
                        return yp_error(y, "more than %d rules", RULES_MAX);
                r = parse_rule(y, i);
                if (r < 0)
                        return r;
        }
}

static int parse_document(struct yp *y) {
        bool seen_rules = false, seen_allow = false, seen_version = false;
        int r;

        r = yp_expect(y, YAML_STREAM_START_EVENT, "the start of the file");
        if (r < 0)
                return r;
        r = yp_next(y);
        if (r < 0)
                return r;
        if (y->ev.type != YAML_DOCUMENT_START_EVENT)
                return yp_error(y, "the rules file is empty");
        r = yp_expect(y, YAML_MAPPING_START_EVENT, "a mapping with 'rules'");
        if (r < 0)
                return r;
        yaml_mark_t top = y->ev.start_mark;

        for (;;) {
                r = yp_next(y);
                if (r < 0)
                        return r;
                if (y->ev.type == YAML_MAPPING_END_EVENT)
                        break;
                if (y->ev.type != YAML_SCALAR_EVENT)
                        return yp_error(y, "expected a field name, found %s", event_name(y->ev.type));
                const char *key = (const char *) y->ev.data.scalar.value;
                if (streq(key, "version")) {
                        if (seen_version)
                                return yp_error(y, "duplicate field 'version'");
                        seen_version = true;
                        const char *v;
                        r = yp_next_scalar(y, 32, "version", &v);
                        if (r < 0)
                                return r;
                        if (!streq(v, "1"))
                                return yp_error(y,
                                                "unsupported rules format version '%s' (this stockade reads "
                                                "version 1)",
                                                v);
                } else if (streq(key, "allow")) {
                        if (seen_allow)
                                return yp_error(y, "duplicate field 'allow'");
                        seen_allow = true;
                        r = parse_regex_list(y, "global allow-list", RULES_GLOBAL_ALLOW_MAX,
                                             &y->e->allow.items, &y->e->allow.n, &y->e->allow.alloc);
                        if (r < 0)
                                return r;
                } else if (streq(key, "rules")) {
                        if (seen_rules)
                                return yp_error(y, "duplicate field 'rules'");
                        seen_rules = true;
                        r = parse_rules(y);
                        if (r < 0)
                                return r;
                } else
                        return yp_error(y,
                                        "unknown top-level field '%.64s' (expected version, allow or rules)",
                                        key);
        }
        if (!seen_rules || y->e->rules.n == 0)
                return yp_error_at(y, top, "no rules defined");

        r = yp_expect(y, YAML_DOCUMENT_END_EVENT, "the end of the document");
        if (r < 0)
                return r;
        r = yp_next(y);
        if (r < 0)
                return r;
        if (y->ev.type != YAML_STREAM_END_EVENT)
                return yp_error(y, "a rules file holds one YAML document");
        return 0;
}

int secrets_rules_parse(struct secrets_engine *e, const char *name, const void *data, size_t n,
                        struct diag *d) {
        struct yp y = {.name = name, .d = d, .e = e};

        if (n > RULES_FILE_MAX)
                return diag_error(d, -E2BIG, "%s: rules file is larger than %llu bytes", name,
                                  (unsigned long long) RULES_FILE_MAX);
        if (!yaml_parser_initialize(&y.parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&y.parser, data, n);
        int r = parse_document(&y);
        if (y.have_ev)
                yaml_event_delete(&y.ev);
        yaml_parser_delete(&y.parser);
        return r;
}
