/* SPDX-License-Identifier: Apache-2.0 */
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "buf.h"
#include "core/digest.h"
#include "hashmap.h"
#include "report-internal.h"

/* ---- formats ---- */

static const struct {
        const char *name;
        enum report_format format;
} format_names[] = {
        { "table", REPORT_TABLE },
        { "json", REPORT_JSON },
        { "sarif", REPORT_SARIF },
        { "cyclonedx", REPORT_CYCLONEDX },
        { "cyclonedx-json", REPORT_CYCLONEDX },
        { "spdx", REPORT_SPDX },
        { "spdx-json", REPORT_SPDX },
};

int report_format_from_string(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(format_names); i++)
                if (strcasecmp(s, format_names[i].name) == 0)
                        return (int) format_names[i].format;
        return -EINVAL;
}

const char *report_format_to_string(enum report_format f) {
        for (size_t i = 0; i < ELEMENTSOF(format_names); i++)
                if (format_names[i].format == f)
                        return format_names[i].name;
        return NULL;
}

int report_write(FILE *f, enum report_format fmt, const struct scan_result *r,
                 const struct report_options *o) {
        static const struct report_options defaults = { .kind = REPORT_KIND_SBOM };

        if (!f || !r || !r->image)
                return -EINVAL;
        if (!o)
                o = &defaults;
        switch (fmt) {
        case REPORT_TABLE: return report_write_table(f, r, o);
        case REPORT_JSON: return report_write_json(f, r, o);
        case REPORT_SARIF: return report_write_sarif(f, r, o);
        case REPORT_CYCLONEDX: return report_write_cyclonedx(f, r, o);
        case REPORT_SPDX: return report_write_spdx(f, r, o);
        }
        return -EINVAL;
}

/* ---- text ---- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629, table 3-7 of Unicode), 0 if there is none.
 * *ret_cp gets the code point. */
static size_t utf8_decode(const unsigned char *p, uint32_t *ret_cp) {
        unsigned char c = p[0];
        if (c < 0x80) {
                *ret_cp = c;
                return 1;
        }
        if (c >= 0xc2 && c <= 0xdf) {
                if ((p[1] & 0xc0) != 0x80)
                        return 0;
                *ret_cp = (uint32_t) (c & 0x1f) << 6 | (p[1] & 0x3f);
                return 2;
        }
        if (c >= 0xe0 && c <= 0xef) {
                unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
                if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
                        return 0;
                *ret_cp = (uint32_t) (c & 0x0f) << 12 | (uint32_t) (p[1] & 0x3f) << 6 | (p[2] & 0x3f);
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
                if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
                        return 0;
                *ret_cp = (uint32_t) (c & 0x07) << 18 | (uint32_t) (p[1] & 0x3f) << 12 |
                          (uint32_t) (p[2] & 0x3f) << 6 | (p[3] & 0x3f);
                return 4;
        }
        return 0;
}

/* The NUL terminator stops every check above before it reads past the string: a NUL byte is never a
 * continuation byte. */

#define REPLACEMENT "\xef\xbf\xbd"

/* Appends s, sanitized, to b. */
static int sanitize_buf(const char *s, bool terminal, struct buf *b) {
        int r = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p && r >= 0;) {
                uint32_t cp;
                size_t n = utf8_decode(p, &cp);
                if (n == 0) {
                        r = buf_append(b, REPLACEMENT, 3);
                        p++;
                        continue;
                }
                if (terminal) {
                        static const char short_esc[] = { ['\n'] = 'n', ['\t'] = 't', ['\r'] = 'r' };
                        if (cp < 0x20 || cp == 0x7f) {
                                if (cp < sizeof short_esc && short_esc[cp])
                                        r = buf_printf(b, "\\%c", short_esc[cp]);
                                else
                                        r = buf_printf(b, "\\x%02x", (unsigned) cp);
                                p += n;
                                continue;
                        }
                        if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
                            (cp >= 0x2066 && cp <= 0x2069)) {
                                r = buf_printf(b, "\\u%04x", (unsigned) cp);
                                p += n;
                                continue;
                        }
                }
                r = buf_append(b, p, n);
                p += n;
        }
        return r;
}

