/* SPDX-License-Identifier: Apache-2.0 */
/* analyzer_os_release: the files that identify a distribution are recorded verbatim as FACT_OS_FILE facts
 * (path = the file's image path, key = NULL, data = its bytes); which one wins is only known once layers
 * are merged, so parsing happens then, with os_release_parse() / os_file_parse(). */

#include <ctype.h>

#include "catalogers.h"
#include "os-release.h"
#include "rfc822.h"

#define OS_FILE_MAX (64 * 1024)

static const char *const os_files[] = {
        "etc/os-release",     "usr/lib/os-release", "etc/alpine-release", "etc/debian_version",
        "etc/redhat-release", "etc/system-release", "etc/centos-release", "etc/lsb-release",
};

static enum analyzer_mode os_release_match(const struct layer_file *f) {
        for (size_t i = 0; i < ELEMENTSOF(os_files); i++)
                if (streq(f->path, os_files[i]))
                        return ANALYZE_BUFFER;
        return ANALYZE_NONE;
}

static int os_release_on_buffer(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data,
                                size_t n) {
        if (memchr(data, 0, n)) {
                layer_ctx_warn(c, "skipping '%s': not a text file", f->path);
                return 0;
        }
        return layer_ctx_add_fact(c, FACT_OS_FILE, f->path, NULL, (const char *) data, n);
}

const struct analyzer analyzer_os_release = {
        .name = "os-release",
        .match = os_release_match,
        .max_size = OS_FILE_MAX,
        .on_buffer = os_release_on_buffer,
};

/* ---- parsing ---- */

typedef int (*assign_fn)(void *userdata, const char *key, size_t key_len, const char *val, size_t val_len);

static bool is_key_start(char ch) {
        return ch == '_' || ('A' <= ch && ch <= 'Z') || ('a' <= ch && ch <= 'z');
}

static bool is_key_char(char ch) {
        return is_key_start(ch) || ('0' <= ch && ch <= '9');
}

/* Reads KEY=value assignments with shell quoting. A malformed line is skipped; a value longer than
 * OS_RELEASE_VALUE_MAX or one with a newline inside quotes (an unterminated quote) is dropped. */
static int parse_assignments(const char *s, size_t n, assign_fn fn, void *userdata) {
        char val[OS_RELEASE_VALUE_MAX + 1];
        size_t i = 0;

        while (i < n) {
                while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
                        i++;
                if (i >= n)
                        break;
                if (!is_key_start(s[i])) {
                        /* Comment or garbage: skip the line. */
                        while (i < n && s[i] != '\n')
                                i++;
                        continue;
                }
                size_t kb = i;
                while (i < n && is_key_char(s[i]))
                        i++;
                size_t kl = i - kb;
                if (i >= n || s[i] != '=') {
                        while (i < n && s[i] != '\n')
                                i++;
                        continue;
                }
                i++;

                enum { UNQUOTED, DOUBLE, SINGLE } q = UNQUOTED;
                size_t vl = 0, keep = 0; /* keep: length without trailing unquoted blanks */
                bool bad = false;
                while (i < n) {
                        char ch = s[i];
                        if (q == UNQUOTED) {
                                if (ch == '\n')
                                        break;
                                i++;
                                if (ch == '"') {
                                        q = DOUBLE;
                                        continue;
                                }
                                if (ch == '\'') {
                                        q = SINGLE;
                                        continue;
                                }
                                if (ch == '\\') {
                                        if (i >= n)
                                                break;
                                        ch = s[i++];
                                        if (ch == '\n')
                                                continue; /* line continuation */
                                } else if (ch == ' ' || ch == '\t' || ch == '\r') {
                                        if (vl == 0)
                                                continue; /* leading blanks */
                                        if (vl < sizeof val - 1)
                                                val[vl] = ch;
                                        vl++;
                                        continue;
                                }
                                if (vl < sizeof val - 1)
                                        val[vl] = ch;
                                keep = ++vl;
                                continue;
                        }
                        if (ch == '\n') {
                                bad = true; /* unterminated quote: give up at the end of the line */
                                break;
                        }
                        i++;
                        if (q == SINGLE && ch == '\'') {
                                q = UNQUOTED;
                                keep = vl;
                                continue;
                        }
                        if (q == DOUBLE && ch == '"') {
                                q = UNQUOTED;
                                keep = vl;
                                continue;
                        }
                        if (q == DOUBLE && ch == '\\' && i < n) {
                                char nx = s[i];
                                if (nx == '\n') {
                                        i++;
                                        continue;
                                }
                                if (nx == '"' || nx == '\\' || nx == '`' || nx == '$') {
                                        ch = nx;
                                        i++;
                                }
                        }
                        if (vl < sizeof val - 1)
                                val[vl] = ch;
                        keep = ++vl;
                }
                if (q != UNQUOTED)
                        bad = true;
                /* Skip whatever is left of the line. */
                while (i < n && s[i] != '\n')
                        i++;
                if (bad || keep > OS_RELEASE_VALUE_MAX)
                        continue;
                val[keep] = 0;
                int r = fn(userdata, s + kb, kl, val, keep);
                if (r < 0)
                        return r;
        }
        return 0;
}

struct assign_ctx {
        struct arena *arena;
        struct os_release *out;
        const char *ubuntu_codename;
        bool lsb;
};

