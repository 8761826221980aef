/* SPDX-License-Identifier: Apache-2.0 */
/* Java archives as streams: libarchive's streamable zip reader over an entry_reader, nested archives
 * over their outer member's data, manifests and pom.properties parsed from bounded buffers.
 *
 * Why the limits look the way they do: libarchive skips a member whose compressed size the local header
 * gives without decompressing it, so such members cost nothing. A member written with a data descriptor
 * (general purpose flag bit 3, as the JDK's jar tool and ZipOutputStream write every deflated member)
 * has no size up front: libarchive must inflate it to find its end, and would do so inside its skip
 * routine, where we could not stop it. So we read those ourselves and count every byte: against the
 * outermost archive's byte budget and against the level's expansion ratio (bytes decompressed per byte
 * read), which is what stops a zip bomb after a few megabytes instead of gigabytes. One case remains
 * outside our accounting: a hostile local header that sets bit 3 *and* claims a size; libarchive then
 * trusts the size for the member's data but must still inflate to skip it. That costs CPU bounded by
 * the deflate ratio of the bytes actually present (about 1000x), not memory. */

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "java-archive.h"
#include "path-util.h"
#include "vec.h"

#define CHUNK          (64 * 1024)
#define INNER_PATH_MAX 4096
#define KEY_MAX        256

void java_limits_default(struct java_limits *l) {
        *l = (struct java_limits){
                .max_depth = 4,
                .max_members = 256 * 1024,
                .max_bytes = 1 * GiB,
                .max_ratio = 100,
                .ratio_grace = 16 * MiB,
                .max_text = 512 * KiB,
                .max_poms = 4096,
        };
}

bool java_archive_name(const char *name) {
        static const char *const ext[] = {".jar", ".war", ".ear", ".jpi", ".hpi",
                                          ".par", ".sar", ".kar", ".nar"};
        size_t n = strlen(name);
        if (n < 5 || name[n - 5] == '/')
                return false;
        for (size_t i = 0; i < ELEMENTSOF(ext); i++)
                if (strcasecmp(name + n - 4, ext[i]) == 0)
                        return true;
        return false;
}

/* ---- MANIFEST.MF ---- */

static const struct {
        const char *name;
        size_t off;
} manifest_attrs[] = {
        {"Implementation-Title", offsetof(struct java_manifest, impl_title)},
        {"Implementation-Version", offsetof(struct java_manifest, impl_version)},
        {"Implementation-Vendor", offsetof(struct java_manifest, impl_vendor)},
        {"Implementation-Vendor-Id", offsetof(struct java_manifest, impl_vendor_id)},
        {"Specification-Title", offsetof(struct java_manifest, spec_title)},
        {"Specification-Version", offsetof(struct java_manifest, spec_version)},
        {"Specification-Vendor", offsetof(struct java_manifest, spec_vendor)},
        {"Bundle-Name", offsetof(struct java_manifest, bundle_name)},
        {"Bundle-SymbolicName", offsetof(struct java_manifest, bundle_symbolic_name)},
        {"Bundle-Version", offsetof(struct java_manifest, bundle_version)},
        {"Bundle-License", offsetof(struct java_manifest, bundle_license)},
        {"Automatic-Module-Name", offsetof(struct java_manifest, automatic_module_name)},
};

void java_manifest_done(struct java_manifest *m) {
        if (!m)
                return;
        for (size_t i = 0; i < ELEMENTSOF(manifest_attrs); i++)
                free(*(char **) ((char *) m + manifest_attrs[i].off));
        *m = (struct java_manifest){0};
}

static char **manifest_slot(struct java_manifest *m, const char *name, size_t len) {
        for (size_t i = 0; i < ELEMENTSOF(manifest_attrs); i++)
                if (strlen(manifest_attrs[i].name) == len &&
                    strncasecmp(manifest_attrs[i].name, name, len) == 0) {
                        char **slot = (char **) ((char *) m + manifest_attrs[i].off);
                        return *slot ? NULL : slot; /* the first occurrence wins */
                }
        return NULL;
}

static int manifest_flush(char **slot, struct buf *val) {
        if (!slot)
                return 0;
        size_t n = val->len;
        while (n > 0 && (val->data[n - 1] == ' ' || val->data[n - 1] == '\t'))
                n--;
        *slot = strndup(val->data ? val->data : "", n);
        return *slot ? 0 : -ENOMEM;
}

