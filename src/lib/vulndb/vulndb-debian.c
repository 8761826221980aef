/* SPDX-License-Identifier: Apache-2.0 */
/* The Debian security tracker's JSON export (https://security-tracker.debian.org/tracker/data/json):
 *   { source_package: { CVE-or-TEMP-id: { description, scope, debianbug,
 *       releases: { codename: { status, repositories, fixed_version, urgency, nodsa, nodsa_reason } } } } }
 * One statement per (package, id, release), in ecosystem "Debian:<version>". The file is ~100 MB, so it
 * is walked with the JSON scanner and each (package, id) entry is parsed on its own.
 *
 * Status mapping (the tracker's meaning, as its web pages show it):
 *   resolved, fixed_version "0"        -> not-affected (the release never had the vulnerable code)
 *   resolved, fixed_version V          -> fixed in V
 *   open, urgency "end-of-life"        -> end-of-life (the package is no longer supported there)
 *   open, nodsa_reason "ignored"       -> will-not-fix
 *   open (otherwise)                   -> unfixed
 *   undetermined                       -> unfixed, noted "status undetermined"
 * Severity: urgency unimportant/low -> LOW, medium -> MEDIUM, high -> HIGH ("**" marks, meaning set
 * without a closer look, are ignored); "not yet assigned" and end-of-life leave it to CVSS. */
#include <string.h>

#include "vulndb-internal.h"

static const struct {
        const char *codename, *version;
} releases[] = {
        {"wheezy", "7"},    {"jessie", "8"},  {"stretch", "9"}, {"buster", "10"}, {"bullseye", "11"},
        {"bookworm", "12"}, {"trixie", "13"}, {"forky", "14"},  {"duke", "15"},   {"sid", "unstable"},
};

static const char *release_version(const char *codename) {
        for (size_t i = 0; i < ELEMENTSOF(releases); i++)
                if (streq(releases[i].codename, codename))
                        return releases[i].version;
        return NULL;
}

struct pkg_ctx {
        struct vdb_build *b;
        const char *package; /* interned-ish copy in the arena */
};

static bool valid_version(const char *s) {
        if (!s || !*s || !vdb_valid_text(s, VDB_MAX_VERSION))
                return false;
        return !strpbrk(s, " \t");
}

static int release_statement(struct vdb_build *b, struct vdb_vuln *v, const char *package,
                             const char *codename, const json_t *rel) {
        const char *id = v->id;
        const char *version = release_version(codename);
        if (!version) {
                char key[96];
                snprintf(key, sizeof key, "debian-release:%.64s", codename);
                if (!hashmap_contains(b->warned, key)) {
                        const char *k = arena_strdup(b->arena, key);
                        if (!k || hashmap_put(b->warned, k, (void *) k, NULL) < 0)
                                return vdb_oom(b);
                        vdb_warn(b, id, "unknown Debian release '%.64s', its statements are skipped",
                                 codename);
                }
                return 0;
        }
        if (!json_is_object(rel)) {
                vdb_warn(b, id, "package '%s' release '%s' is not an object, skipped", package, codename);
                return 0;
        }
        const char *status = json_get_str(rel, "status"), *fixed = json_get_str(rel, "fixed_version");
        const char *urgency = json_get_str(rel, "urgency");
        const char *nodsa = json_get_str(rel, "nodsa"), *nodsa_reason = json_get_str(rel, "nodsa_reason");
        enum vuln_status st;
        const char *note = NULL;

        if (!status) {
                vdb_warn(b, id, "package '%s' release '%s' has no status, skipped", package, codename);
                return 0;
        }
        if (streq(status, "resolved")) {
                if (!valid_version(fixed)) {
                        vdb_warn(b, id,
                                 "package '%s' release '%s' is resolved without a valid fixed_version, "
                                 "skipped",
                                 package, codename);
                        return 0;
                }
                st = streq(fixed, "0") ? VS_NOT_AFFECTED : VS_FIXED;
        } else if (streq(status, "open")) {
                if (urgency && strneq(urgency, "end-of-life", 11))
                        st = VS_END_OF_LIFE;
                else if (nodsa_reason && streq(nodsa_reason, "ignored"))
                        st = VS_WONT_FIX;
                else
                        st = VS_UNFIXED;
        } else if (streq(status, "undetermined")) {
                st = VS_UNFIXED;
                note = "status undetermined";
        } else {
                vdb_warn(b, id, "package '%s' release '%s': unknown status '%.32s', skipped", package,
                         codename, status);
                return 0;
        }
        if (st == VS_UNFIXED && nodsa) {
                /* "Minor issue", "Not covered by security support", …: why no advisory is planned */
                if (vdb_valid_text(nodsa, VDB_MAX_NOTE - 32) &&
                    (!nodsa_reason || vdb_valid_text(nodsa_reason, 16)))
                        note = nodsa_reason && *nodsa_reason
                                       ? arena_printf(b->arena, "nodsa (%s): %s", nodsa_reason, nodsa)
                                       : arena_printf(b->arena, "nodsa: %s", nodsa);
        } else if (st == VS_WONT_FIX && nodsa && vdb_valid_text(nodsa, VDB_MAX_NOTE - 32))
                note = arena_printf(b->arena, "nodsa (ignored): %s", nodsa);

        char eco[32];
        snprintf(eco, sizeof eco, "Debian:%s", version);
        struct vdb_stmt *s = vdb_stmt_new(b, v, VK_DEBIAN);
        if (!s)
                return vdb_oom(b);
        s->ecosystem = vdb_intern(b, eco);
        s->package = package;
        s->status = st;
        s->note = note;
        if (st == VS_FIXED && !(s->fixed = arena_strdup(b->arena, fixed)))
                return vdb_oom(b);
        enum severity sev = vdb_severity_from_word(urgency);
        if (sev != SEV_UNKNOWN) {
                s->severity = sev;
                s->severity_source = "debian";
        }
        return vdb_check(b);
}

