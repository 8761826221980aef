/* SPDX-License-Identifier: Apache-2.0 */
/* analyzer_python: installed Python distributions, as importlib.metadata finds them.
 *
 * Records: NAME.dist-info/METADATA (wheels, pip), NAME.egg-info/PKG-INFO (setuptools, Debian's
 * dist-packages), a plain NAME.egg-info file (distutils), and NAME.egg/EGG-INFO/PKG-INFO (eggs). They count
 * anywhere in the image (site-packages, dist-packages, venvs, pip --target directories, stdlib egg-info
 * files), with one exception that keeps us in line with importlib.metadata: below a site-packages or
 * dist-packages directory, only records directly inside it count. Records deeper down are vendored copies
 * (setuptools/_vendor/NAME.dist-info) or test data that no import path lists.
 *
 * Record convention:
 *   type PKG_PYTHON; name = Name as written (not normalized); version = Version as written;
 *   licenses = { License-Expression } when present, else { License } when it is a short one-line name
 *   (not a license text, not "UNKNOWN"), else the names of the "License :: …" classifiers ("MIT License");
 *   record_path = the METADATA / PKG-INFO / .egg-info file.
 * Only the header block is read (the description body after the first empty line is not). The first
 * Name, Version, License and License-Expression count, as with Python's e-mail parser. A record without
 * Name or Version is skipped with a warning. */

#include "catalogers.h"
#include "license.h"
#include "path-util.h"
#include "rfc822.h"

#define PY_METADATA_MAX (16 * 1024 * 1024)
#define PY_NAME_MAX     256
#define PY_VERSION_MAX  256
#define PY_EXPR_MAX     1024

/* Start of the path component that ends at index end (a '/' or the end of the path). */
static size_t comp_start(const char *path, size_t end) {
        size_t i = end;
        while (i > 0 && path[i - 1] != '/')
                i--;
        return i;
}

