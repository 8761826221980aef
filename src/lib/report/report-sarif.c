/* SPDX-License-Identifier: Apache-2.0 */
/* SARIF 2.1.0: one run, one rule per secret rule or misconfiguration check that fired (sorted by id),
 * one result per finding.
 *
 * Locations: a finding in a file points at the file's path inside the image (a relative URI,
 * percent-encoded) and its line; a finding in the image configuration points at the artifact
 * "image-config" with a logical location naming the field ("Env", "history[3].created_by").
 * partialFingerprints["stockade/v1"] hashes what identifies a finding across rebuilds of an image (rule,
 * path, masked excerpt or message, not line numbers or layer indexes), so that code-scanning services
 * deduplicate it. Levels: error for CRITICAL and HIGH, warning for MEDIUM (and UNKNOWN), note for LOW;
 * properties["security-severity"] carries the numeric score those services sort by.
 *
 * A report of kind SBOM has no findings: the run is valid and has no results. */

#include <string.h>

#include "buf.h"
#include "core/digest.h"
#include "report-internal.h"

#define IMAGE_CONFIG_URI "image-config"

struct rule {
        const char *id;
        const char *title;
        const char *category; /* secrets */
        const char *cis;      /* misconfigurations */
        const char *remediation;
        enum severity severity; /* the highest seen */
        bool secret;
        size_t order;
        const struct vuln_finding *vuln; /* vulnerabilities: the first finding of this id */
        double cvss;                     /* vulnerabilities: the highest CVSS score seen */
};

static int rule_cmp(const void *a, const void *b) {
        return strcmp(((const struct rule *) a)->id, ((const struct rule *) b)->id);
}

static int rule_cmp_order(const void *a, const void *b) {
        const struct rule *x = a, *y = b;
        int c = strcmp(x->id, y->id);
        return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Rules that fired, sorted by id, one per id. */
static int collect_rules(const struct scan_result *r, struct rule **ret, size_t *ret_n) {
        size_t n = 0, max = r->secrets.n + r->misconfigs.n + r->vulns.n;
        _cleanup_free_ struct rule *v = calloc(max ? max : 1, sizeof *v);

        if (!v)
                return -ENOMEM;
        VEC_FOREACH (s, &r->secrets)
                v[n++] = (struct rule){ .id = s->rule_id ? s->rule_id : "unknown",
                                        .title = s->title,
                                        .category = s->category,
                                        .severity = s->severity,
                                        .secret = true };
        VEC_FOREACH (m, &r->misconfigs)
                v[n++] = (struct rule){ .id = m->id ? m->id : "unknown",
                                        .title = m->title,
                                        .cis = m->cis,
                                        .remediation = m->remediation,
                                        .severity = m->severity };
        VEC_FOREACH (f, &r->vulns)
                v[n++] = (struct rule){ .id = f->id ? f->id : "unknown",
                                        .title = f->summary,
                                        .severity = f->severity,
                                        .vuln = f,
                                        .cvss = f->cvss_score };
        /* The first finding of each id (in the result's order) describes the rule: sort stably. */
        for (size_t i = 0; i < n; i++)
                v[i].order = i;
        qsort_safe(v, n, sizeof *v, rule_cmp_order);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (k > 0 && streq(v[k - 1].id, v[i].id)) {
                        if (v[i].severity > v[k - 1].severity)
                                v[k - 1].severity = v[i].severity;
                        if (v[i].cvss > v[k - 1].cvss)
                                v[k - 1].cvss = v[i].cvss;
                        continue;
                }
                v[k++] = v[i];
        }
        *ret = TAKE_PTR(v);
        *ret_n = k;
        return 0;
}

static size_t rule_index(const struct rule *rules, size_t n, const char *id) {
        struct rule key = { .id = id ? id : "unknown" };
        const struct rule *hit = bsearch(&key, rules, n, sizeof *rules, rule_cmp);
        return hit ? (size_t) (hit - rules) : 0;
}

/* The score code-scanning services sort by (0.0–10.0), as CVSS bands. */
static const char *security_severity(enum severity s) {
        switch (s) {
        case SEV_CRITICAL: return "9.5";
        case SEV_HIGH: return "8.0";
        case SEV_MEDIUM: return "5.5";
        case SEV_LOW: return "2.0";
        case SEV_UNKNOWN:
        case _SEV_MAX: break;
        }
        return "0.0";
}