static int set_field(struct arena *a, const char **field, const char *val, size_t len) {
        if (!text_field_ok(val, len, OS_RELEASE_VALUE_MAX))
                return 0;
        const char *v = arena_memdup(a, val, len);
        if (!v)
                return -ENOMEM;
        *field = v;
        return 0;
}

static bool key_is(const char *k, size_t kl, const char *lit) {
        return strlen(lit) == kl && memcmp(k, lit, kl) == 0;
}

static int on_assign(void *userdata, const char *k, size_t kl, const char *val, size_t vl) {
        struct assign_ctx *x = userdata;
        struct os_release *o = x->out;

        if (x->lsb) {
                if (key_is(k, kl, "DISTRIB_ID")) {
                        if (!text_field_ok(val, vl, OS_RELEASE_VALUE_MAX))
                                return 0;
                        int r = set_field(x->arena, &o->name, val, vl);
                        if (r < 0)
                                return r;
                        /* lsb-release says "Ubuntu"; os-release IDs are lowercase. */
                        char low[OS_RELEASE_VALUE_MAX + 1];
                        for (size_t i = 0; i < vl; i++)
                                low[i] = (char) tolower((unsigned char) val[i]);
                        low[vl] = 0;
                        return set_field(x->arena, &o->id, low, vl);
                }
                if (key_is(k, kl, "DISTRIB_RELEASE"))
                        return set_field(x->arena, &o->version_id, val, vl);
                if (key_is(k, kl, "DISTRIB_CODENAME"))
                        return set_field(x->arena, &o->version_codename, val, vl);
                if (key_is(k, kl, "DISTRIB_DESCRIPTION"))
                        return set_field(x->arena, &o->pretty_name, val, vl);
                return 0;
        }

        static const struct {
                const char *key;
                size_t off;
        } keys[] = {
                {"ID", offsetof(struct os_release, id)},
                {"ID_LIKE", offsetof(struct os_release, id_like)},
                {"NAME", offsetof(struct os_release, name)},
                {"VERSION", offsetof(struct os_release, version)},
                {"VERSION_ID", offsetof(struct os_release, version_id)},
                {"VERSION_CODENAME", offsetof(struct os_release, version_codename)},
                {"PRETTY_NAME", offsetof(struct os_release, pretty_name)},
        };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (key_is(k, kl, keys[i].key))
                        return set_field(x->arena, (const char **) ((char *) o + keys[i].off), val, vl);
        if (key_is(k, kl, "UBUNTU_CODENAME"))
                return set_field(x->arena, &x->ubuntu_codename, val, vl);
        return 0;
}

int os_release_parse(const char *data, size_t n, struct arena *a, struct os_release *ret) {
        struct os_release o = {};
        struct assign_ctx x = {.arena = a, .out = &o};
        int r = parse_assignments(data, n, on_assign, &x);
        if (r < 0)
                return r;
        if (!o.version_codename)
                o.version_codename = x.ubuntu_codename;
        *ret = o;
        return 0;
}

/* The first line, blanks trimmed. */
static void first_line(const char *data, size_t n, const char **ret, size_t *ret_len) {
        const char *nl = memchr(data, '\n', n);
        size_t len = nl ? (size_t) (nl - data) : n;
        const char *s = data;
        text_trim(&s, &len);
        *ret = s;
        *ret_len = len;
}

/* "Red Hat Enterprise Linux release 9.3 (Plow)", "CentOS Stream release 9", "Fedora release 39". */
static int parse_release_line(const char *data, size_t n, struct arena *a, struct os_release *o) {
        const char *s;
        size_t len;
        first_line(data, n, &s, &len);
        if (!text_field_ok(s, len, OS_RELEASE_VALUE_MAX))
                return 0;
        int r = set_field(a, &o->pretty_name, s, len);
        if (r < 0)
                return r;
        const char *rel = memmem(s, len, " release ", 9);
        if (!rel)
                return 0;
        r = set_field(a, &o->name, s, (size_t) (rel - s));
        if (r < 0)
                return r;
        const char *v = rel + 9, *e = v, *end = s + len;
        while (e < end && *e != ' ')
                e++;
        return set_field(a, &o->version_id, v, (size_t) (e - v));
}

int os_file_parse(const char *path, const char *data, size_t n, struct arena *a, struct os_release *ret) {
        struct os_release o = {};
        const char *s;
        size_t len;
        int r = 0;

        if (streq(path, "etc/os-release") || streq(path, "usr/lib/os-release"))
                return os_release_parse(data, n, a, ret);
        if (streq(path, "etc/lsb-release")) {
                struct assign_ctx x = {.arena = a, .out = &o, .lsb = true};
                r = parse_assignments(data, n, on_assign, &x);
        } else if (streq(path, "etc/alpine-release") || streq(path, "etc/debian_version")) {
                first_line(data, n, &s, &len);
                if (text_token_ok(s, len, OS_RELEASE_VALUE_MAX)) {
                        o.id = path[4] == 'a' ? "alpine" : "debian";
                        r = set_field(a, &o.version_id, s, len);
                }
        } else if (streq(path, "etc/redhat-release") || streq(path, "etc/centos-release") ||
                   streq(path, "etc/system-release"))
                r = parse_release_line(data, n, a, &o);
        else
                return -EINVAL;
        if (r < 0)
                return r;
        *ret = o;
        return 0;
}
