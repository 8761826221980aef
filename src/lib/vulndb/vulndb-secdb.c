/* SPDX-License-Identifier: Apache-2.0 */
/* Alpine's and Wolfi's (and Chainguard's) secdb, JSON or YAML:
 *   { distroversion: "v3.18", reponame, urlprefix, apkurl, archs,
 *     packages: [ { pkg: { name, secfixes: { "1.2.3-r0": ["CVE-…", …], "0": [...] } } } ] }
 * The package is the origin (source) package. Each id listed under a version is fixed in that version;
 * under "0" the package was never affected. Entries carry extra words ("CVE-2019-1234 (patch)",
 * "CVE-2016-6258 XSA-182"): the first id is the statement's, the others become its aliases. The
 * ecosystem is "Alpine:v3.18", "Wolfi" or "Chainguard", told from distroversion and urlprefix. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "vulndb-internal.h"

struct secdb_head {
        char distroversion[64], reponame[64], urlprefix[256];
        bool has_packages;
};

/* "Alpine:v3.18", "Wolfi", … or NULL when the file does not say. */
static const char *secdb_ecosystem(const struct secdb_head *h, char *buf, size_t size) {
        if (strstr(h->urlprefix, "wolfi.dev"))
                return "Wolfi";
        if (strstr(h->urlprefix, "cgr.dev") || strstr(h->urlprefix, "chainguard"))
                return "Chainguard";
        const char *v = h->distroversion;
        if (streq(v, "edge"))
                return "Alpine:edge";
        if (*v == 'v')
                v++;
        size_t a = strspn(v, "0123456789");
        if (a == 0 || v[a] != '.' || strspn(v + a + 1, "0123456789") == 0)
                return NULL;
        size_t n = a + 1 + strspn(v + a + 1, "0123456789");
        snprintf(buf, size, "Alpine:v%.*s", (int) n, v);
        return buf;
}

/* Extracts the advisory ids of a secfixes entry. "CVE-2017-8073.patch", "CVE-2017-17434-1" and the typos
 * "CVE 2018-16859" and "CVE_2019-2426" give their CVE; other tokens count when they look like ids (letters,
 * a dash, then a part with a digit: "XSA-182", "TALOS-2017-0394", "GHSA-…", "wnpa-sec-2017-18"). */
static size_t extract_ids(const char *s, char ids[][VDB_MAX_ID + 1], size_t max) {
        size_t n = 0;
        while (*s && n < max) {
                while (*s && (isspace((unsigned char) *s) || strchr("(),;[]", *s)))
                        s++;
                const char *t = s;
                while (*s && !isspace((unsigned char) *s) && !strchr("(),;[]", *s))
                        s++;
                size_t len = (size_t) (s - t);
                if (len == 0 || len > VDB_MAX_ID)
                        continue;
                char tok[VDB_MAX_ID + 1];
                memcpy(tok, t, len);
                tok[len] = 0;
                /* "CVE 2018-16859": a typo that is still unambiguous */
                if (strcasecmp(tok, "CVE") == 0 && *s == ' ' && isdigit((unsigned char) s[1])) {
                        const char *u = s + 1;
                        size_t k = 0;
                        while (k < VDB_MAX_ID - 5 && u[k] && !isspace((unsigned char) u[k]) &&
                               !strchr("(),;[]", u[k]))
                                k++;
                        snprintf(tok, sizeof tok, "CVE-%.*s", (int) k, u);
                        s = u + k;
                }
                /* "CVE_2019-2426": the same typo with an underscore */
                if (strncasecmp(tok, "CVE_", 4) == 0)
                        tok[3] = '-';
                if (strncasecmp(tok, "CVE-", 4) == 0) {
                        size_t y = strspn(tok + 4, "0123456789");
                        size_t k = y == 4 && tok[8] == '-' ? strspn(tok + 9, "0123456789") : 0;
                        if (k < 4)
                                continue;
                        snprintf(ids[n], VDB_MAX_ID + 1, "CVE-%.4s-%.*s", tok + 4, (int) k, tok + 9);
                } else {
                        while (len > 0 && strchr(".:", tok[len - 1]))
                                tok[--len] = 0;
                        const char *dash = strchr(tok, '-');
                        if (!dash || dash == tok || !strpbrk(dash, "0123456789") || !vdb_valid_id(tok) ||
                            !isalpha((unsigned char) tok[0]))
                                continue;
                        memcpy(ids[n], tok, len + 1);
                }
                bool dup = false;
                for (size_t i = 0; i < n; i++)
                        dup |= streq(ids[i], ids[n]);
                if (!dup)
                        n++;
        }
        return n;
}