int java_manifest_parse(const char *data, size_t n, struct java_manifest *m) {
        const char *p = data, *end = data + n;
        struct buf val = BUF_INIT(JAVA_ATTR_MAX);
        char **slot = NULL;
        bool seen = false;
        int r = 0;

        while (p < end) {
                const char *eol = p;
                while (eol < end && *eol != '\n' && *eol != '\r')
                        eol++;
                const char *next = eol;
                if (next < end)
                        next += *next == '\r' && next + 1 < end && next[1] == '\n' ? 2 : 1;
                size_t len = (size_t) (eol - p);

                if (len == 0) {
                        if (seen)
                                break; /* end of the main section */
                } else if (*p == ' ') {
                        /* A continuation; what does not fit the cap is dropped. */
                        if (slot)
                                (void) buf_append(&val, p + 1, MIN(len - 1, JAVA_ATTR_MAX - val.len));
                } else {
                        r = manifest_flush(slot, &val);
                        if (r < 0)
                                break;
                        slot = NULL;
                        buf_reset(&val);
                        seen = true;
                        const char *colon = memchr(p, ':', len);
                        size_t nl = colon ? (size_t) (colon - p) : 0;
                        bool ok = nl > 0 && nl <= 70;
                        for (size_t i = 0; ok && i < nl; i++)
                                ok = (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
                                     (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_';
                        if (ok) {
                                slot = manifest_slot(m, p, nl);
                                const char *v = colon + 1;
                                if (v < eol && *v == ' ')
                                        v++;
                                if (slot)
                                        (void) buf_append(&val, v,
                                                          MIN((size_t) (eol - v), (size_t) JAVA_ATTR_MAX));
                        }
                }
                p = next;
        }
        if (r == 0)
                r = manifest_flush(slot, &val);
        buf_free(&val);
        return r;
}

/* ---- pom.properties ---- */

void java_pom_properties_done(struct java_pom_properties *p) {
        if (!p)
                return;
        free(p->group_id);
        free(p->artifact_id);
        free(p->version);
        *p = (struct java_pom_properties){0};
}

static bool prop_ws(char c) {
        return c == ' ' || c == '\t' || c == '\f';
}

static void put_utf8(struct buf *b, unsigned cp) {
        char u[3];
        size_t n;
        if (cp >= 0xd800 && cp <= 0xdfff)
                cp = '?';
        if (cp < 0x80)
                u[0] = (char) cp, n = 1;
        else if (cp < 0x800)
                u[0] = (char) (0xc0 | (cp >> 6)), u[1] = (char) (0x80 | (cp & 0x3f)), n = 2;
        else
                u[0] = (char) (0xe0 | (cp >> 12)), u[1] = (char) (0x80 | ((cp >> 6) & 0x3f)),
                u[2] = (char) (0x80 | (cp & 0x3f)), n = 3;
        (void) buf_append(b, u, n); /* over the cap: dropped */
}

/* Reads a key (stops at an unescaped separator) or a value (stops at the end of the line) into b,
 * resolving escapes and continuation lines. */
static void prop_token(const char **ps, const char *end, struct buf *b, bool key) {
        const char *s = *ps;
        buf_reset(b);
        while (s < end && *s != '\n' && *s != '\r') {
                char c = *s;
                if (key && (c == '=' || c == ':' || prop_ws(c)))
                        break;
                if (c != '\\') {
                        (void) buf_append_char(b, c);
                        s++;
                        continue;
                }
                if (++s >= end)
                        break;
                c = *s++;
                switch (c) {
                case '\r':
                case '\n':
                        /* continuation: the next line's leading blanks are dropped */
                        if (c == '\r' && s < end && *s == '\n')
                                s++;
                        while (s < end && prop_ws(*s))
                                s++;
                        break;
                case 't': put_utf8(b, '\t'); break;
                case 'n': put_utf8(b, '\n'); break;
                case 'r': put_utf8(b, '\r'); break;
                case 'f': put_utf8(b, '\f'); break;
                case 'u': {
                        unsigned cp = 0, i;
                        for (i = 0; i < 4 && s < end; i++, s++) {
                                char h = *s;
                                unsigned d = h >= '0' && h <= '9'   ? (unsigned) (h - '0')
                                             : h >= 'a' && h <= 'f' ? (unsigned) (h - 'a' + 10)
                                             : h >= 'A' && h <= 'F' ? (unsigned) (h - 'A' + 10)
                                                                    : 16;
                                if (d == 16)
                                        break;
                                cp = cp * 16 + d;
                        }
                        put_utf8(b, i == 4 ? cp : '?');
                        break;
                }
                default: (void) buf_append_char(b, c); break;
                }
        }
        *ps = s;
}

static int prop_assign(char **slot, const struct buf *val) {
        if (*slot)
                return 0; /* the first one wins, as for manifests */
        size_t n = val->len;
        const char *v = val->data ? val->data : "";
        while (n > 0 && prop_ws(v[n - 1]))
                n--;
        *slot = strndup(v, n);
        return *slot ? 0 : -ENOMEM;
}

int java_pom_properties_parse(const char *data, size_t n, struct java_pom_properties *p) {
        const char *s = data, *end = data + n;
        struct buf key = BUF_INIT(KEY_MAX), val = BUF_INIT(JAVA_ATTR_MAX);
        int r = 0;

        while (s < end && r == 0) {
                while (s < end && (prop_ws(*s) || *s == '\n' || *s == '\r'))
                        s++;
                if (s >= end)
                        break;
                if (*s == '#' || *s == '!') {
                        while (s < end && *s != '\n' && *s != '\r')
                                s++;
                        continue;
                }
                prop_token(&s, end, &key, true);
                while (s < end && prop_ws(*s))
                        s++;
                if (s < end && (*s == '=' || *s == ':'))
                        s++;
                while (s < end && prop_ws(*s))
                        s++;
                prop_token(&s, end, &val, false);
                const char *k = key.data ? key.data : "";
                if (streq(k, "groupId"))
                        r = prop_assign(&p->group_id, &val);
                else if (streq(k, "artifactId"))
                        r = prop_assign(&p->artifact_id, &val);
                else if (streq(k, "version"))
                        r = prop_assign(&p->version, &val);
        }
        buf_free(&key);
        buf_free(&val);
        return r;
}

/* ---- the walk ---- */

struct walk {
        const struct java_limits *lim;
        const struct java_walk_ops *ops;
        void *userdata;
        uint64_t bytes; /* decompressed, all levels */
        int error;      /* fatal: stop everything and return it */
        bool stopped;   /* a limit was hit: unwind, reporting what was found */
        bool depth_warned;
        unsigned char *scratch;
};

struct level {
        struct walk *w;
        struct level *parent;   /* nested: reads the parent's current member */
        struct entry_reader *r; /* outermost: reads this */
        struct archive *a;
        unsigned depth;
        char *label;      /* for messages */
        char *inner_path; /* NULL for the outermost */
        const char *file_name;
        unsigned char *buf;
        size_t pend_off, pend_len; /* outermost: bytes of buf still to hand to libarchive first */
        uint64_t in, out;          /* bytes fed to libarchive, bytes taken out of members */
        bool warned;               /* this level's corruption was reported */
        bool complete;
        bool have_manifest;
        struct java_manifest manifest;
        VEC(struct java_pom_entry) poms;
};

static void level_done(struct level *l) {
        if (l->a)
                archive_read_free(l->a);
        free(l->buf);
        free(l->label);
        free(l->inner_path);
        java_manifest_done(&l->manifest);
        VEC_FOREACH (e, &l->poms) {
                free((char *) e->path);
                java_pom_properties_done(&e->props);
        }
        VEC_FREE(&l->poms);
}

static const char *la_error(struct archive *a) {
        const char *e = a ? archive_error_string(a) : NULL;
        return e ? e : "unreadable data";
}

/* Reports this level as corrupt, unless it or a level it reads from already was. */
static void level_corrupt(struct level *l, const char *why) {
        for (struct level *p = l; p; p = p->parent)
                if (p->warned)
                        return;
        l->warned = true;
        l->w->ops->warn(l->w->userdata, "'%s' is corrupt: %s", l->label, why);
}

static int account(struct level *l, size_t n) {
        struct walk *w = l->w;
        l->out += n;
        w->bytes += n;
        if (w->bytes > w->lim->max_bytes) {
                w->ops->warn(w->userdata, "stopped reading '%s': more than %llu MiB decompressed", l->label,
                             (unsigned long long) (w->lim->max_bytes / MiB));
                w->stopped = true;
                return -E2BIG;
        }
        if (l->out > w->lim->ratio_grace && l->out / MAX(l->in, (uint64_t) 1) > w->lim->max_ratio) {
                w->ops->warn(w->userdata,
                             "stopped reading '%s': it expands more than %llu times (a zip bomb?)", l->label,
                             (unsigned long long) w->lim->max_ratio);
                w->stopped = true;
                return -E2BIG;
        }
        return 0;
}

/* Reads the current member's data. Returns bytes, 0 at its end, -EBADMSG (corrupt) or -E2BIG (limit). */
static ssize_t member_read(struct level *l, void *buf, size_t n) {
        la_ssize_t k = archive_read_data(l->a, buf, n);
        if (k < 0) {
                level_corrupt(l, la_error(l->a));
                return -EBADMSG;
        }
        if (k > 0 && account(l, (size_t) k) < 0)
                return -E2BIG;
        return (ssize_t) k;
}

static la_ssize_t level_read(struct archive *a, void *userdata, const void **ret) {
        struct level *l = userdata;
        struct walk *w = l->w;
        ssize_t n;

        if (w->error || w->stopped) {
                archive_set_error(a, ECANCELED, "stopped");
                return -1;
        }
        if (l->pend_len > 0) {
                /* what java_archive_walk() read to look at the start */
                n = (ssize_t) l->pend_len;
                *ret = l->buf + l->pend_off;
                l->pend_len = 0;
                l->in += (uint64_t) n;
                return n;
        }
        if (l->parent)
                n = member_read(l->parent, l->buf, CHUNK);
        else {
                n = entry_reader_read(l->r, l->buf, CHUNK);
                if (n < 0)
                        w->error = (int) n; /* the layer itself is unreadable */
        }
        if (n < 0) {
                archive_set_error(a, EIO, "the data could not be read");
                return -1;
        }
        l->in += (uint64_t) n;
        *ret = l->buf;
        return n;
}

/* Finishes the current member: members with a known size are left to libarchive's skip, which does not
 * decompress them; the others are read through here, where every byte counts. */
static int drain(struct level *l, struct archive_entry *e) {
        if (archive_entry_size_is_set(e))
                return 0;
        for (;;) {
                ssize_t k = member_read(l, l->w->scratch, CHUNK);
                if (k <= 0)
                        return (int) k;
        }
}

static int read_text(struct level *l, struct buf *b) {
        int r = buf_reserve(b, MIN(l->w->lim->max_text, (size_t) CHUNK));
        if (r < 0)
                return r;
        while (b->len < l->w->lim->max_text) {
                size_t want = MIN((size_t) CHUNK, l->w->lim->max_text - b->len);
                r = buf_reserve(b, want);
                if (r < 0)
                        return r;
                ssize_t k = member_read(l, b->data + b->len, want);
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        break;
                b->len += (size_t) k;
                b->data[b->len] = 0;
        }
        return 0;
}

static int walk_level(struct level *l);

static int walk_nested(struct level *l, const char *member) {
        struct walk *w = l->w;
        struct level in = {
                .w = w,
                .parent = l,
                .depth = l->depth + 1,
        };
        int r;

        if (l->depth >= w->lim->max_depth) {
                if (!w->depth_warned)
                        w->ops->warn(w->userdata,
                                     "not opening '%s!/%s': archives nested more than %u deep are not read",
                                     l->label, member, w->lim->max_depth);
                w->depth_warned = true;
                return 0;
        }
        if (strlen(member) + (l->inner_path ? strlen(l->inner_path) + 2 : 0) > INNER_PATH_MAX) {
                w->ops->warn(w->userdata, "not opening a member of '%s': its name is too long", l->label);
                return 0;
        }
        if (l->inner_path)
                r = asprintf(&in.inner_path, "%s!/%s", l->inner_path, member);
        else {
                in.inner_path = strdup(member);
                r = in.inner_path ? 0 : -1;
        }
        if (r < 0 || asprintf(&in.label, "%s!/%s", l->label, member) < 0) {
                in.label = NULL;
                level_done(&in);
                return -ENOMEM;
        }
        in.file_name = path_basename(in.inner_path);
        r = walk_level(&in);
        level_done(&in);
        return r;
}

/* Handles one regular member. Returns 0, -EBADMSG (this archive's data is corrupt: reported), -E2BIG (a
 * limit was hit: reported), or a fatal error. */
static int handle_member(struct level *l, struct archive_entry *e, const char *name) {
        struct walk *w = l->w;
        int r = 0;

        while (*name == '/')
                name++;
        if (strneq(name, "./", 2))
                name += 2;

        if (strcasecmp(name, "META-INF/MANIFEST.MF") == 0 && !l->have_manifest) {
                struct buf b = BUF_INIT(w->lim->max_text);
                r = read_text(l, &b);
                if (r == 0)
                        r = java_manifest_parse(b.data ? b.data : "", b.len, &l->manifest);
                buf_free(&b);
                l->have_manifest = r == 0;
        } else if (strneq(name, "META-INF/maven/", 15) && str_has_suffix(name, "/pom.properties")) {
                if (l->poms.n >= w->lim->max_poms)
                        return drain(l, e);
                struct buf b = BUF_INIT(w->lim->max_text);
                struct java_pom_entry pe = {.path = strdup(name)};
                r = pe.path ? read_text(l, &b) : -ENOMEM;
                if (r == 0)
                        r = java_pom_properties_parse(b.data ? b.data : "", b.len, &pe.props);
                if (r == 0)
                        r = VEC_PUSH(&l->poms, pe);
                if (r < 0) {
                        free((char *) pe.path);
                        java_pom_properties_done(&pe.props);
                }
                buf_free(&b);
        } else if (java_archive_name(name)) {
                r = walk_nested(l, name);
                if (r == 0 && (w->stopped || l->warned))
                        r = w->stopped ? -E2BIG : -EBADMSG;
        }
        if (r < 0)
                return r;
        return drain(l, e);
}

static int walk_level(struct level *l) {
        struct walk *w = l->w;
        struct archive_entry *e;
        int r;

        if (!l->buf)
                l->buf = malloc(CHUNK);
        l->a = archive_read_new();
        if (!l->buf || !l->a)
                return -ENOMEM;
        if (archive_read_support_format_zip_streamable(l->a) != ARCHIVE_OK)
                return -ENOMEM;
        r = archive_read_open(l->a, l, NULL, level_read, NULL);
        if (r != ARCHIVE_OK) {
                if (w->error)
                        return w->error;
                if (!w->stopped)
                        level_corrupt(l, "not a zip archive");
                return 0;
        }

        for (uint64_t members = 0;; members++) {
                r = archive_read_next_header(l->a, &e);
                if (w->error)
                        return w->error;
                if (r == ARCHIVE_EOF) {
                        l->complete = true;
                        break;
                }
                if (w->stopped)
                        break;
                if (r < ARCHIVE_WARN) {
                        level_corrupt(l, la_error(l->a));
                        break;
                }
                if (members >= w->lim->max_members) {
                        w->ops->warn(w->userdata, "stopped reading '%s': more than %llu members", l->label,
                                     (unsigned long long) w->lim->max_members);
                        break;
                }
                if (archive_entry_filetype(e) != AE_IFREG || archive_entry_is_encrypted(e))
                        continue;
                const char *name = archive_entry_pathname_utf8(e);
                if (!name)
                        name = archive_entry_pathname(e);
                if (!name)
                        continue;
                r = handle_member(l, e, name);
                if (w->error)
                        return w->error;
                if (r == -EBADMSG || r == -E2BIG)
                        break;
                if (r < 0)
                        return r;
        }

        struct java_archive_info info = {
                .file_name = l->file_name,
                .inner_path = l->inner_path,
                .depth = l->depth,
                .manifest = l->have_manifest ? &l->manifest : NULL,
                .poms = l->poms.items,
                .n_poms = l->poms.n,
                .complete = l->complete,
        };
        r = w->ops->on_archive(w->userdata, &info);
        if (r < 0)
                w->error = r;
        return r < 0 ? r : 0;
}

/* Reads the first chunk of the outermost archive and finds where the zip starts: at the first byte, or
 * after a launch script (Spring Boot's "fully executable" jars start with "#!/bin/bash" and a script of
 * a few KiB). Returns 1, 0 when this is no zip (nothing to report, as for any file that is not one), or
 * the reader's error. */
static int read_start(struct level *l) {
        static const unsigned char local[4] = {'P', 'K', 3, 4}, empty[4] = {'P', 'K', 5, 6};
        size_t n = 0;
        while (n < CHUNK) {
                ssize_t k = entry_reader_read(l->r, l->buf + n, CHUNK - n);
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        if (n >= 4 && (memcmp(l->buf, local, 4) == 0 || memcmp(l->buf, empty, 4) == 0))
                l->pend_off = 0;
        else if (n >= 2 && l->buf[0] == '#' && l->buf[1] == '!') {
                const unsigned char *p = memmem(l->buf, n, local, sizeof local);
                if (!p)
                        return 0;
                l->pend_off = (size_t) (p - l->buf);
        } else
                return 0;
        l->pend_len = n - l->pend_off;
        return 1;
}

int java_archive_walk(struct entry_reader *r, const char *name, const struct java_limits *limits,
                      const struct java_walk_ops *ops, void *userdata) {
        struct walk w = {.lim = limits, .ops = ops, .userdata = userdata};
        struct level top = {.w = &w, .r = r, .depth = 1, .file_name = path_basename(name)};
        int k;

        w.scratch = malloc(CHUNK);
        top.label = strdup(name);
        top.buf = malloc(CHUNK);
        if (!w.scratch || !top.label || !top.buf) {
                k = -ENOMEM;
                goto out;
        }
        k = read_start(&top);
        if (k > 0)
                k = walk_level(&top);
out:
        level_done(&top);
        free(w.scratch);
        return k;
}
