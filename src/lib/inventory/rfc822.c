/* SPDX-License-Identifier: Apache-2.0 */
#include <strings.h>

#include "rfc822.h"

void rfc822_init(struct rfc822 *r, const char *data, size_t n, unsigned flags) {
        *r = (struct rfc822){.p = data, .end = data + n, .flags = flags, .line = 1};
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static bool all_blank(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!is_blank(s[i]))
                        return false;
        return true;
}

/* The line at *p: its content without the line end (and without a trailing CR), and where the next
 * line starts. */
static void line_at(const char *p, const char *end, size_t *ret_len, const char **ret_next) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        const char *e = nl ? nl : end;
        *ret_next = nl ? nl + 1 : end;
        if (e > p && e[-1] == '\r')
                e--;
        *ret_len = (size_t) (e - p);
}

static bool name_ok(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c <= ' ' || c >= 0x7f)
                        return false;
        }
        return true;
}

enum rfc822_event rfc822_next(struct rfc822 *r, struct rfc822_field *ret) {
        for (;;) {
                if (r->p >= r->end) {
                        if (r->in_stanza) {
                                r->in_stanza = false;
                                return RFC822_END;
                        }
                        return RFC822_EOF;
                }

                const char *s = r->p, *next;
                size_t len;
                unsigned lineno = r->line;
                line_at(s, r->end, &len, &next);

                bool blank = all_blank(s, len);
                if (len == 0 || (blank && (r->flags & RFC822_BLANK_LINE_BREAKS))) {
                        r->p = next;
                        r->line++;
                        if (r->in_stanza) {
                                r->in_stanza = false;
                                return RFC822_END;
                        }
                        continue;
                }
                if ((r->flags & RFC822_COMMENTS) && s[0] == '#') {
                        r->p = next;
                        r->line++;
                        continue;
                }

                r->p = next;
                r->line++;
                const char *colon = is_blank(s[0]) ? NULL : memchr(s, ':', len);
                if (!colon || !name_ok(s, (size_t) (colon - s))) {
                        /* An orphan continuation line or a line without a field name. It belongs to a
                         * stanza all the same, which an RFC822_END will close. */
                        r->in_stanza = true;
                        *ret = (struct rfc822_field){.line = lineno};
                        return RFC822_BAD_LINE;
                }

                struct rfc822_field f = {
                        .name = s,
                        .name_len = (size_t) (colon - s),
                        .value = colon + 1,
                        .value_len = len - (size_t) (colon + 1 - s),
                        .raw = colon + 1,
                        .line = lineno,
                };
                const char *raw_end = s + len;
                text_trim(&f.value, &f.value_len);

                /* Continuation lines: anything that starts with a blank, up to a separator. */
                while (r->p < r->end && is_blank(r->p[0])) {
                        size_t cl;
                        line_at(r->p, r->end, &cl, &next);
                        if ((r->flags & RFC822_BLANK_LINE_BREAKS) && all_blank(r->p, cl))
                                break;
                        raw_end = r->p + cl;
                        r->p = next;
                        r->line++;
                        f.n_cont++;
                }
                f.raw_len = (size_t) (raw_end - f.raw);
                r->in_stanza = true;
                *ret = f;
                return RFC822_FIELD;
        }
}

bool rfc822_name_is(const struct rfc822_field *f, const char *name) {
        return span_eq_nocase(f->name, f->name_len, name);
}

bool rfc822_next_cont(const struct rfc822_field *f, const char **pos, const char **ret_line,
                      size_t *ret_len) {
        const char *end = f->raw + f->raw_len;
        const char *p = *pos;

        if (!p) {
                /* Skip the rest of the first line. */
                const char *nl = memchr(f->raw, '\n', f->raw_len);
                if (!nl)
                        return false;
                p = nl + 1;
        }
        if (p >= end)
                return false;

        const char *next;
        size_t len;
        line_at(p, end, &len, &next);
        const char *s = p;
        while (len > 0 && is_blank(*s)) {
                s++;
                len--;
        }
        *ret_line = s;
        *ret_len = len;
        *pos = next;
        return true;
}

void text_trim(const char **s, size_t *n) {
        const char *p = *s;
        size_t len = *n;
        while (len > 0 && (is_blank(p[0]) || p[0] == '\r'))
                p++, len--;
        while (len > 0 && (is_blank(p[len - 1]) || p[len - 1] == '\r'))
                len--;
        *s = p;
        *n = len;
}

bool text_utf8_valid(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;
        size_t i = 0;

        while (i < n) {
                unsigned char c = p[i];
                if (c < 0x80) {
                        i++;
                        continue;
                }
                size_t k;
                uint32_t cp;
                if (c >= 0xc2 && c <= 0xdf) {
                        k = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        k = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        k = 3;
                        cp = c & 0x07;
                } else
                        return false;
                if (n - i <= k)
                        return false;
                for (size_t j = 1; j <= k; j++) {
                        if ((p[i + j] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i + j] & 0x3f);
                }
                if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += k + 1;
        }
        return true;
}

static bool text_ok(const char *s, size_t n, size_t max, bool allow_space) {
        if (n == 0 || n > max)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c == 0x7f || (c == ' ' && !allow_space))
                        return false;
        }
        return text_utf8_valid(s, n);
}

bool text_field_ok(const char *s, size_t n, size_t max) {
        return text_ok(s, n, max, true);
}

bool text_token_ok(const char *s, size_t n, size_t max) {
        return text_ok(s, n, max, false);
}

bool span_eq_nocase(const char *s, size_t n, const char *lit) {
        return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}