static bool span_ends_with(const char *s, size_t n, const char *suffix) {
        size_t k = strlen(suffix);
        return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* Where the distribution record starts in the path ("x.dist-info" of "…/x.dist-info/METADATA", the
 * ".egg" directory of "…/x.egg/EGG-INFO/PKG-INFO", the file itself for a plain "x.egg-info"), or -1 when
 * the path is no record. */
static ssize_t record_start(const char *path) {
        size_t len = strlen(path);
        size_t bs = comp_start(path, len);
        const char *base = path + bs;
        size_t bn = len - bs;

        if (streq(base, "METADATA") || streq(base, "PKG-INFO")) {
                if (bs == 0)
                        return -1;
                size_t ds = comp_start(path, bs - 1), dn = bs - 1 - ds;
                if (streq(base, "METADATA"))
                        return span_ends_with(path + ds, dn, ".dist-info") ? (ssize_t) ds : -1;
                if (span_ends_with(path + ds, dn, ".egg-info"))
                        return (ssize_t) ds;
                if (dn != 8 || !strneq(path + ds, "EGG-INFO", 8) || ds == 0)
                        return -1;
                size_t es = comp_start(path, ds - 1);
                return span_ends_with(path + es, ds - 1 - es, ".egg") ? (ssize_t) es : -1;
        }
        return span_ends_with(base, bn, ".egg-info") ? (ssize_t) bs : -1;
}

static bool is_site_dir(const char *s, size_t n) {
        return n == 13 && (strneq(s, "site-packages", 13) || strneq(s, "dist-packages", 13));
}

static enum analyzer_mode python_match(const struct layer_file *f) {
        ssize_t rs = record_start(f->path);
        if (rs < 0)
                return ANALYZE_NONE;

        /* Outside site-packages and dist-packages, any record counts. */
        bool any_site = false;
        for (const char *p = f->path;;) {
                const char *e = strchrnul(p, '/');
                if (is_site_dir(p, (size_t) (e - p))) {
                        any_site = true;
                        break;
                }
                if (!*e)
                        break;
                p = e + 1;
        }
        if (!any_site)
                return ANALYZE_BUFFER;

        /* Below them, only records directly inside one. */
        if (rs == 0)
                return ANALYZE_NONE;
        size_t pe = (size_t) rs - 1, ps = comp_start(f->path, pe);
        return is_site_dir(f->path + ps, pe - ps) ? ANALYZE_BUFFER : ANALYZE_NONE;
}

struct span {
        const char *s;
        size_t n;
};

static bool license_field_usable(const struct rfc822_field *fl) {
        /* A License field that continues over several non-empty lines is the license text. */
        const char *pos = NULL, *ln;
        size_t ll;
        while (rfc822_next_cont(fl, &pos, &ln, &ll)) {
                text_trim(&ln, &ll);
                if (ll > 0)
                        return false;
        }
        return fl->value_len > 0 && fl->value_len <= LICENSE_NAME_MAX &&
               !span_eq_nocase(fl->value, fl->value_len, "UNKNOWN") &&
               !span_eq_nocase(fl->value, fl->value_len, "None") &&
               text_field_ok(fl->value, fl->value_len, LICENSE_NAME_MAX);
}

static int python_on_buffer(struct layer_ctx *c, const struct layer_file *f, const uint8_t *data, size_t n) {
        struct span name = {}, version = {}, expr = {}, lic = {};
        struct license_list classifiers = {};
        struct rfc822 rd;
        struct rfc822_field fl;
        enum rfc822_event ev;

        rfc822_init(&rd, (const char *) data, n, 0);
        while ((ev = rfc822_next(&rd, &fl)) == RFC822_FIELD || ev == RFC822_BAD_LINE) {
                if (ev == RFC822_BAD_LINE)
                        continue;
                if (rfc822_name_is(&fl, "Name")) {
                        if (!name.s)
                                name = (struct span){fl.value, fl.value_len};
                } else if (rfc822_name_is(&fl, "Version")) {
                        if (!version.s)
                                version = (struct span){fl.value, fl.value_len};
                } else if (rfc822_name_is(&fl, "License-Expression")) {
                        if (!expr.s && fl.n_cont == 0 && text_field_ok(fl.value, fl.value_len, PY_EXPR_MAX))
                                expr = (struct span){fl.value, fl.value_len};
                } else if (rfc822_name_is(&fl, "License")) {
                        if (!lic.s) {
                                /* Remember that the first License field was seen even when unusable. */
                                lic = license_field_usable(&fl) ? (struct span){fl.value, fl.value_len}
                                                                : (struct span){"", 0};
                        }
                } else if (rfc822_name_is(&fl, "Classifier")) {
                        const char *ln;
                        size_t ll;
                        if (license_from_classifier(fl.value, fl.value_len, &ln, &ll))
                                (void) license_list_add(&classifiers, ln, ll);
                }
        }

        if (!name.s || !version.s || !text_field_ok(name.s, name.n, PY_NAME_MAX) ||
            !text_field_ok(version.s, version.n, PY_VERSION_MAX)) {
                layer_ctx_warn(c, "skipping '%s': no valid Name and Version", f->path);
                return 0;
        }

        struct pkg *p = layer_ctx_new_pkg(c);
        if (!p)
                return -ENOMEM;
        p->type = PKG_PYTHON;
        p->name = layer_ctx_strndup(c, name.s, name.n);
        p->version = layer_ctx_strndup(c, version.s, version.n);
        p->record_path = f->path;
        if (!p->name || !p->version)
                return -ENOMEM;

        struct license_list l = {};
        if (expr.s)
                l.s[0] = expr.s, l.len[0] = expr.n, l.n = 1;
        else if (lic.s && lic.n > 0)
                (void) license_list_add(&l, lic.s, lic.n);
        else
                l = classifiers;
        return license_list_strv(&l, layer_ctx_arena(c), &p->licenses);
}

const struct analyzer analyzer_python = {
        .name = "python",
        .match = python_match,
        .max_size = PY_METADATA_MAX,
        .on_buffer = python_on_buffer,
};