static bool valid_version(const char *s) {
        return s && *s && vdb_valid_text(s, VDB_MAX_VERSION) && !strpbrk(s, " \t");
}

static int secdb_package(struct vdb_build *b, const char *eco, const json_t *entry, size_t index) {
        const json_t *pkg = json_get_obj(entry, "pkg");
        const char *name = json_get_str(pkg, "name");
        char label[VDB_MAX_PACKAGE + 32];

        b->fs.records++;
        if (!name) {
                diag_warn(b->d, "%s: packages[%zu]: no pkg.name, skipped", b->file, index);
                b->fs.skipped++;
                return 0;
        }
        const char *pname = vdb_package(b, eco, name);
        if (!pname) {
                diag_warn(b->d, "%s: packages[%zu]: invalid package name '%.64s', skipped", b->file, index,
                          name);
                b->fs.skipped++;
                return vdb_check(b);
        }
        snprintf(label, sizeof label, "%s", pname);
        const json_t *secfixes = json_object_get(pkg, "secfixes");
        if (!secfixes || json_is_null(secfixes))
                return 0; /* a package without fixes: nothing to say */
        if (!json_is_object(secfixes)) {
                diag_warn(b->d, "%s: package '%s': secfixes is not a mapping, skipped", b->file, label);
                b->fs.skipped++;
                return 0;
        }
        const char *version;
        json_t *list;
        json_object_foreach((json_t *) secfixes, version, list) {
                if (!valid_version(version)) {
                        diag_warn(b->d, "%s: package '%s': invalid version '%.64s', its fixes are skipped",
                                  b->file, label, version);
                        continue;
                }
                if (json_is_null(list))
                        continue;
                if (!json_is_array(list)) {
                        diag_warn(b->d, "%s: package '%s': fixes of '%s' are not a list, skipped", b->file,
                                  label, version);
                        continue;
                }
                bool not_affected = streq(version, "0");
                size_t i;
                json_t *e;
                json_array_foreach(list, i, e) {
                        char ids[8][VDB_MAX_ID + 1];
                        const char *text = json_string_value(e);
                        size_t n = text ? extract_ids(text, ids, ELEMENTSOF(ids)) : 0;
                        if (n == 0) {
                                diag_warn(b->d, "%s: package '%s': no advisory id in '%.64s', skipped",
                                          b->file, label, text ? text : "(not text)");
                                continue;
                        }
                        struct vdb_vuln *v = vdb_vuln_get(b, ids[0]);
                        if (!v)
                                return vdb_oom(b);
                        if (n > 1) {
                                const char *more[8] = {0};
                                for (size_t k = 1; k < n; k++)
                                        more[k - 1] = ids[k];
                                int r = vdb_strv_union(b, &v->aliases, more);
                                if (r < 0)
                                        return r;
                        }
                        struct vdb_stmt *s = vdb_stmt_new(b, v, VK_SECDB);
                        if (!s)
                                return vdb_oom(b);
                        s->ecosystem = eco;
                        s->package = pname;
                        s->status = not_affected ? VS_NOT_AFFECTED : VS_FIXED;
                        if (!not_affected && !(s->fixed = arena_strdup(b->arena, version)))
                                return vdb_oom(b);
                }
        }
        return vdb_check(b);
}

static void head_string(const json_t *doc, const char *key, char *out, size_t size) {
        const char *s = json_get_str(doc, key);
        snprintf(out, size, "%s", s && vdb_valid_text(s, size - 1) ? s : "");
}

static const char *head_ecosystem(struct vdb_build *b, const struct secdb_head *h) {
        char buf[64];
        const char *eco = secdb_ecosystem(h, buf, sizeof buf);
        if (!eco) {
                diag_warn(b->d,
                          "%s: secdb without a usable distroversion ('%s') or known urlprefix, skipped",
                          b->file, h->distroversion);
                return NULL;
        }
        vdb_set_family(b, eco);
        return vdb_intern(b, eco);
}