static int cve_cb(void *userdata, const char *key, const char *val, size_t len) {
        struct pkg_ctx *c = userdata;
        struct vdb_build *b = c->b;
        json_error_t err;
        int r = 0;

        b->fs.records++;
        if (!vdb_valid_id(key)) {
                diag_warn(b->d, "%s: package '%s': record '%.64s': not a valid id, skipped", b->file,
                          c->package, key);
                b->fs.skipped++;
                return 0;
        }
        if (len > b->max_record_bytes) {
                vdb_warn(b, key, "package '%s': too large (%zu bytes, limit %zu), skipped", c->package, len,
                         b->max_record_bytes);
                b->fs.skipped++;
                return 0;
        }
        json_t *e = json_loadb(val, len, JSON_REJECT_DUPLICATES, &err);
        if (!e || !json_is_object(e)) {
                vdb_warn(b, key, "package '%s': %s, skipped", c->package, e ? "not an object" : err.text);
                json_decref(e);
                b->fs.skipped++;
                return 0;
        }
        const json_t *rels = json_get_obj(e, "releases");
        if (!rels) {
                vdb_warn(b, key, "package '%s': no releases, skipped", c->package);
                b->fs.skipped++;
                goto out;
        }
        struct vdb_vuln *v = vdb_vuln_get(b, key);
        if (!v) {
                r = vdb_oom(b);
                goto out;
        }
        const char *desc = json_get_str(e, "description");
        if (desc && *desc && !v->summary)
                v->summary = vdb_summary_dup(b->arena, desc, VDB_MAX_SUMMARY, false);
        const char *codename;
        json_t *rel;
        json_object_foreach((json_t *) rels, codename, rel) {
                if ((r = release_statement(b, v, c->package, codename, rel)) < 0)
                        break;
        }
out:
        json_decref(e);
        return r;
}

static int package_cb(void *userdata, const char *key, const char *val, size_t len) {
        struct vdb_build *b = userdata;
        struct jscan_error err = {0};

        if (!*key || strpbrk(key, " \t/") || !vdb_valid_text(key, VDB_MAX_PACKAGE)) {
                diag_warn(b->d, "%s: invalid source package name '%.64s', its entries are skipped", b->file,
                          key);
                b->fs.skipped++;
                return 0;
        }
        struct pkg_ctx c = {b, vdb_package(b, "Debian", key)};
        if (!c.package)
                return vdb_oom(b);
        int r = jscan_object(val, val + len, cve_cb, &c, &err);
        if (r == -EBADMSG) {
                /* The structure was checked before: only "not an object" can get here. */
                diag_warn(b->d, "%s: package '%s': %s, skipped", b->file, key, err.what);
                b->fs.skipped++;
                return 0;
        }
        return r;
}

int vdb_parse_debian(struct vdb_build *b, const char *data, size_t len) {
        struct jscan_error err = {0};
        b->fs.kind = VK_DEBIAN;
        vdb_set_family(b, "Debian");
        int r = jscan_object(data, data + len, package_cb, b, &err);
        if (r == -EBADMSG) {
                diag_warn(b->d, "%s: not valid JSON at byte %zu (%s), skipped", b->file, err.offset,
                          err.what);
                return -EBADMSG;
        }
        return r;
}
