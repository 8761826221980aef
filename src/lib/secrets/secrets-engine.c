/* SPDX-License-Identifier: Apache-2.0 */
/* Loading rules and compiling them into one hyperscan database, and the per-thread scratch. */

#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "secrets-internal.h"


double secrets_entropy(const uint8_t *p, size_t n) {
        size_t count[256] = {0};
        double h = 0;

        n = MIN(n, (size_t) SECRETS_ENTROPY_MAX_BYTES);
        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                count[p[i]]++;
        for (size_t i = 0; i < 256; i++)
                if (count[i]) {
                        double f = (double) count[i] / (double) n;
                        h -= f * log2(f);
                }
        return h;
}

char *secrets_regex_for_hyperscan(const char *re) {
        size_t n = strlen(re);
        char *out = malloc(n + 1), *o = out;
        bool in_class = false, quoted = false;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                char c = re[i];
                if (quoted) { /* \Q…\E: literal text */
                        if (c == '\\' && i + 1 < n && re[i + 1] == 'E')
                                quoted = false;
                } else if (c == '\\' && i + 1 < n) {
                        if (re[i + 1] == 'Q')
                                quoted = true;
                        *o++ = c;
                        c = re[++i];
                } else if (in_class) {
                        if (c == ']')
                                in_class = false;
                        else if (c == '[' && i + 1 < n && re[i + 1] == ':') {
                                /* [:alpha:] inside a class: copy through its closing ":]" */
                                const char *end = strstr(re + i + 2, ":]");
                                if (end) {
                                        size_t k = (size_t) (end - (re + i)) + 2;
                                        memcpy(o, re + i, k);
                                        o += k;
                                        i += k - 1;
                                        continue;
                                }
                        }
                } else if (c == '[') {
                        in_class = true;
                        *o++ = c;
                        /* A ']' right after '[' or '[^' is a literal member. */
                        if (i + 1 < n && re[i + 1] == '^')
                                *o++ = re[++i];
                        if (i + 1 < n && re[i + 1] == ']')
                                *o++ = re[++i];
                        continue;
                } else if (c == '(' && i + 2 < n && re[i + 1] == '?') {
                        size_t name = 0;
                        char close = '>';
                        if (re[i + 2] == 'P' && i + 3 < n && re[i + 3] == '<')
                                name = i + 4;
                        else if (re[i + 2] == '<' && i + 3 < n && re[i + 3] != '=' && re[i + 3] != '!')
                                name = i + 3;
                        else if (re[i + 2] == '\'') {
                                name = i + 3;
                                close = '\'';
                        }
                        if (name) {
                                size_t k = name;
                                while (k < n && (re[k] == '_' || (re[k] >= '0' && re[k] <= '9') ||
                                                 ((re[k] | 0x20) >= 'a' && (re[k] | 0x20) <= 'z')))
                                        k++;
                                if (k > name && k < n && re[k] == close) {
                                        *o++ = '(';
                                        i = k;
                                        continue;
                                }
                        }
                }
                *o++ = c;
        }
        *o = 0;
        return out;
}

/* Hyperscan's view of a keyword: every byte escaped, so any text is a literal. */
static char *keyword_expression(const char *k) {
        size_t n = strlen(k);
        char *out = malloc(n * 4 + 1);
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++)
                snprintf(out + i * 4, 5, "\\x%02x", (unsigned char) k[i]);
        return out;
}

static int rule_error(struct diag *d, const char *name, const struct secrets_rule *rule, const char *fmt,
                      ...) _printf_(4, 5);
static int rule_error(struct diag *d, const char *name, const struct secrets_rule *rule, const char *fmt,
                      ...) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return diag_error(d, -EINVAL, "%s:%u:%u: rule '%s': %s", name, rule->regex_line, rule->regex_column,
                          rule->id, msg);
}