/* {"text": s}. Text is for people, shown by viewers and terminals: it is made safe as for the table
 * (report_term()), so that an excerpt cannot carry escape sequences or reorder a line. */
static json_t *text(struct arena *a, const char *s) {
        const char *t = report_term(a, s ? s : "");
        json_t *o = json_object();
        if (!t || rj_set_str(o, "text", t) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* Where an advisory is described: the database that issued the id. */
static const char *advisory_uri(struct arena *a, const char *id) {
        if (strneq(id, "CVE-", 4))
                return arena_printf(a, "https://nvd.nist.gov/vuln/detail/%s", id);
        if (strneq(id, "GHSA-", 5))
                return arena_printf(a, "https://github.com/advisories/%s", id);
        if (strneq(id, "GO-", 3))
                return arena_printf(a, "https://pkg.go.dev/vuln/%s", id);
        return arena_printf(a, "https://osv.dev/vulnerability/%s", id);
}

/* A URI is only written when the id is plain (the URI must stay a valid URI, and ids come from feeds). */
static bool uri_safe(const char *id) {
        for (const char *p = id; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_' || *p == '.' || *p == ':'))
                        return false;
        return *id != 0;
}

static json_t *vuln_rule_json(struct arena *a, const struct rule *ru) {
        const struct vuln_finding *v = ru->vuln;
        _cleanup_(json_decrefp) json_t *o = json_object(), *tags = json_array(), *props = json_object(),
                                       *conf = json_object();
        const char *title = v->summary ? arena_printf(a, "%s: %s", ru->id, v->summary) : ru->id;
        struct buf b = BUF_INIT(0);
        int e = buf_printf(&b, "%s", v->summary ? v->summary : ru->id);
        size_t k = 0;
        for (const char *const *x = v->ids; e >= 0 && x && *x; x++)
                if (!streq(*x, ru->id))
                        e = buf_printf(&b, "%s%s", k++ ? ", " : " Also known as ", *x);
        if (e >= 0 && k)
                e = buf_append_char(&b, '.');
        if (e >= 0 && v->kev)
                e = buf_append_str(&b, " Listed in CISA's Known Exploited Vulnerabilities catalog.");
        const char *full = e >= 0 ? arena_strndup(a, b.data ? b.data : "", b.len) : NULL;
        buf_free(&b);
        const char *help = "Upgrade each affected package to the fixed version its result names (the OS "
                           "package that owns it, when it has an owner), then rebuild the image. Without a "
                           "fixed version, weigh removing the package, a VEX statement or an ignore entry.";
        char score[16];
        snprintf(score, sizeof score, "%.1f", ru->cvss);
        if (!title || !full || !o || !tags || !props || !conf)
                return NULL;
        if (rj_append(tags, json_string("security")) < 0 || rj_append(tags, json_string("vulnerability")) < 0 ||
            (v->kev && rj_append(tags, json_string("kev")) < 0))
                return NULL;
        for (const char *const *c = v->cwes; c && *c; c++)
                if (rj_append(tags, rj_str(*c)) < 0)
                        return NULL;
        if (rj_set_str(o, "id", ru->id) < 0 || rj_set(o, "shortDescription", text(a, title)) < 0 ||
            rj_set(o, "fullDescription", text(a, full)) < 0 || rj_set(o, "help", text(a, help)) < 0 ||
            (uri_safe(ru->id) && rj_set_str(o, "helpUri", advisory_uri(a, ru->id)) < 0) ||
            rj_set_str(conf, "level", report_sarif_level(ru->severity)) < 0 ||
            rj_set(o, "defaultConfiguration", TAKE_PTR(conf)) < 0 ||
            rj_set(props, "tags", TAKE_PTR(tags)) < 0 ||
            rj_set_str(props, "security-severity", ru->cvss > 0 ? score : security_severity(ru->severity)) < 0 ||
            rj_set_str(props, "precision", "high") < 0 || rj_set(o, "properties", TAKE_PTR(props)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_t *rule_json(struct arena *a, const struct rule *ru) {
        if (ru->vuln)
                return vuln_rule_json(a, ru);
        _cleanup_(json_decrefp) json_t *o = json_object(), *tags = json_array(), *props = json_object(),
                                       *conf = json_object();
        const char *title = ru->title ? ru->title : ru->id;
        const char *full, *help;

        if (!o || !tags || !props || !conf)
                return NULL;
        if (ru->secret) {
                full = arena_printf(
                        a,
                        "%s: a secret of category %s was found in the image. Anyone who can pull "
                        "the image can read it, even when a later layer deletes the file.",
                        title, ru->category ? ru->category : "unknown");
                help = "Remove the secret from the image (from every layer: deleting it in a later layer "
                       "does not remove it), rebuild, and revoke or rotate the credential.";
        } else {
                full = ru->cis ? arena_printf(a, "%s (CIS Docker Benchmark %s)", title, ru->cis) : title;
                help = ru->remediation ? ru->remediation : title;
        }
        if (!full || rj_append(tags, json_string("security")) < 0 ||
            rj_append(tags, json_string(ru->secret ? "secret" : "misconfiguration")) < 0 ||
            (ru->category && rj_append(tags, rj_str(ru->category)) < 0) ||
            (ru->cis && rj_append(tags, rj_str(arena_printf(a, "CIS-%s", ru->cis))) < 0))
                return NULL;
        if (rj_set_str(o, "id", ru->id) < 0 || rj_set(o, "shortDescription", text(a, title)) < 0 ||
            rj_set(o, "fullDescription", text(a, full)) < 0 || rj_set(o, "help", text(a, help)) < 0 ||
            rj_set_str(conf, "level", report_sarif_level(ru->severity)) < 0 ||
            rj_set(o, "defaultConfiguration", TAKE_PTR(conf)) < 0 ||
            rj_set(props, "tags", TAKE_PTR(tags)) < 0 ||
            rj_set_str(props, "security-severity", security_severity(ru->severity)) < 0 ||
            rj_set_str(props, "precision", "high") < 0 || rj_set(o, "properties", TAKE_PTR(props)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/* A path inside the image as a relative URI reference: unreserved characters and '/' stay, the rest
 * (spaces, '%', '#', '?', ':', non-ASCII, invalid bytes made U+FFFD first) is percent-encoded. A leading
 * '/' is dropped so the URI stays relative to the image root. */
static char *path_uri(struct arena *a, const char *path) {
        const char *p = report_utf8(a, path ? path : "");
        struct buf b = BUF_INIT(0);
        int e = 0;

        if (!p)
                return NULL;
        while (*p == '/')
                p++;
        for (; *p && e >= 0; p++) {
                unsigned char c = (unsigned char) *p;
                if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '~' || c == '/')
                        e = buf_append_char(&b, (char) c);
                else
                        e = buf_printf(&b, "%%%02X", c);
        }
        char *out = e >= 0 ? arena_strndup(a, b.data ? b.data : "", b.len) : NULL;
        buf_free(&b);
        return out;
}

static json_t *file_location(struct arena *a, const char *path, unsigned line) {
        _cleanup_(json_decrefp) json_t *loc = json_object();
        json_t *phys = json_object(), *art = json_object();

        if (rj_set(loc, "physicalLocation", phys) < 0 || rj_set(phys, "artifactLocation", art) < 0 ||
            rj_set(art, "uri", rj_str(path_uri(a, path))) < 0)
                return NULL;
        if (line > 0) {
                json_t *region = json_object();
                if (rj_set(phys, "region", region) < 0 ||
                    rj_set(region, "startLine", json_integer(line)) < 0)
                        return NULL;
        }
        return TAKE_PTR(loc);
}

static json_t *config_location(const char *field) {
        _cleanup_(json_decrefp) json_t *loc = json_object();
        json_t *phys = json_object(), *art = json_object(), *logical = json_array(), *l = json_object();

        if (rj_set(loc, "physicalLocation", phys) < 0 || rj_set(phys, "artifactLocation", art) < 0 ||
            rj_set_str(art, "uri", IMAGE_CONFIG_URI) < 0 || rj_set(loc, "logicalLocations", logical) < 0 ||
            rj_append(logical, l) < 0 || rj_set_str(l, "fullyQualifiedName", field ? field : "config") < 0 ||
            rj_set_str(l, "kind", "property") < 0)
                return NULL;
        return TAKE_PTR(loc);
}

static json_t *fingerprints(const char *kind, const char *const *fields, size_t n) {
        struct buf b = BUF_INIT(0);
        char digest[DIGEST_STR_MAX];
        int e = buf_append_str(&b, kind);

        for (size_t i = 0; e >= 0 && i < n; i++)
                e = buf_printf(&b, "\x1f%s", fields[i] ? fields[i] : "");
        if (e >= 0)
                e = sha256_str(b.data, b.len, digest);
        buf_free(&b);
        if (e < 0)
                return NULL;
        json_t *o = json_object();
        if (rj_set(o, "stockade/v1", json_stringn(digest_hex(digest), 32)) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static int set_layer_props(json_t *props, const struct scan_result *r, int layer) {
        if (layer < 0)
                return 0;
        if (rj_set(props, "layer", json_integer(layer)) < 0 ||
            rj_set_str(props, "layerDiffId", report_layer_diff_id(r, layer)) < 0)
                return -ENOMEM;
        return 0;
}

static json_t *secret_result(struct arena *a, const struct scan_result *r, const struct rule *rules,
                             size_t n_rules, const struct secret_finding *s) {
        bool file = s->where == LOC_FILE;
        const char *title = s->title ? s->title : s->rule_id;
        const char *where =
                file ? (s->line > 0 ? arena_printf(a, "%s:%u", s->path ? s->path : "", s->line) : s->path)
                     : arena_printf(a, "the image configuration (%s)", s->path ? s->path : "config");
        const char *state = !file || s->state == FILE_PRESENT ? ""
                            : s->state == FILE_DELETED
                                    ? " (the file is deleted by a later layer but stays in the image)"
                                    : " (the file is replaced by a later layer but stays in the image)";
        const char *msg = arena_printf(a, "%s in %s%s%s%s", title ? title : "secret", where ? where : "",
                                       state, s->excerpt ? ": " : "", s->excerpt ? s->excerpt : "");
        const char *fp[] = { s->rule_id, file ? "file" : "config", s->path, s->excerpt };
        _cleanup_(json_decrefp) json_t *o = json_object(), *locs = json_array(), *props = json_object();

        if (!o || !locs || !props || !msg)
                return NULL;
        if (rj_set_str(o, "ruleId", s->rule_id ? s->rule_id : "unknown") < 0 ||
            rj_set(o, "ruleIndex", json_integer((json_int_t) rule_index(rules, n_rules, s->rule_id))) < 0 ||
            rj_set_str(o, "level", report_sarif_level(s->severity)) < 0 ||
            rj_set(o, "message", text(a, msg)) < 0 ||
            rj_append(locs, file ? file_location(a, s->path, s->line) : config_location(s->path)) < 0 ||
            rj_set(o, "locations", TAKE_PTR(locs)) < 0 ||
            rj_set(o, "partialFingerprints", fingerprints("secret", fp, ELEMENTSOF(fp))) < 0 ||
            rj_set_str(props, "severity", severity_to_string(s->severity)) < 0 ||
            rj_set_str(props, "category", s->category) < 0 ||
            (file && set_layer_props(props, r, s->layer) < 0) ||
            (file && rj_set_str(props, "state", file_state_to_string(s->state)) < 0) ||
            (s->offset > 0 && rj_set(props, "offset", json_integer((json_int_t) s->offset)) < 0) ||
            rj_set(o, "properties", TAKE_PTR(props)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_t *misconfig_result(struct arena *a, const struct scan_result *r, const struct rule *rules,
                                size_t n_rules, const struct misconfig_finding *m) {
        const char *fp[] = { m->id, m->path, m->message };
        _cleanup_(json_decrefp) json_t *o = json_object(), *locs = json_array(), *props = json_object();

        if (!o || !locs || !props)
                return NULL;
        if (rj_set_str(o, "ruleId", m->id ? m->id : "unknown") < 0 ||
            rj_set(o, "ruleIndex", json_integer((json_int_t) rule_index(rules, n_rules, m->id))) < 0 ||
            rj_set_str(o, "level", report_sarif_level(m->severity)) < 0 ||
            rj_set(o, "message", text(a, m->message ? m->message : m->title)) < 0 ||
            rj_append(locs, m->path ? file_location(a, m->path, 0) : config_location("config")) < 0 ||
            rj_set(o, "locations", TAKE_PTR(locs)) < 0 ||
            rj_set(o, "partialFingerprints", fingerprints("misconfig", fp, ELEMENTSOF(fp))) < 0 ||
            rj_set_str(props, "severity", severity_to_string(m->severity)) < 0 ||
            rj_set_str(props, "cis", m->cis) < 0 || set_layer_props(props, r, m->layer) < 0 ||
            rj_set(o, "properties", TAKE_PTR(props)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_t *vuln_result(struct arena *a, const struct scan_result *r, const struct rule *rules, size_t n_rules,
                           const struct vuln_finding *v) {
        const struct pkg *p = v->pkg;
        const char *name = p->type == PKG_MAVEN && p->namespace_ ? arena_printf(a, "%s:%s", p->namespace_, p->name)
                                                                 : p->name;
        const char *where = p->record_path && p->inner_path ? arena_printf(a, "%s!/%s", p->record_path, p->inner_path)
                                                            : p->record_path;
        const char *fix = v->fixed_version ? arena_printf(a, "fixed in %s", v->fixed_version)
                                           : arena_printf(a, "no fixed version (%s)", finding_status_to_string(v->status));
        const char *msg = arena_printf(a, "%s %s %s %s is affected by %s (%s): %s.%s%s%s%s%s", pkg_type_to_string(p->type),
                                       "package", name ? name : "?", v->installed_version ? v->installed_version : "",
                                       v->id, severity_to_string(v->severity), fix ? fix : "",
                                       where ? " Found in " : "", where ? where : "",
                                       p->owner ? ", installed by " : "", p->owner ? p->owner : "", where ? "." : "");
        const char *fp[] = { v->id, pkg_type_to_string(p->type), p->namespace_, p->name, p->record_path, p->inner_path };
        _cleanup_(json_decrefp) json_t *o = json_object(), *locs = json_array(), *props = json_object();

        if (!o || !locs || !props || !msg)
                return NULL;
        /* A package from an SBOM has no place in an image: it is located in the SBOM, by its purl. */
        json_t *loc;
        if (where)
                loc = file_location(a, where, 0);
        else {
                const char *t = r->image->target ? r->image->target : "sbom";
                const char *file = strrchr(t, '/') ? strrchr(t, '/') + 1 : strneq(t, "sbom:", 5) ? t + 5 : t;
                loc = file_location(a, file, 0);
                json_t *logical = json_array(), *l = json_object();
                if (!loc || rj_set(loc, "logicalLocations", logical) < 0 || rj_append(logical, l) < 0 ||
                    rj_set_str(l, "fullyQualifiedName", p->purl ? p->purl : name) < 0 || rj_set_str(l, "kind", "module") < 0) {
                        json_decref(loc);
                        return NULL;
                }
        }
        if (rj_set_str(o, "ruleId", v->id) < 0 ||
            rj_set(o, "ruleIndex", json_integer((json_int_t) rule_index(rules, n_rules, v->id))) < 0 ||
            rj_set_str(o, "level", report_sarif_level(v->severity)) < 0 || rj_set(o, "message", text(a, msg)) < 0 ||
            rj_append(locs, loc) < 0 || rj_set(o, "locations", TAKE_PTR(locs)) < 0 ||
            rj_set(o, "partialFingerprints", fingerprints("vuln", fp, ELEMENTSOF(fp))) < 0)
                return NULL;
        if (v->excepted_by) {
                /* SARIF's own way to say "seen and accepted": viewers hide these */
                json_t *sups = json_array(), *sup = json_object();
                if (rj_set(o, "suppressions", sups) < 0 || rj_append(sups, sup) < 0 ||
                    rj_set_str(sup, "kind", "external") < 0 || rj_set_str(sup, "status", "accepted") < 0 ||
                    rj_set(sup, "justification",
                           rj_str(report_term(a, arena_printf(a, "%s: %s", v->excepted_by,
                                                              v->exception_reason ? v->exception_reason : "")))) < 0)
                        return NULL;
        }
        if (rj_set_str(props, "severity", severity_to_string(v->severity)) < 0 ||
            rj_set_str(props, "severitySource", v->severity_source) < 0 ||
            (v->cvss_score > 0 && rj_set(props, "cvssScore", json_real(v->cvss_score)) < 0) ||
            rj_set_str(props, "cvssVector", v->cvss_vector) < 0 ||
            rj_set(props, "kev", json_boolean(v->kev)) < 0 ||
            rj_set_str(props, "status", finding_status_to_string(v->status)) < 0 ||
            rj_set(props, "ids", rj_strv(v->ids)) < 0 ||
            rj_set_str(props, "packageType", pkg_type_to_string(p->type)) < 0 ||
            rj_set_str(props, "packageName", name) < 0 || rj_set_str(props, "purl", p->purl) < 0 ||
            rj_set_str(props, "installedVersion", v->installed_version) < 0 ||
            rj_set_str(props, "fixedVersion", v->fixed_version) < 0 ||
            rj_set_str(props, "ecosystem", v->ecosystem) < 0 || rj_set_str(props, "owner", p->owner) < 0 ||
            set_layer_props(props, r, p->layer) < 0 ||
            rj_set_str(props, "exceptedBy", v->excepted_by) < 0 ||
            rj_set(o, "properties", TAKE_PTR(props)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_t *run_properties(const struct scan_result *r) {
        const struct image *img = r->image;
        _cleanup_(json_decrefp) json_t *props = json_object(), *image = json_object();
        if (!props || !image || rj_set_str(image, "name", report_image_name(r)) < 0 ||
            rj_set_str(image, "target", img->target) < 0 || rj_set_str(image, "id", img->id) < 0 ||
            rj_set_str(image, "manifestDigest", img->manifest_digest) < 0 ||
            rj_set_str(image, "platform", img->platform) < 0 ||
            rj_set_str(image, "os", r->os.pretty_name) < 0 || rj_set(props, "image", TAKE_PTR(image)) < 0 ||
            rj_set(props, "secretsScanned", json_boolean(r->secrets_scanned)) < 0 ||
            rj_set(props, "misconfigurationsScanned", json_boolean(r->misconfig_scanned)) < 0 ||
            rj_set(props, "vulnerabilitiesScanned", json_boolean(r->vulns_scanned)) < 0 ||
            (r->vulns_scanned && rj_set_str(props, "vulnerabilityDatabaseBuiltAt", r->vulndb_built_at) < 0))
                return NULL;
        return TAKE_PTR(props);
}

int report_write_sarif(FILE *f, const struct scan_result *r, const struct report_options *o) {
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        _cleanup_free_ struct rule *rules = NULL;
        size_t n_rules = 0;
        bool scan = o->kind == REPORT_KIND_SCAN;
        _cleanup_(json_decrefp) json_t *doc = json_object(), *runs = json_array(), *run = json_object(),
                                       *tool = json_object(), *driver = json_object(),
                                       *jrules = json_array(), *results = json_array();
        int e;

        if (!a || !doc || !runs || !run || !tool || !driver || !jrules || !results)
                return -ENOMEM;
        if (scan) {
                e = collect_rules(r, &rules, &n_rules);
                if (e < 0)
                        return e;
        }
        for (size_t i = 0; i < n_rules; i++)
                if (rj_append(jrules, rule_json(a, &rules[i])) < 0)
                        return -ENOMEM;
        if (scan) {
                VEC_FOREACH (v, &r->vulns)
                        if (rj_append(results, vuln_result(a, r, rules, n_rules, v)) < 0)
                                return -ENOMEM;
                VEC_FOREACH (s, &r->secrets)
                        if (rj_append(results, secret_result(a, r, rules, n_rules, s)) < 0)
                                return -ENOMEM;
                VEC_FOREACH (m, &r->misconfigs)
                        if (rj_append(results, misconfig_result(a, r, rules, n_rules, m)) < 0)
                                return -ENOMEM;
        }
        if (rj_set_str(doc, "$schema", "https://json.schemastore.org/sarif-2.1.0.json") < 0 ||
            rj_set_str(doc, "version", "2.1.0") < 0 || rj_set_str(driver, "name", "stockade") < 0 ||
            rj_set_str(driver, "version", STOCKADE_VERSION) < 0 ||
            rj_set_str(driver, "semanticVersion", STOCKADE_VERSION) < 0 ||
            rj_set_str(driver, "informationUri", STOCKADE_URL) < 0 ||
            rj_set(driver, "rules", TAKE_PTR(jrules)) < 0 || rj_set(tool, "driver", TAKE_PTR(driver)) < 0 ||
            rj_set(run, "tool", TAKE_PTR(tool)) < 0 || rj_set(run, "results", TAKE_PTR(results)) < 0 ||
            rj_set(run, "properties", run_properties(r)) < 0 || rj_append(runs, TAKE_PTR(run)) < 0 ||
            rj_set(doc, "runs", TAKE_PTR(runs)) < 0)
                return -ENOMEM;
        return rj_write(f, doc);
}
