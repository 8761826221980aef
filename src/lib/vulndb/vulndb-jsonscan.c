/* SPDX-License-Identifier: Apache-2.0 */
/* A checking scanner over JSON text that finds the spans of members and elements without building a
 * tree, so that large feeds are parsed one record at a time (each record then goes through jansson with
 * a size cap). It validates structure (strings, nesting, separators, literals, numbers); jansson
 * validates each record's content again. Recursion is bounded by VDB_MAX_JSON_DEPTH. */
#include <string.h>

#include "vulndb-internal.h"

#define KEY_MAX 4096

static const char *fail(struct jscan_error *err, const char *base, const char *p, const char *what) {
        if (err) {
                err->offset = (size_t) (p - base);
                err->what = what;
        }
        return NULL;
}

const char *jscan_skip_ws(const char *p, const char *end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
                p++;
        return p;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static bool hex4(const char *p, const char *end, unsigned *ret) {
        unsigned v = 0;
        if (end - p < 4)
                return false;
        for (int i = 0; i < 4; i++) {
                int h = hexval(p[i]);
                if (h < 0)
                        return false;
                v = v * 16 + (unsigned) h;
        }
        *ret = v;
        return true;
}

/* p at the opening quote; returns the position after the closing quote. When out is given, decodes
 * into it (NUL-terminated; false in *fits when it did not fit). */
static const char *scan_string(const char *base, const char *p, const char *end, char *out, size_t size,
                               bool *fits, struct jscan_error *err) {
        size_t k = 0;
        bool ok = true;
        p++;
        for (;;) {
                const char *q = p;
                /* fast path over plain bytes */
                while (q < end && *q != '"' && *q != '\\' && (unsigned char) *q >= 0x20)
                        q++;
                if (out) {
                        size_t n = (size_t) (q - p);
                        if (ok && k + n < size) {
                                memcpy(out + k, p, n);
                                k += n;
                        } else
                                ok = false;
                }
                p = q;
                if (p >= end)
                        return fail(err, base, p, "unterminated string");
                if (*p == '"')
                        break;
                if ((unsigned char) *p < 0x20)
                        return fail(err, base, p, "control character in string");
                /* backslash */
                if (++p >= end)
                        return fail(err, base, p, "unterminated string");
                char c = *p;
                char dec[4];
                size_t dn = 1;
                switch (c) {
                case '"':
                case '\\':
                case '/': dec[0] = c; break;
                case 'b': dec[0] = '\b'; break;
                case 'f': dec[0] = '\f'; break;
                case 'n': dec[0] = '\n'; break;
                case 'r': dec[0] = '\r'; break;
                case 't': dec[0] = '\t'; break;
                case 'u': {
                        unsigned cp;
                        if (!hex4(p + 1, end, &cp))
                                return fail(err, base, p, "invalid \\u escape");
                        p += 4;
                        if (cp >= 0xd800 && cp < 0xdc00) {
                                unsigned lo;
                                if (end - p < 7 || p[1] != '\\' || p[2] != 'u' || !hex4(p + 3, end, &lo) ||
                                    lo < 0xdc00 || lo > 0xdfff)
                                        return fail(err, base, p, "invalid surrogate pair");
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                p += 6;
                        } else if (cp >= 0xdc00 && cp <= 0xdfff)
                                return fail(err, base, p, "invalid surrogate pair");
                        if (cp == 0)
                                ok = false; /* NUL cannot be in a C string: never a usable key */
                        if (cp < 0x80)
                                dec[0] = (char) cp;
                        else if (cp < 0x800) {
                                dec[0] = (char) (0xc0 | (cp >> 6));
                                dec[1] = (char) (0x80 | (cp & 0x3f));
                                dn = 2;
                        } else if (cp < 0x10000) {
                                dec[0] = (char) (0xe0 | (cp >> 12));
                                dec[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                                dec[2] = (char) (0x80 | (cp & 0x3f));
                                dn = 3;
                        } else {
                                dec[0] = (char) (0xf0 | (cp >> 18));
                                dec[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
                                dec[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
                                dec[3] = (char) (0x80 | (cp & 0x3f));
                                dn = 4;
                        }
                        break;
                }
                default: return fail(err, base, p, "invalid escape");
                }
                if (out) {
                        if (ok && k + dn < size) {
                                memcpy(out + k, dec, dn);
                                k += dn;
                        } else
                                ok = false;
                }
                p++;
        }
        if (out)
                out[ok ? k : 0] = 0;
        if (fits)
                *fits = ok;
        return p + 1;
}

static const char *skip_value(const char *base, const char *p, const char *end, int depth,
                              struct jscan_error *err);

static const char *skip_container(const char *base, const char *p, const char *end, int depth,
                                  struct jscan_error *err) {
        bool object = *p == '{';
        char close = object ? '}' : ']';
        if (depth >= VDB_MAX_JSON_DEPTH)
                return fail(err, base, p, "nesting too deep");
        p = jscan_skip_ws(p + 1, end);
        if (p < end && *p == close)
                return p + 1;
        for (;;) {
                if (object) {
                        if (p >= end || *p != '"')
                                return fail(err, base, p, "expected a member name");
                        p = scan_string(base, p, end, NULL, 0, NULL, err);
                        if (!p)
                                return NULL;
                        p = jscan_skip_ws(p, end);
                        if (p >= end || *p != ':')
                                return fail(err, base, p, "expected ':'");
                        p = jscan_skip_ws(p + 1, end);
                }
                p = skip_value(base, p, end, depth + 1, err);
                if (!p)
                        return NULL;
                p = jscan_skip_ws(p, end);
                if (p >= end)
                        return fail(err, base, p, "unexpected end of input");
                if (*p == close)
                        return p + 1;
                if (*p != ',')
                        return fail(err, base, p, object ? "expected ',' or '}'" : "expected ',' or ']'");
                p = jscan_skip_ws(p + 1, end);
        }
}

static const char *skip_value(const char *base, const char *p, const char *end, int depth,
                              struct jscan_error *err) {
        p = jscan_skip_ws(p, end);
        if (p >= end)
                return fail(err, base, p, "unexpected end of input");
        switch (*p) {
        case '{':
        case '[': return skip_container(base, p, end, depth, err);
        case '"': return scan_string(base, p, end, NULL, 0, NULL, err);
        case 't':
                return end - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4
                                                                 : fail(err, base, p, "invalid literal");
        case 'f':
                return end - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5
                                                                  : fail(err, base, p, "invalid literal");
        case 'n':
                return end - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4
                                                                 : fail(err, base, p, "invalid literal");
        default: {
                const char *q = p;
                if (q < end && *q == '-')
                        q++;
                const char *digits = q;
                while (q < end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
                                   *q == '+' || *q == '-'))
                        q++;
                if (q == digits || !(*digits >= '0' && *digits <= '9'))
                        return fail(err, base, p, "unexpected character");
                return q;
        }
        }
}

const char *jscan_skip_value(const char *p, const char *end, struct jscan_error *err) {
        return skip_value(p, p, end, 0, err);
}

static bool rest_is_ws(const char *p, const char *end) {
        return jscan_skip_ws(p, end) == end;
}

int jscan_object(const char *p, const char *end, jscan_member_fn fn, void *userdata,
                 struct jscan_error *err) {
        const char *base = p;
        char key[KEY_MAX];
        int r;

        p = jscan_skip_ws(p, end);
        if (p >= end || *p != '{')
                return fail(err, base, p, "expected an object"), -EBADMSG;
        p = jscan_skip_ws(p + 1, end);
        if (p < end && *p == '}')
                return rest_is_ws(p + 1, end) ? 0 : (fail(err, base, p + 1, "trailing garbage"), -EBADMSG);
        for (;;) {
                bool fits;
                if (p >= end || *p != '"')
                        return fail(err, base, p, "expected a member name"), -EBADMSG;
                p = scan_string(base, p, end, key, sizeof key, &fits, err);
                if (!p)
                        return -EBADMSG;
                if (!fits)
                        return fail(err, base, p, "member name too long or with NUL"), -EBADMSG;
                p = jscan_skip_ws(p, end);
                if (p >= end || *p != ':')
                        return fail(err, base, p, "expected ':'"), -EBADMSG;
                const char *v = jscan_skip_ws(p + 1, end);
                p = skip_value(base, v, end, 1, err);
                if (!p)
                        return -EBADMSG;
                r = fn(userdata, key, v, (size_t) (p - v));
                if (r != 0)
                        return r > 0 ? 0 : r;
                p = jscan_skip_ws(p, end);
                if (p >= end)
                        return fail(err, base, p, "unexpected end of input"), -EBADMSG;
                if (*p == '}')
                        break;
                if (*p != ',')
                        return fail(err, base, p, "expected ',' or '}'"), -EBADMSG;
                p = jscan_skip_ws(p + 1, end);
        }
        return rest_is_ws(p + 1, end) ? 0 : (fail(err, base, p + 1, "trailing garbage"), -EBADMSG);
}

int jscan_array(const char *p, const char *end, jscan_element_fn fn, void *userdata,
                struct jscan_error *err) {
        const char *base = p;
        size_t index = 0;
        int r;

        p = jscan_skip_ws(p, end);
        if (p >= end || *p != '[')
                return fail(err, base, p, "expected an array"), -EBADMSG;
        p = jscan_skip_ws(p + 1, end);
        if (p < end && *p == ']')
                return rest_is_ws(p + 1, end) ? 0 : (fail(err, base, p + 1, "trailing garbage"), -EBADMSG);
        for (;;) {
                const char *v = p;
                p = skip_value(base, v, end, 1, err);
                if (!p)
                        return -EBADMSG;
                r = fn(userdata, index++, v, (size_t) (p - v));
                if (r != 0)
                        return r > 0 ? 0 : r;
                p = jscan_skip_ws(p, end);
                if (p >= end)
                        return fail(err, base, p, "unexpected end of input"), -EBADMSG;
                if (*p == ']')
                        break;
                if (*p != ',')
                        return fail(err, base, p, "expected ',' or ']'"), -EBADMSG;
                p = jscan_skip_ws(p + 1, end);
        }
        return rest_is_ws(p + 1, end) ? 0 : (fail(err, base, p + 1, "trailing garbage"), -EBADMSG);
}

struct peek {
        const char *key;
        char *out;
        size_t size;
        bool found;
};

static int peek_cb(void *userdata, const char *key, const char *val, size_t len) {
        struct peek *pk = userdata;
        bool fits;
        if (!streq(key, pk->key))
                return 0;
        if (len > 0 && val[0] == '"' && scan_string(val, val, val + len, pk->out, pk->size, &fits, NULL) &&
            fits)
                pk->found = true;
        return 1;
}

bool jscan_peek_string(const char *p, const char *end, const char *key, char *out, size_t size) {
        struct peek pk = {key, out, size, false};
        /* A structural error after the member still leaves what was found usable. */
        (void) jscan_object(p, end, peek_cb, &pk, NULL);
        return pk.found;
}