/* Picks each rule's first mode from what hyperscan says about its regex alone (cheap: no compile). */
static int classify_rule(struct secrets_rule *rule, const char *hsre, const char *name, struct diag *d) {
        hs_expr_info_t *info = NULL;
        hs_compile_error_t *err = NULL;

        if (rule->keywords.n > 0) {
                rule->mode = MODE_WINDOW;
                return 0;
        }
        if (hs_expression_info(hsre, HS_FLAG_MULTILINE, &info, &err) == HS_SUCCESS) {
                bool empty = info->min_width == 0;
                /* Start-of-match tracking slows the whole database down several times over, so only
                 * rules whose matches may span lines (and so cannot be verified by their end's line)
                 * get it. */
                if (info->min_width == info->max_width)
                        rule->mode = MODE_FIXED;
                else
                        rule->mode = rule->multiline ? MODE_SOM : MODE_WINDOW;
                rule->width = info->min_width;
                free(info);
                if (empty)
                        return rule_error(d, name, rule, "regex can match the empty string");
                return 0;
        }
        hs_free_compile_error(err);
        err = NULL;
        /* Constructs hyperscan lacks (lookaround, back-references, atomic groups): match a superset and
         * let PCRE2 decide on the lines it reports. */
        if (hs_expression_info(hsre, HS_FLAG_MULTILINE | HS_FLAG_PREFILTER, &info, &err) == HS_SUCCESS) {
                bool empty = info->min_width == 0;
                free(info);
                if (empty)
                        return rule_error(d, name, rule, "regex can match the empty string");
                rule->mode = MODE_WINDOW;
                rule->prefilter = true;
                return 0;
        }
        int r = rule_error(
                d, name, rule,
                "regex cannot be used by the multi-pattern matcher (%s); add 'keywords' to find it "
                "by literal prefilter instead",
                err ? err->message : "unknown error");
        hs_free_compile_error(err);
        return r;
}

static unsigned rule_hs_flags(const struct secrets_rule *rule) {
        if (rule->keywords.n > 0)
                return HS_FLAG_CASELESS;
        unsigned f = HS_FLAG_MULTILINE;
        if (rule->mode == MODE_SOM)
                f |= HS_FLAG_SOM_LEFTMOST;
        if (rule->prefilter)
                f |= HS_FLAG_PREFILTER;
        return f;
}

/* After the database refused a rule's expression: the next, cheaper way to match it, or false. */
static bool downgrade_rule(struct secrets_rule *rule) {
        if (rule->keywords.n > 0)
                return false;
        switch (rule->mode) {
        case MODE_FIXED:
        case MODE_SOM:
                /* Start-of-match tracking makes large bounded repeats explode: find ends only. */
                rule->mode = MODE_WINDOW;
                return true;
        case MODE_WINDOW:
                if (rule->prefilter)
                        return false;
                rule->prefilter = true;
                return true;
        }
        return false;
}