int vdb_parse_secdb_value(struct vdb_build *b, const json_t *doc) {
        struct secdb_head h = {0};
        b->fs.kind = VK_SECDB;
        head_string(doc, "distroversion", h.distroversion, sizeof h.distroversion);
        head_string(doc, "urlprefix", h.urlprefix, sizeof h.urlprefix);
        const json_t *pkgs = json_object_get(doc, "packages");
        if (!json_is_array(pkgs) && !json_is_null(pkgs)) {
                diag_warn(b->d, "%s: secdb packages is not a list, skipped", b->file);
                return -EBADMSG;
        }
        const char *eco = head_ecosystem(b, &h);
        if (!eco)
                return vdb_check(b) ?: -EBADMSG;
        size_t i;
        json_t *e;
        json_array_foreach(pkgs, i, e) {
                int r = secdb_package(b, eco, e, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The JSON form is walked: Wolfi's security.json is large and sorts "packages" before "urlprefix". */
struct head_ctx {
        struct secdb_head *h;
};

static int head_cb(void *userdata, const char *key, const char *val, size_t len) {
        struct secdb_head *h = userdata;
        char *out = NULL;
        size_t size = 0;
        if (streq(key, "packages")) {
                h->has_packages = true;
                return 0;
        }
        if (streq(key, "distroversion"))
                out = h->distroversion, size = sizeof h->distroversion;
        else if (streq(key, "urlprefix"))
                out = h->urlprefix, size = sizeof h->urlprefix;
        else if (streq(key, "reponame"))
                out = h->reponame, size = sizeof h->reponame;
        if (!out || len > 1024)
                return 0;
        json_t *v = json_loadb(val, len, JSON_DECODE_ANY, NULL);
        if (json_is_string(v) && vdb_valid_text(json_string_value(v), size - 1))
                snprintf(out, size, "%s", json_string_value(v));
        json_decref(v);
        return 0;
}

struct pkgs_ctx {
        struct vdb_build *b;
        const char *eco;
};

static int pkg_elem_cb(void *userdata, size_t index, const char *val, size_t len) {
        struct pkgs_ctx *c = userdata;
        struct vdb_build *b = c->b;
        json_error_t err;
        if (len > b->max_record_bytes) {
                diag_warn(b->d, "%s: packages[%zu]: too large (%zu bytes, limit %zu), skipped", b->file,
                          index, len, b->max_record_bytes);
                b->fs.records++;
                b->fs.skipped++;
                return 0;
        }
        json_t *e = json_loadb(val, len, JSON_REJECT_DUPLICATES, &err);
        if (!e) {
                diag_warn(b->d, "%s: packages[%zu]: %s, skipped", b->file, index, err.text);
                b->fs.records++;
                b->fs.skipped++;
                return 0;
        }
        int r = secdb_package(b, c->eco, e, index);
        json_decref(e);
        return r;
}

static int pkgs_cb(void *userdata, const char *key, const char *val, size_t len) {
        struct pkgs_ctx *c = userdata;
        struct jscan_error err = {0};
        if (!streq(key, "packages"))
                return 0;
        if (len >= 4 && memcmp(val, "null", 4) == 0)
                return 0;
        int r = jscan_array(val, val + len, pkg_elem_cb, c, &err);
        if (r == -EBADMSG) {
                diag_warn(c->b->d, "%s: secdb packages: %s, skipped", c->b->file, err.what);
                return -EBADMSG;
        }
        return r;
}

int vdb_parse_secdb_json(struct vdb_build *b, const char *data, size_t len) {
        struct secdb_head h = {0};
        struct jscan_error err = {0};
        b->fs.kind = VK_SECDB;
        int r = jscan_object(data, data + len, head_cb, &h, &err);
        if (r == -EBADMSG) {
                diag_warn(b->d, "%s: not valid JSON at byte %zu (%s), skipped", b->file, err.offset,
                          err.what);
                return -EBADMSG;
        }
        const char *eco = head_ecosystem(b, &h);
        if (!eco)
                return vdb_check(b) ?: -EBADMSG;
        struct pkgs_ctx c = {b, eco};
        return jscan_object(data, data + len, pkgs_cb, &c, &err);
}