static bool utf8_valid(const char *s) {
        uint32_t cp;
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_decode(p, &cp);
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

static char *sanitize(struct arena *a, const char *s, bool terminal) {
        if (!s)
                return NULL;
        struct buf b = BUF_INIT(0);
        int r = sanitize_buf(s, terminal, &b);
        char *out = r >= 0 ? arena_strndup(a, b.data ? b.data : "", b.len) : NULL;
        buf_free(&b);
        return out;
}

char *report_utf8(struct arena *a, const char *s) {
        return sanitize(a, s, false);
}

char *report_term(struct arena *a, const char *s) {
        return sanitize(a, s, true);
}

size_t report_text_width(const char *s) {
        size_t w = 0;
        for (; s && *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        w++;
        return w;
}

const char *report_truncate(struct arena *a, const char *s, size_t max, bool from_left) {
        static const char ellipsis[] = "\xe2\x80\xa6";
        size_t w = report_text_width(s);

        if (!s || w <= max || max == 0)
                return s;
        size_t keep = max - 1, skip = from_left ? w - keep : keep;
        /* Find the byte offset of code point `skip`. */
        const char *p = s;
        for (size_t i = 0; *p; p++) {
                if (((unsigned char) *p & 0xc0) != 0x80) {
                        if (i == skip)
                                break;
                        i++;
                }
        }
        size_t off = (size_t) (p - s);
        if (from_left)
                return arena_printf(a, "%s%s", ellipsis, s + off);
        return arena_printf(a, "%.*s%s", (int) off, s, ellipsis);
}

char *report_idstring(struct arena *a, const char *s, size_t max) {
        struct buf b = BUF_INIT(0);
        int r = 0;
        bool dash = true; /* no leading '-' */

        for (const char *p = s ? s : ""; *p && r >= 0 && b.len < max; p++) {
                char c = *p;
                if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.') {
                        r = buf_append_char(&b, c);
                        dash = false;
                } else if (c == '+') {
                        r = buf_append_str(&b, dash ? "plus" : "-plus");
                        dash = false;
                } else if (!dash) {
                        r = buf_append_char(&b, '-');
                        dash = true;
                }
        }
        if (r >= 0 && b.len > max)
                b.len = max;
        while (b.len > 0 && b.data[b.len - 1] == '-')
                b.len--;
        char *out = r < 0 ? NULL : b.len == 0 ? arena_strdup(a, "unknown") : arena_strndup(a, b.data, b.len);
        buf_free(&b);
        return out;
}

/* ---- JSON ---- */

json_t *rj_str(const char *s) {
        if (!s)
                return NULL;
        if (utf8_valid(s)) /* the common case: no copy */
                return json_string_nocheck(s);
        struct buf b = BUF_INIT(0);
        json_t *j =
                sanitize_buf(s, false, &b) >= 0 ? json_stringn_nocheck(b.data ? b.data : "", b.len) : NULL;
        buf_free(&b);
        return j;
}

int rj_set(json_t *obj, const char *key, json_t *value) {
        if (!value)
                return -ENOMEM;
        return json_object_set_new(obj, key, value) < 0 ? -ENOMEM : 0;
}

int rj_set_str(json_t *obj, const char *key, const char *s) {
        return s ? rj_set(obj, key, rj_str(s)) : 0;
}

int rj_append(json_t *arr, json_t *value) {
        if (!value)
                return -ENOMEM;
        return json_array_append_new(arr, value) < 0 ? -ENOMEM : 0;
}

json_t *rj_strv(const char *const *v) {
        json_t *arr = json_array();
        for (; arr && v && *v; v++)
                if (rj_append(arr, rj_str(*v)) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        return arr;
}

/* A serializer for the trees the writers build, byte for byte what json_dumps(doc, JSON_INDENT(2))
 * writes (the golden tests hold it to that) except for reals, which are written in their shortest exact
 * form; several times faster: no intermediate string, one buffer, strings scanned once. Objects are
 * written in insertion order, as jansson keeps them. */
static void put_str(struct buf *b, const char *s, size_t n) {
        static const char hex[] = "0123456789ABCDEF";
        const char *run = s, *end = s + n;
        buf_append_char(b, '"');
        for (const char *p = s; p < end; p++) {
                unsigned char c = (unsigned char) *p;
                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                buf_append(b, run, (size_t) (p - run));
                run = p + 1;
                switch (c) {
                case '"': buf_append(b, "\\\"", 2); break;
                case '\\': buf_append(b, "\\\\", 2); break;
                case '\b': buf_append(b, "\\b", 2); break;
                case '\f': buf_append(b, "\\f", 2); break;
                case '\n': buf_append(b, "\\n", 2); break;
                case '\r': buf_append(b, "\\r", 2); break;
                case '\t': buf_append(b, "\\t", 2); break;
                default: {
                        char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                        buf_append(b, u, 6);
                }
                }
        }
        buf_append(b, run, (size_t) (end - run));
        buf_append_char(b, '"');
}

static void put_indent(struct buf *b, unsigned depth) {
        static const char spaces[] = "                                                                ";
        size_t n = (size_t) depth * 2;
        buf_append_char(b, '\n');
        while (n > 0) {
                size_t k = MIN(n, sizeof spaces - 1);
                buf_append(b, spaces, k);
                n -= k;
        }
}

static int put_value(struct buf *b, const json_t *v, unsigned depth) {
        char num[64];
        switch (json_typeof(v)) {
        case JSON_OBJECT: {
                if (json_object_size(v) == 0)
                        return buf_append(b, "{}", 2);
                buf_append_char(b, '{');
                const char *key;
                json_t *val;
                bool first = true;
                json_object_foreach((json_t *) v, key, val) {
                        if (!first)
                                buf_append_char(b, ',');
                        first = false;
                        put_indent(b, depth + 1);
                        put_str(b, key, strlen(key));
                        buf_append(b, ": ", 2);
                        int r = put_value(b, val, depth + 1);
                        if (r < 0)
                                return r;
                }
                put_indent(b, depth);
                return buf_append_char(b, '}');
        }
        case JSON_ARRAY: {
                size_t n = json_array_size(v);
                if (n == 0)
                        return buf_append(b, "[]", 2);
                buf_append_char(b, '[');
                for (size_t i = 0; i < n; i++) {
                        if (i)
                                buf_append_char(b, ',');
                        put_indent(b, depth + 1);
                        int r = put_value(b, json_array_get(v, i), depth + 1);
                        if (r < 0)
                                return r;
                }
                put_indent(b, depth);
                return buf_append_char(b, ']');
        }
        case JSON_STRING:
                put_str(b, json_string_value(v), json_string_length(v));
                return 0;
        case JSON_INTEGER:
                snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return buf_append_str(b, num);
        case JSON_REAL: {
                /* The shortest text that reads back as the same double (CVSS scores: "9.8", not jansson's
                 * "9.8000000000000007"), always with a '.' or an exponent so that it stays a real. */
                double d = json_real_value(v);
                if (d != d || d - d != 0)
                        return -EINVAL; /* NaN and infinities are not JSON */
                for (int prec = 1; prec <= 17; prec++) {
                        snprintf(num, sizeof num, "%.*g", prec, d);
                        if (strtod(num, NULL) == d)
                                break;
                }
                if (!strpbrk(num, ".eE"))
                        strcat(num, ".0");
                return buf_append_str(b, num);
        }
        case JSON_TRUE: return buf_append(b, "true", 4);
        case JSON_FALSE: return buf_append(b, "false", 5);
        case JSON_NULL: return buf_append(b, "null", 4);
        }
        return -EINVAL;
}

/* ---- streaming JSON, same bytes as the tree serializer ---- */

void jw_init(struct jw *w) {
        memset(w, 0, sizeof *w);
        w->b = BUF_INIT(0);
}

static void jw_sep(struct jw *w) {
        if (w->depth == 0)
                return;
        if (!w->empty[w->depth])
                buf_append_char(&w->b, ',');
        w->empty[w->depth] = false;
        put_indent(&w->b, w->depth);
}

void jw_begin(struct jw *w, char open) {
        buf_append_char(&w->b, open);
        if (w->depth + 1 >= ELEMENTSOF(w->empty)) {
                w->error = -E2BIG;
                return;
        }
        w->depth++;
        w->empty[w->depth] = true;
}

void jw_end(struct jw *w, char close) {
        if (w->depth == 0) {
                w->error = -EINVAL;
                return;
        }
        bool was_empty = w->empty[w->depth];
        w->depth--;
        if (!was_empty)
                put_indent(&w->b, w->depth);
        buf_append_char(&w->b, close);
}

void jw_key(struct jw *w, const char *key) {
        jw_sep(w);
        put_str(&w->b, key, strlen(key));
        buf_append(&w->b, ": ", 2);
}

void jw_elem(struct jw *w) {
        jw_sep(w);
}

void jw_string(struct jw *w, const char *s) {
        if (utf8_valid(s)) {
                put_str(&w->b, s, strlen(s));
                return;
        }
        struct buf t = BUF_INIT(0);
        if (sanitize_buf(s, false, &t) < 0)
                w->error = -ENOMEM;
        else
                put_str(&w->b, t.data ? t.data : "", t.len);
        buf_free(&t);
}

void jw_int(struct jw *w, long long v) {
        char num[32];
        snprintf(num, sizeof num, "%lld", v);
        buf_append_str(&w->b, num);
}

void jw_raw(struct jw *w, const char *token) {
        buf_append_str(&w->b, token);
}

void jw_kv_str(struct jw *w, const char *key, const char *s) {
        if (!s)
                return;
        jw_key(w, key);
        jw_string(w, s);
}

void jw_kv_int(struct jw *w, const char *key, long long v) {
        jw_key(w, key);
        jw_int(w, v);
}

void jw_kv_strv(struct jw *w, const char *key, const char *const *v) {
        jw_key(w, key);
        jw_begin(w, '[');
        for (; v && *v; v++) {
                jw_elem(w);
                jw_string(w, *v);
        }
        jw_end(w, ']');
}

int jw_finish(struct jw *w, FILE *f) {
        int r = w->error;
        if (r >= 0 && w->depth != 0)
                r = -EINVAL;
        if (r >= 0)
                r = buf_append_char(&w->b, '\n');
        if (r >= 0 && (fwrite(w->b.data, 1, w->b.len, f) != w->b.len || fflush(f) != 0 || ferror(f)))
                r = -EIO;
        buf_free(&w->b);
        return r == -E2BIG ? -ENOMEM : r;
}

int rj_write(FILE *f, const json_t *doc) {
        struct buf b = BUF_INIT(0);
        int r = put_value(&b, doc, 0);
        if (r >= 0)
                r = buf_append_char(&b, '\n');
        if (r < 0) {
                buf_free(&b);
                return r == -E2BIG ? -ENOMEM : r;
        }
        bool ok = fwrite(b.data, 1, b.len, f) == b.len && fflush(f) == 0 && !ferror(f);
        buf_free(&b);
        return ok ? 0 : -EIO;
}

/* ---- time ---- */

static int parse_digits(const char **p, int n, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++, (*p)++) {
                if (**p < '0' || **p > '9')
                        return -EINVAL;
                v = v * 10 + (**p - '0');
        }
        *ret = v;
        return 0;
}

/* RFC 3339 date-time: YYYY-MM-DD(T|t| )hh:mm:ss[.frac](Z|z|±hh:mm). Fractions are dropped. */
static int parse_rfc3339(const char *s, time_t *ret) {
        struct tm tm = {};
        int year, mon, day, hour, min, sec, off = 0;
        const char *p = s;

        if (parse_digits(&p, 4, &year) < 0 || *p++ != '-' || parse_digits(&p, 2, &mon) < 0 || *p++ != '-' ||
            parse_digits(&p, 2, &day) < 0 || (*p != 'T' && *p != 't' && *p != ' '))
                return -EINVAL;
        p++;
        if (parse_digits(&p, 2, &hour) < 0 || *p++ != ':' || parse_digits(&p, 2, &min) < 0 || *p++ != ':' ||
            parse_digits(&p, 2, &sec) < 0)
                return -EINVAL;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        if (*p == 'Z' || *p == 'z')
                p++;
        else if (*p == '+' || *p == '-') {
                int sign = *p++ == '-' ? -1 : 1, oh, om;
                if (parse_digits(&p, 2, &oh) < 0 || *p++ != ':' || parse_digits(&p, 2, &om) < 0 || oh > 23 ||
                    om > 59)
                        return -EINVAL;
                off = sign * (oh * 3600 + om * 60);
        } else
                return -EINVAL;
        if (*p || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
                return -EINVAL;
        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = min;
        tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second, written as the second before it */
        time_t t = timegm(&tm);
        if (t == (time_t) -1 && year != 1969)
                return -EINVAL;
        *ret = t - off;
        return 0;
}

int report_created(const struct report_options *o, char out[static REPORT_TIME_MAX]) {
        time_t t = 0;
        struct tm tm;

        if (!o->reproducible) {
                if (o->timestamp) {
                        int r = parse_rfc3339(o->timestamp, &t);
                        if (r < 0)
                                return r;
                } else
                        t = time(NULL);
        }
        if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
                return -EINVAL;
        strftime(out, REPORT_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return 0;
}

/* ---- UUIDs ---- */

static void uuid_format(const uint8_t u[16], char out[static REPORT_UUID_MAX]) {
        snprintf(out, REPORT_UUID_MAX,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
                 u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* stockade's namespace for name-based UUIDs (itself a random UUID, fixed forever):
 * 5d3c7a1e-8f2b-4c6d-9e0a-7b1f4a2c8d36 */
static const uint8_t stockade_uuid_ns[16] = { 0x5d, 0x3c, 0x7a, 0x1e, 0x8f, 0x2b, 0x4c, 0x6d,
                                              0x9e, 0x0a, 0x7b, 0x1f, 0x4a, 0x2c, 0x8d, 0x36 };

int report_uuid_v5(const char *name, size_t len, char out[static REPORT_UUID_MAX]) {
        uint8_t md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        int ok;

        if (!c)
                return -ENOMEM;
        ok = EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 &&
             EVP_DigestUpdate(c, stockade_uuid_ns, sizeof stockade_uuid_ns) == 1 &&
             EVP_DigestUpdate(c, name, len) == 1 && EVP_DigestFinal_ex(c, md, &md_len) == 1 && md_len >= 16;
        EVP_MD_CTX_free(c);
        if (!ok)
                return -EIO;
        md[6] = (uint8_t) ((md[6] & 0x0f) | 0x50);
        md[8] = (uint8_t) ((md[8] & 0x3f) | 0x80);
        uuid_format(md, out);
        return 0;
}

static int uuid_v4(char out[static REPORT_UUID_MAX]) {
        uint8_t u[16];
        size_t got = 0;
        while (got < sizeof u) {
                ssize_t n = getrandom(u + got, sizeof u - got, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                got += (size_t) n;
        }
        u[6] = (uint8_t) ((u[6] & 0x0f) | 0x40);
        u[8] = (uint8_t) ((u[8] & 0x3f) | 0x80);
        uuid_format(u, out);
        return 0;
}

const char *report_image_identity(const struct scan_result *r) {
        const struct image *img = r->image;
        if (img->id)
                return img->id;
        if (img->manifest_digest)
                return img->manifest_digest;
        if (img->target)
                return img->target;
        return img->name ? img->name : "";
}

const char *report_image_name(const struct scan_result *r) {
        const struct image *img = r->image;
        if (img->name && *img->name)
                return img->name;
        if (img->target && *img->target)
                return img->target;
        return "image";
}

int report_uuid(const struct report_options *o, const struct scan_result *r, const char *purpose,
                char out[static REPORT_UUID_MAX]) {
        if (!o->reproducible)
                return uuid_v4(out);
        _cleanup_free_ char *name = NULL;
        int n = asprintf(&name, "%s\n%s\n%s", purpose, o->kind == REPORT_KIND_SCAN ? "scan" : "sbom",
                         report_image_identity(r));
        if (n < 0)
                return -ENOMEM;
        return report_uuid_v5(name, (size_t) n, out);
}

/* ---- identifiers ---- */

int report_pkg_hash(const struct pkg *p, char out[static REPORT_PKG_HASH_LEN + 1]) {
        const char *fields[] = { p->namespace_, p->name, p->version,     p->epoch,
                                 p->arch,       p->purl, p->record_path, p->inner_path };
        struct buf b = BUF_INIT(0);
        char digest[DIGEST_STR_MAX];
        int r = buf_printf(&b, "%s", pkg_type_to_string(p->type));

        /* Unit separators between fields; an absent field differs from an empty one. */
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(fields); i++)
                r = fields[i] ? buf_printf(&b, "\x1f%s", fields[i]) : buf_append_str(&b, "\x1f\x1e");
        if (r >= 0)
                r = buf_printf(&b, "\x1f%d\x1f%" PRIu32, p->layer, p->flags);
        if (r >= 0)
                r = sha256_str(b.data, b.len, digest);
        buf_free(&b);
        if (r < 0)
                return r;
        snprintf(out, REPORT_PKG_HASH_LEN + 1, "%s", digest_hex(digest));
        return 0;
}

struct report_ids {
        struct arena *arena;
        struct hashmap *used;
};

struct report_ids *report_ids_new(struct arena *a) {
        struct report_ids *ids = calloc(1, sizeof *ids);
        if (!ids)
                return NULL;
        ids->arena = a;
        ids->used = hashmap_new();
        if (!ids->used) {
                free(ids);
                return NULL;
        }
        return ids;
}

void report_ids_free(struct report_ids *ids) {
        if (!ids)
                return;
        hashmap_free(ids->used);
        free(ids);
}

const char *report_ids_claim(struct report_ids *ids, const char *base) {
        const char *id = base;
        for (unsigned k = 2; id && hashmap_contains(ids->used, id); k++)
                id = arena_printf(ids->arena, "%s-%u", base, k);
        if (!id)
                return NULL;
        if (id == base && !(id = arena_strdup(ids->arena, base)))
                return NULL;
        if (hashmap_put(ids->used, id, (void *) id, NULL) < 0)
                return NULL;
        return id;
}

const char *report_layer_diff_id(const struct scan_result *r, int i) {
        if (i < 0 || (size_t) i >= r->n_layers || !r->layers[i].diff_id[0])
                return NULL;
        return r->layers[i].diff_id;
}

const char *report_pkg_full_version(struct arena *a, const struct pkg *p) {
        if (p->type == PKG_RPM && p->epoch && *p->epoch && p->version)
                return arena_printf(a, "%s:%s", p->epoch, p->version);
        return p->version;
}

size_t report_pkg_flag_names(uint32_t flags, const char *ret[static 8]) {
        static const struct {
                uint32_t flag;
                const char *name;
        } names[] = {
                { PKG_F_GO_MAIN, "go-main" }, { PKG_F_GO_STDLIB, "go-stdlib" },
                { PKG_F_NPM_DEV, "npm-dev" }, { PKG_F_LOCKFILE, "lockfile" },
                { PKG_F_NESTED, "nested" },
        };
        size_t n = 0;
        for (size_t i = 0; i < ELEMENTSOF(names) && n < 8; i++)
                if (flags & names[i].flag)
                        ret[n++] = names[i].name;
        return n;
}

/* ---- severity ---- */

const char *report_sarif_level(enum severity s) {
        switch (s) {
        case SEV_CRITICAL:
        case SEV_HIGH: return "error";
        case SEV_LOW: return "note";
        case SEV_MEDIUM:
        case SEV_UNKNOWN:
        case _SEV_MAX: break;
        }
        return "warning";
}