int secrets_engine_compile(struct secrets_engine *e, const char *name, struct diag *d) {
        VEC(char *) exprs = {0};
        VEC(unsigned) flags = {0};
        VEC(unsigned) ids = {0};
        int r = 0;

        for (size_t i = 0; i < e->rules.n; i++) {
                struct secrets_rule *rule = &e->rules.items[i];
                uint32_t cc = 0;
                (void) pcre2_pattern_info(rule->re, PCRE2_INFO_CAPTURECOUNT, &cc);
                e->max_groups = MAX(e->max_groups, cc);

                _cleanup_free_ char *hsre = secrets_regex_for_hyperscan(rule->regex);
                if (!hsre) {
                        r = -ENOMEM;
                        goto out;
                }
                r = classify_rule(rule, hsre, name, d);
                if (r < 0)
                        goto out;
                if (rule->keywords.n == 0) {
                        if (VEC_PUSH(&exprs, TAKE_PTR(hsre)) < 0 ||
                            VEC_PUSH(&e->patterns, ((struct secrets_pattern){(uint32_t) i})) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        continue;
                }
                for (size_t k = 0; k < rule->keywords.n; k++) {
                        char *x = keyword_expression(rule->keywords.items[k]);
                        if (!x || VEC_PUSH(&exprs, x) < 0) {
                                free(x);
                                r = -ENOMEM;
                                goto out;
                        }
                        if (VEC_PUSH(&e->patterns, ((struct secrets_pattern){(uint32_t) i})) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                }
        }

        if (VEC_RESERVE(&flags, exprs.n) < 0 || VEC_RESERVE(&ids, exprs.n) < 0) {
                r = -ENOMEM;
                goto out;
        }
        for (;;) {
                hs_compile_error_t *err = NULL;
                flags.n = ids.n = 0;
                for (size_t k = 0; k < exprs.n; k++) {
                        flags.items[flags.n++] = rule_hs_flags(&e->rules.items[e->patterns.items[k].rule]);
                        ids.items[ids.n++] = (unsigned) k;
                }
                if (hs_compile_multi((const char *const *) exprs.items, flags.items, ids.items,
                                     (unsigned) exprs.n, HS_MODE_BLOCK, NULL, &e->db, &err) == HS_SUCCESS)
                        break;
                if (err->expression < 0 || (size_t) err->expression >= exprs.n) {
                        r = diag_error(d, -EINVAL, "%s: cannot build the secret matcher: %s", name,
                                       err->message);
                        hs_free_compile_error(err);
                        goto out;
                }
                struct secrets_rule *rule = &e->rules.items[e->patterns.items[err->expression].rule];
                if (!downgrade_rule(rule)) {
                        r = rule_error(
                                d, name, rule,
                                "regex cannot be used by the multi-pattern matcher (%s); add 'keywords' "
                                "to find it by literal prefilter instead",
                                err->message);
                        hs_free_compile_error(err);
                        goto out;
                }
                hs_free_compile_error(err);
        }
out:
        for (size_t k = 0; k < exprs.n; k++)
                free(exprs.items[k]);
        VEC_FREE(&exprs);
        VEC_FREE(&flags);
        VEC_FREE(&ids);
        return r;
}

int secrets_read_rules_file(const char *path, struct diag *d, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;

        if (fd < 0)
                return diag_error(d, negative_errno(), "cannot open rules file '%s': %s", path,
                                  strerror(errno));
        if (fstat(fd, &st) < 0)
                return diag_error(d, negative_errno(), "cannot stat rules file '%s': %s", path,
                                  strerror(errno));
        if (!S_ISREG(st.st_mode))
                return diag_error(d, -EINVAL, "rules file '%s' is not a regular file", path);
        if ((uint64_t) st.st_size > RULES_FILE_MAX)
                return diag_error(d, -E2BIG, "rules file '%s' is larger than %llu bytes", path,
                                  (unsigned long long) RULES_FILE_MAX);

        /* Read to the cap, not to st_size: the file may grow under us. */
        _cleanup_free_ char *buf = malloc(RULES_FILE_MAX + 1);
        size_t len = 0;
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + len, RULES_FILE_MAX + 1 - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return diag_error(d, negative_errno(), "cannot read rules file '%s': %s", path,
                                          strerror(errno));
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > RULES_FILE_MAX)
                        return diag_error(d, -E2BIG, "rules file '%s' is larger than %llu bytes", path,
                                          (unsigned long long) RULES_FILE_MAX);
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int secrets_engine_parse_only(const char *name, const void *data, size_t n, struct diag *d,
                              struct secrets_engine **ret) {
        _cleanup_(secrets_engine_freep) struct secrets_engine *e = calloc(1, sizeof *e);
        int r;

        if (!e)
                return -ENOMEM;
        e->arena = arena_new(4 * MiB);
        if (!e->arena)
                return -ENOMEM;
        r = sha256_str(data, n, e->digest);
        if (r < 0)
                return r;
        r = secrets_rules_parse(e, name, data, n, d);
        if (r < 0)
                return r;
        if (arena_exhausted(e->arena))
                return -ENOMEM;
        *ret = TAKE_PTR(e);
        return 0;
}

int secrets_engine_load_data(const char *name, const void *data, size_t n, struct diag *d,
                             struct secrets_engine **ret) {
        _cleanup_(secrets_engine_freep) struct secrets_engine *e = NULL;
        int r = secrets_engine_parse_only(name, data, n, d, &e);
        if (r < 0)
                return r;
        r = secrets_engine_compile(e, name, d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(e);
        return 0;
}

int secrets_engine_load(const char *path, struct diag *d, struct secrets_engine **ret) {
        if (!path)
                return secrets_engine_load_data(BUILTIN_NAME, secrets_default_rules,
                                                secrets_default_rules_len, d, ret);

        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        int r = secrets_read_rules_file(path, d, &data, &n);
        if (r < 0)
                return r;
        return secrets_engine_load_data(path, data, n, d, ret);
}

void secrets_engine_free(struct secrets_engine *e) {
        if (!e)
                return;
        VEC_FOREACH (rule, &e->rules) {
                pcre2_code_free(rule->re);
                pcre2_code_free(rule->context);
                VEC_FOREACH (a, &rule->allow)
                        pcre2_code_free(*a);
                VEC_FREE(&rule->allow);
                VEC_FREE(&rule->keywords);
        }
        VEC_FREE(&e->rules);
        VEC_FOREACH (a, &e->allow)
                pcre2_code_free(*a);
        VEC_FREE(&e->allow);
        VEC_FREE(&e->patterns);
        hs_free_database(e->db);
        arena_free(e->arena);
        free(e);
}

const char *secrets_engine_digest(const struct secrets_engine *e) {
        return e->digest;
}

size_t secrets_engine_rule_count(const struct secrets_engine *e) {
        return e->rules.n;
}

const char *secrets_engine_rule_id(const struct secrets_engine *e, size_t i) {
        return i < e->rules.n ? e->rules.items[i].id : NULL;
}
