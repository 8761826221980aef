/* SPDX-License-Identifier: Apache-2.0 */
/* CycloneDX 1.5 JSON.
 *
 * The image is metadata.component (type "container"); the operating system, when known, is a component
 * of type "operating-system"; every package is a component of type "library" ("application" for the main
 * module of a Go binary). CycloneDX has no type for "a package installed by the OS package manager", and
 * "library" is what consumers (and the other scanners) expect for them. stockade's own facts (where a
 * package was found, in which layer, which OS package owns it) are properties named stockade:…
 *
 * bom-refs are derived, not random: "image-<16 hex>" from the image's identity, "os-<id>-<version>", and
 * "pkg-<type>-<name>-<16 hex>" where the hex digits hash everything that tells two packages apart
 * (report_pkg_hash()). The same package in the same place of the same image gets the same bom-ref in
 * every run, and the same hash as its SPDXID in the SPDX document.
 *
 * Secrets and misconfigurations are not written here: CycloneDX has no place for them (and an SBOM
 * should not carry secret excerpts). A scan report holds the same BOM and "vulnerabilities": one entry
 * per vulnerability id and exception (findings of one id that are excepted differently need different
 * "analysis" objects), whose affects[].ref are the bom-refs of the packages' components above.
 *
 * An sbom: target is described by the SBOM's own subject: its component type when it names a valid
 * one, else "application". */

#include <string.h>
#include <strings.h>

#include "buf.h"
#include "core/digest.h"
#include "core/json-util.h"
#include "hashmap.h"
#include "report-internal.h"

struct cdx {
        const struct scan_result *r;
        const struct report_options *o;
        struct arena *arena;
        struct report_ids *ids;
        const char *image_ref, *os_ref;
        const char **pkg_refs; /* bom-ref of r->pkgs.items[i] */
};

static int add_prop(json_t *props, const char *name, const char *value) {
        if (!value)
                return 0;
        json_t *p = json_object();
        if (rj_append(props, p) < 0 || rj_set_str(p, "name", name) < 0 || rj_set_str(p, "value", value) < 0)
                return -ENOMEM;
        return 0;
}

/* Sets obj.properties when there are any. */
static int set_props(json_t *obj, json_t *props) {
        if (json_array_size(props) == 0) {
                json_decref(props);
                return 0;
        }
        return rj_set(obj, "properties", props);
}

/* licenses: one SPDX identifier -> {"license": {"id"}}; a valid expression -> {"expression"}; anything
 * else -> {"license": {"name"}}. CycloneDX allows either a list of licenses or exactly one expression,
 * so several declared strings of which one is a compound expression become one expression joined with
 * AND when all are valid, and a list of named licenses otherwise. */
static int set_licenses(struct cdx *c, json_t *comp, const char *const *lic) {
        size_t n = 0, n_invalid = 0, n_expr = 0;
        const char *canon[64];
        enum spdx_license_kind kind[64];

        for (; lic && lic[n] && n < ELEMENTSOF(canon); n++) {
                kind[n] = spdx_license_classify(c->arena, lic[n], &canon[n]);
                n_invalid += kind[n] == SPDX_LICENSE_INVALID;
                n_expr += kind[n] == SPDX_LICENSE_EXPRESSION;
        }
        if (n == 0)
                return 0;

        json_t *arr = json_array();
        if (rj_set(comp, "licenses", arr) < 0)
                return -ENOMEM;
        if (n_expr > 0 && n_invalid == 0) {
                /* One expression covering all of them. */
                struct buf b = BUF_INIT(0);
                int e = 0;
                for (size_t i = 0; e >= 0 && i < n; i++) {
                        bool paren = n > 1 && kind[i] == SPDX_LICENSE_EXPRESSION && strchr(canon[i], ' ');
                        e = buf_printf(&b, "%s%s%s%s", i > 0 ? " AND " : "", paren ? "(" : "", canon[i],
                                       paren ? ")" : "");
                }
                json_t *x = json_object();
                if (e >= 0)
                        e = rj_append(arr, x);
                else
                        json_decref(x);
                if (e >= 0)
                        e = rj_set_str(x, "expression", b.data);
                buf_free(&b);
                return e;
        }
        for (size_t i = 0; i < n; i++) {
                json_t *x = json_object(), *l = json_object();
                if (rj_append(arr, x) < 0) {
                        json_decref(l);
                        return -ENOMEM;
                }
                if (rj_set(x, "license", l) < 0)
                        return -ENOMEM;
                if (kind[i] == SPDX_LICENSE_ID ? rj_set_str(l, "id", canon[i]) < 0
                                               : rj_set_str(l, "name", lic[i]) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static json_t *tools_json(void) {
        _cleanup_(json_decrefp) json_t *tools = json_object(), *comps = json_array(), *t = json_object();
        if (!tools || !comps || !t || rj_set_str(t, "type", "application") < 0 ||
            rj_set_str(t, "author", "stockade") < 0 || rj_set_str(t, "name", "stockade") < 0 ||
            rj_set_str(t, "version", STOCKADE_VERSION) < 0 || rj_append(comps, TAKE_PTR(t)) < 0 ||
            rj_set(tools, "components", TAKE_PTR(comps)) < 0)
                return NULL;
        return TAKE_PTR(tools);
}

static json_t *image_component(struct cdx *c) {
        const struct image *img = c->r->image;
        char hash[DIGEST_STR_MAX];
        const char *identity = report_image_identity(c->r);
        const char *version = img->id ? img->id : img->manifest_digest;
        _cleanup_(json_decrefp) json_t *comp = json_object(), *props = json_array();

        if (!comp || !props || sha256_str(identity, strlen(identity), hash) < 0)
                return NULL;
        c->image_ref = report_ids_claim(c->ids, arena_printf(c->arena, "image-%.16s", digest_hex(hash)));
        if (!c->image_ref)
                return NULL;
        static const char *const types[] = { "application", "framework", "library", "container", "platform",
                                             "operating-system", "device", "device-driver", "firmware", "file",
                                             "machine-learning-model", "data" };
        const char *type = "container";
        if (c->r->from_sbom) {
                type = "application";
                for (size_t i = 0; c->r->sbom.subject_type && i < ELEMENTSOF(types); i++)
                        if (streq(c->r->sbom.subject_type, types[i]))
                                type = types[i];
        }
        if (rj_set_str(comp, "type", type) < 0 || rj_set_str(comp, "bom-ref", c->image_ref) < 0 ||
            rj_set_str(comp, "name", report_image_name(c->r)) < 0 ||
            rj_set_str(comp, "version", version) < 0)
                return NULL;
        if (img->id && digest_is_valid_sha256(img->id)) {
                json_t *hashes = json_array(), *h = json_object();
                if (rj_set(comp, "hashes", hashes) < 0 || rj_append(hashes, h) < 0 ||
                    rj_set_str(h, "alg", "SHA-256") < 0 || rj_set_str(h, "content", digest_hex(img->id)) < 0)
                        return NULL;
        }
        if (add_prop(props, "stockade:image:target", img->target) < 0 ||
            add_prop(props, "stockade:image:source-kind", img->source_kind) < 0 ||
            add_prop(props, "stockade:image:id", img->id) < 0 ||
            add_prop(props, "stockade:image:manifest-digest", img->manifest_digest) < 0 ||
            add_prop(props, "stockade:image:platform", img->platform) < 0)
                return NULL;
        for (const char *const *t = img->repo_tags; t && *t; t++)
                if (add_prop(props, "stockade:image:repo-tag", *t) < 0)
                        return NULL;
        for (const char *const *t = img->repo_digests; t && *t; t++)
                if (add_prop(props, "stockade:image:repo-digest", *t) < 0)
                        return NULL;
        for (size_t i = 0; i < c->r->n_layers; i++)
                if (add_prop(props, "stockade:image:layer:diff_id",
                             c->r->layers[i].diff_id[0] ? c->r->layers[i].diff_id : NULL) < 0)
                        return NULL;
        if (set_props(comp, TAKE_PTR(props)) < 0)
                return NULL;
        return TAKE_PTR(comp);
}

static json_t *os_component(struct cdx *c) {
        const struct scan_os *os = &c->r->os;
        _cleanup_(json_decrefp) json_t *comp = json_object(), *props = json_array();

        if (!comp || !props)
                return NULL;
        const char *base = arena_printf(c->arena, "os-%s%s%s", report_idstring(c->arena, os->id, 64),
                                        os->version_id ? "-" : "",
                                        os->version_id ? report_idstring(c->arena, os->version_id, 64) : "");
        c->os_ref = base ? report_ids_claim(c->ids, base) : NULL;
        if (!c->os_ref || rj_set_str(comp, "type", "operating-system") < 0 ||
            rj_set_str(comp, "bom-ref", c->os_ref) < 0 || rj_set_str(comp, "name", os->id) < 0 ||
            rj_set_str(comp, "version", os->version_id) < 0 ||
            rj_set_str(comp, "description", os->pretty_name) < 0 ||
            add_prop(props, "stockade:os:id-like", os->id_like) < 0 ||
            add_prop(props, "stockade:os:codename", os->codename) < 0 ||
            add_prop(props, "stockade:os:source-path", os->source_path) < 0 ||
            set_props(comp, TAKE_PTR(props)) < 0)
                return NULL;
        return TAKE_PTR(comp);
}

static json_t *pkg_component(struct cdx *c, const struct pkg *p, const char **ret_ref) {
        const struct scan_result *r = c->r;
        char hash[REPORT_PKG_HASH_LEN + 1];
        const char *flags[8], *group = p->namespace_, *name = p->name;
        size_t n_flags = report_pkg_flag_names(p->flags, flags);
        _cleanup_(json_decrefp) json_t *comp = json_object(), *props = json_array();

        if (!comp || !props || report_pkg_hash(p, hash) < 0)
                return NULL;
        const char *base = arena_printf(c->arena, "pkg-%s-%s-%s", pkg_type_to_string(p->type),
                                        report_idstring(c->arena, p->name, 64), hash);
        const char *ref = base ? report_ids_claim(c->ids, base) : NULL;
        if (!ref)
                return NULL;
        /* npm scopes are CycloneDX groups: "@types/node" is group "@types", name "node". */
        if (p->type == PKG_NPM && name && name[0] == '@' && strchr(name, '/')) {
                const char *slash = strchr(name, '/');
                group = arena_strndup(c->arena, name, (size_t) (slash - name));
                name = slash + 1;
                if (!group)
                        return NULL;
        }
        const char *type = (p->flags & PKG_F_GO_MAIN) ? "application" : "library";
        if (rj_set_str(comp, "type", type) < 0 || rj_set_str(comp, "bom-ref", ref) < 0 ||
            rj_set_str(comp, "group", group) < 0 || rj_set_str(comp, "name", name ? name : "") < 0 ||
            rj_set_str(comp, "version", report_pkg_full_version(c->arena, p)) < 0)
                return NULL;
        if (set_licenses(c, comp, p->licenses) < 0)
                return NULL;
        if (rj_set_str(comp, "purl", p->purl) < 0)
                return NULL;

        const char *where = p->record_path && p->inner_path
                                    ? arena_printf(c->arena, "%s!/%s", p->record_path, p->inner_path)
                                    : p->record_path;
        if (where) {
                json_t *ev = json_object(), *occ = json_array(), *loc = json_object();
                if (rj_set(comp, "evidence", ev) < 0 || rj_set(ev, "occurrences", occ) < 0 ||
                    rj_append(occ, loc) < 0 || rj_set_str(loc, "location", where) < 0)
                        return NULL;
        }

        if (add_prop(props, "stockade:package:type", pkg_type_to_string(p->type)) < 0 ||
            add_prop(props, "stockade:location:path", p->record_path) < 0 ||
            add_prop(props, "stockade:location:inner-path", p->inner_path) < 0 ||
            (p->layer >= 0 &&
             add_prop(props, "stockade:layer:index", arena_printf(c->arena, "%d", p->layer)) < 0) ||
            add_prop(props, "stockade:layer:diff_id", report_layer_diff_id(r, p->layer)) < 0 ||
            add_prop(props, "stockade:package:owner", p->owner) < 0 ||
            add_prop(props, "stockade:package:source-name", p->source_name) < 0 ||
            add_prop(props, "stockade:package:source-version", p->source_version) < 0 ||
            add_prop(props, "stockade:package:arch", p->arch) < 0 ||
            add_prop(props, "stockade:go:toolchain", p->go_toolchain) < 0)
                return NULL;
        for (size_t i = 0; i < n_flags; i++)
                if (add_prop(props, "stockade:package:flag", flags[i]) < 0)
                        return NULL;
        if (set_props(comp, TAKE_PTR(props)) < 0)
                return NULL;
        *ret_ref = ref;
        return TAKE_PTR(comp);
}

/* ---- vulnerabilities ---- */

static const char *cdx_severity(enum severity s) {
        switch (s) {
        case SEV_CRITICAL: return "critical";
        case SEV_HIGH: return "high";
        case SEV_MEDIUM: return "medium";
        case SEV_LOW: return "low";
        case SEV_UNKNOWN:
        case _SEV_MAX: break;
        }
        return "unknown";
}

static const char *cvss_method(const char *vector) {
        if (!vector)
                return "other";
        if (strneq(vector, "CVSS:3.1/", 9))
                return "CVSSv31";
        if (strneq(vector, "CVSS:3.0/", 9))
                return "CVSSv3";
        if (strneq(vector, "CVSS:4.0/", 9))
                return "CVSSv4";
        if (strneq(vector, "AV:", 3) || strneq(vector, "(AV:", 4))
                return "CVSSv2";
        return "other";
}

static bool plain_id(const char *id) {
        for (const char *p = id; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_' || *p == '.' || *p == ':'))
                        return false;
        return *id != 0;
}

/* {"name", "url"} of the database that issued an id. */
static json_t *id_source(struct arena *a, const char *id) {
        static const struct {
                const char *prefix, *name, *url;
        } dbs[] = {
                { "CVE-", "NVD", "https://nvd.nist.gov/vuln/detail/" },
                { "GHSA-", "GitHub Advisory Database", "https://github.com/advisories/" },
                { "GO-", "Go Vulnerability Database", "https://pkg.go.dev/vuln/" },
                { "PYSEC-", "PyPA Advisory Database", "https://osv.dev/vulnerability/" },
                { "RUSTSEC-", "RustSec Advisory Database", "https://rustsec.org/advisories/" },
        };
        const char *name = "OSV", *url = "https://osv.dev/vulnerability/";
        for (size_t i = 0; i < ELEMENTSOF(dbs); i++)
                if (strneq(id, dbs[i].prefix, strlen(dbs[i].prefix))) {
                        name = dbs[i].name;
                        url = dbs[i].url;
                        break;
                }
        json_t *src = json_object();
        if (rj_set_str(src, "name", name) < 0 ||
            (plain_id(id) && rj_set_str(src, "url", arena_printf(a, "%s%s", url, id)) < 0)) {
                json_decref(src);
                return NULL;
        }
        return src;
}

/* RFC 3339 date-time as the schema's "date-time" format wants it (feeds also write bare dates). */
static bool is_date_time(const char *s) {
        static const char shape[] = "dddd-dd-ddTdd:dd:dd";
        size_t i = 0;
        if (!s)
                return false;
        for (; shape[i]; i++)
                if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
                        return false;
        const char *p = s + i;
        if (*p == '.') {
                if (!(p[1] >= '0' && p[1] <= '9'))
                        return false;
                for (p++; *p >= '0' && *p <= '9'; p++)
                        ;
        }
        if (*p == 'Z')
                return p[1] == 0;
        return (*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' && p[3] == ':' &&
               p[4] >= '0' && p[4] <= '9' && p[5] >= '0' && p[5] <= '9' && p[6] == 0;
}

/* OpenVEX justifications in CycloneDX's words; CycloneDX's own pass through. */
static const char *cdx_justification(const char *j) {
        static const char *const map[][2] = {
                { "component_not_present", "code_not_present" },
                { "vulnerable_code_not_present", "code_not_present" },
                { "vulnerable_code_not_in_execute_path", "code_not_reachable" },
                { "vulnerable_code_cannot_be_controlled_by_adversary", "requires_environment" },
                { "inline_mitigations_already_exist", "protected_by_mitigating_control" },
                { "code_not_present", "code_not_present" },
                { "code_not_reachable", "code_not_reachable" },
                { "requires_configuration", "requires_configuration" },
                { "requires_dependency", "requires_dependency" },
                { "requires_environment", "requires_environment" },
                { "protected_by_compiler", "protected_by_compiler" },
                { "protected_at_runtime", "protected_at_runtime" },
                { "protected_at_perimeter", "protected_at_perimeter" },
                { "protected_by_mitigating_control", "protected_by_mitigating_control" },
        };
        for (size_t i = 0; j && i < ELEMENTSOF(map); i++)
                if (streq(j, map[i][0]))
                        return map[i][1];
        return NULL;
}

static json_t *analysis_json(struct cdx *c, const struct vuln_finding *v) {
        _cleanup_(json_decrefp) json_t *an = json_object();
        json_t *resp = NULL;
        const char *detail = v->exception_reason;
        if (!an)
                return NULL;
        if (streq(v->excepted_by, "vex")) {
                bool fixed = streq_ptr(v->vex_status, "fixed");
                if (rj_set_str(an, "state", fixed ? "resolved" : "not_affected") < 0 ||
                    (!fixed && rj_set_str(an, "justification", cdx_justification(v->vex_justification)) < 0))
                        return NULL;
                detail = arena_printf(c->arena, "VEX (%s): %s", v->exception_source ? v->exception_source : "",
                                      v->exception_reason ? v->exception_reason : "");
        } else if (streq(v->excepted_by, "ignore-file")) {
                resp = json_array();
                if (rj_set(an, "response", resp) < 0 || rj_append(resp, json_string("will_not_fix")) < 0)
                        return NULL;
                detail = arena_printf(c->arena, "ignored by %s%s%s: %s", v->exception_source ? v->exception_source : "",
                                      v->exception_expires ? " until " : "",
                                      v->exception_expires ? v->exception_expires : "",
                                      v->exception_reason ? v->exception_reason : "");
        } else {
                resp = json_array();
                if (rj_set(an, "response", resp) < 0 || rj_append(resp, json_string("can_not_fix")) < 0)
                        return NULL;
        }
        if (rj_set_str(an, "detail", detail) < 0)
                return NULL;
        return TAKE_PTR(an);
}

/* Adds a rating unless an equal one is there. */
static int add_rating(json_t *ratings, const char *source, double score, const char *severity, const char *method,
                      const char *vector) {
        size_t i;
        json_t *x;
        json_array_foreach(ratings, i, x) {
                if (streq_ptr(json_get_str(x, "severity"), severity) && streq_ptr(json_get_str(x, "method"), method) &&
                    streq_ptr(json_string_value(json_object_get(json_object_get(x, "source"), "name")), source) &&
                    (score <= 0 || json_real_value(json_object_get(x, "score")) == score))
                        return 0;
        }
        json_t *rt = json_object();
        if (rj_append(ratings, rt) < 0)
                return -ENOMEM;
        if (source) {
                json_t *src = json_object();
                if (rj_set(rt, "source", src) < 0 || rj_set_str(src, "name", source) < 0)
                        return -ENOMEM;
        }
        if ((score > 0 && rj_set(rt, "score", json_real(score)) < 0) || rj_set_str(rt, "severity", severity) < 0 ||
            rj_set_str(rt, "method", method) < 0 || rj_set_str(rt, "vector", vector) < 0)
                return -ENOMEM;
        return 0;
}

/* One vulnerabilities[] entry for findings g[0..n) (same id, same exception). */
static json_t *vuln_entry(struct cdx *c, const struct vuln_finding *const *g, size_t n) {
        const struct vuln_finding *v = g[0];
        _cleanup_(json_decrefp) json_t *o = json_object(), *refs = json_array(), *ratings = json_array(),
                                       *cwes = json_array(), *affects = json_array(), *props = json_array();
        struct buf rec = BUF_INIT(0);
        int e = 0;

        if (!o || !refs || !ratings || !cwes || !affects || !props)
                return NULL;
        const char *ref = report_ids_claim(c->ids, arena_printf(c->arena, "vuln-%s", report_idstring(c->arena, v->id, 96)));
        if (!ref || rj_set_str(o, "bom-ref", ref) < 0 || rj_set_str(o, "id", v->id) < 0 ||
            rj_set(o, "source", id_source(c->arena, v->id)) < 0)
                return NULL;
        for (const char *const *x = v->ids; x && *x; x++) {
                if (streq(*x, v->id))
                        continue;
                json_t *r = json_object();
                if (rj_append(refs, r) < 0 || rj_set_str(r, "id", *x) < 0 || rj_set(r, "source", id_source(c->arena, *x)) < 0)
                        return NULL;
        }
        for (size_t i = 0; i < n && e >= 0; i++) {
                const struct vuln_finding *f = g[i];
                /* the score's own band (the finding's severity may be a distribution's rating) */
                enum severity band = f->cvss_score >= 9.0   ? SEV_CRITICAL
                                     : f->cvss_score >= 7.0 ? SEV_HIGH
                                     : f->cvss_score >= 4.0 ? SEV_MEDIUM
                                                            : SEV_LOW;
                if (f->cvss_score > 0)
                        e = add_rating(ratings, NULL, f->cvss_score, cdx_severity(band), cvss_method(f->cvss_vector),
                                       f->cvss_vector);
                if (e >= 0 && f->severity != SEV_UNKNOWN && f->severity_source && !streq(f->severity_source, "cvss"))
                        e = add_rating(ratings, f->severity_source, 0, cdx_severity(f->severity), "other", NULL);
        }
        if (e >= 0 && json_array_size(ratings) == 0)
                e = add_rating(ratings, NULL, 0, cdx_severity(v->severity), NULL, NULL);
        if (e < 0)
                return NULL;
        for (const char *const *w = v->cwes; w && *w; w++) {
                char *end;
                long id = strncasecmp(*w, "CWE-", 4) == 0 ? strtol(*w + 4, &end, 10) : -1;
                if (id >= 0 && *end == 0 && rj_append(cwes, json_integer(id)) < 0)
                        return NULL;
        }
        for (size_t i = 0; i < n && e >= 0; i++) {
                const struct vuln_finding *f = g[i];
                size_t idx = (size_t) (f->pkg - c->r->pkgs.items);
                if (f->pkg < c->r->pkgs.items || idx >= c->r->pkgs.n || !c->pkg_refs[idx])
                        continue;
                json_t *af = json_object(), *vers = json_array(), *inst = json_object();
                if (rj_append(affects, af) < 0 || rj_set_str(af, "ref", c->pkg_refs[idx]) < 0 ||
                    rj_set(af, "versions", vers) < 0 || rj_append(vers, inst) < 0 ||
                    rj_set_str(inst, "version", f->installed_version ? f->installed_version : "") < 0 ||
                    rj_set_str(inst, "status", "affected") < 0)
                        return NULL;
                if (f->fixed_version) {
                        json_t *fx = json_object();
                        if (rj_append(vers, fx) < 0 || rj_set_str(fx, "version", f->fixed_version) < 0 ||
                            rj_set_str(fx, "status", "unaffected") < 0)
                                return NULL;
                        /* "Upgrade stdlib to 1.19.9", once per package name and version */
                        const char *line = arena_printf(c->arena, "Upgrade %s to %s.", f->pkg->name, f->fixed_version);
                        if (line && (!rec.data || !strstr(rec.data, line)))
                                e = buf_printf(&rec, "%s%s", rec.len ? " " : "", line);
                }
        }
        if (e < 0) {
                buf_free(&rec);
                return NULL;
        }
        const char *recommendation = rec.len ? arena_strndup(c->arena, rec.data, rec.len) : NULL;
        buf_free(&rec);
        if (add_prop(props, "stockade:vulnerability:status", finding_status_to_string(v->status)) < 0 ||
            (v->kev && add_prop(props, "stockade:vulnerability:kev", "true") < 0) ||
            add_prop(props, "stockade:vulnerability:ecosystem", v->ecosystem) < 0 ||
            add_prop(props, "stockade:vulnerability:excepted-by", v->excepted_by) < 0)
                return NULL;
        for (const char *const *src = v->sources; src && *src; src++)
                if (add_prop(props, "stockade:vulnerability:feed", *src) < 0)
                        return NULL;
        if ((json_array_size(refs) && rj_set(o, "references", TAKE_PTR(refs)) < 0) ||
            rj_set(o, "ratings", TAKE_PTR(ratings)) < 0 ||
            (json_array_size(cwes) && rj_set(o, "cwes", TAKE_PTR(cwes)) < 0) ||
            rj_set_str(o, "description", v->summary) < 0 || rj_set_str(o, "recommendation", recommendation) < 0 ||
            (is_date_time(v->published) && rj_set_str(o, "published", v->published) < 0) ||
            (is_date_time(v->modified) && rj_set_str(o, "updated", v->modified) < 0) ||
            (v->excepted_by && rj_set(o, "analysis", analysis_json(c, v)) < 0) ||
            rj_set(o, "affects", TAKE_PTR(affects)) < 0 || set_props(o, TAKE_PTR(props)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/* Findings of one id with one exception share an entry; entries in the order the findings come. */
static const char *group_key(struct arena *a, const struct vuln_finding *v) {
        return arena_printf(a, "%s\x1f%s\x1f%s\x1f%s", v->id, v->excepted_by ? v->excepted_by : "",
                            v->exception_source ? v->exception_source : "", v->exception_reason ? v->exception_reason : "");
}

static int vulnerabilities_json(struct cdx *c, json_t *doc) {
        const struct scan_result *r = c->r;
        _cleanup_(hashmap_freep) struct hashmap *groups = hashmap_new();
        _cleanup_free_ size_t *group_of = calloc(MAX(r->vulns.n, (size_t) 1), sizeof *group_of);
        _cleanup_free_ const struct vuln_finding **members = calloc(MAX(r->vulns.n, (size_t) 1), sizeof *members);
        _cleanup_free_ size_t *starts = calloc(r->vulns.n + 2, sizeof *starts);
        json_t *arr = json_array();
        size_t n_groups = 0;

        if (rj_set(doc, "vulnerabilities", arr) < 0 || !groups || !group_of || !members || !starts)
                return -ENOMEM;
        for (size_t i = 0; i < r->vulns.n; i++) {
                const char *k = group_key(c->arena, &r->vulns.items[i]);
                if (!k)
                        return -ENOMEM;
                void *g = hashmap_get(groups, k);
                if (!g) {
                        g = (void *) (uintptr_t) ++n_groups;
                        if (hashmap_put(groups, k, g, NULL) < 0)
                                return -ENOMEM;
                }
                group_of[i] = (uintptr_t) g - 1;
        }
        /* counting sort of the findings by group, keeping their order inside a group */
        for (size_t i = 0; i < r->vulns.n; i++)
                starts[group_of[i] + 1]++;
        for (size_t g = 1; g <= n_groups; g++)
                starts[g] += starts[g - 1];
        _cleanup_free_ size_t *fill = calloc(n_groups + 1, sizeof *fill);
        if (!fill)
                return -ENOMEM;
        for (size_t i = 0; i < r->vulns.n; i++)
                members[starts[group_of[i]] + fill[group_of[i]]++] = &r->vulns.items[i];
        for (size_t g = 0; g < n_groups; g++)
                if (rj_append(arr, vuln_entry(c, members + starts[g], starts[g + 1] - starts[g])) < 0)
                        return -ENOMEM;
        return 0;
}

int report_write_cyclonedx(FILE *f, const struct scan_result *r, const struct report_options *o) {
        char created[REPORT_TIME_MAX], uuid[REPORT_UUID_MAX];
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        _cleanup_(report_ids_freep) struct report_ids *ids = NULL;
        _cleanup_(json_decrefp) json_t *doc = json_object(), *meta = json_object(), *comps = json_array(),
                                       *deps = json_array(), *image_deps = json_array(),
                                       *mprops = json_array();
        int e;

        if (!a || !doc || !meta || !comps || !deps || !image_deps || !mprops || !(ids = report_ids_new(a)))
                return -ENOMEM;
        struct cdx c = { .r = r, .o = o, .arena = a, .ids = ids };

        e = report_created(o, created);
        if (e < 0)
                return e;
        e = report_uuid(o, r, "cyclonedx", uuid);
        if (e < 0)
                return e;

        if (rj_set_str(doc, "$schema", "http://cyclonedx.org/schema/bom-1.5.schema.json") < 0 ||
            rj_set_str(doc, "bomFormat", "CycloneDX") < 0 || rj_set_str(doc, "specVersion", "1.5") < 0 ||
            rj_set(doc, "serialNumber", json_sprintf("urn:uuid:%s", uuid)) < 0 ||
            rj_set(doc, "version", json_integer(1)) < 0)
                return -ENOMEM;
        if ((!o->reproducible && rj_set_str(meta, "timestamp", created) < 0) ||
            rj_set(meta, "tools", tools_json()) < 0 || rj_set(meta, "component", image_component(&c)) < 0 ||
            add_prop(mprops, "stockade:report:kind", o->kind == REPORT_KIND_SCAN ? "scan" : "sbom") < 0 ||
            add_prop(mprops, "stockade:summary:files", arena_printf(a, "%zu", r->n_files)) < 0 ||
            set_props(meta, TAKE_PTR(mprops)) < 0 || rj_set(doc, "metadata", TAKE_PTR(meta)) < 0)
                return -ENOMEM;

        if (r->os.id) {
                if (rj_append(comps, os_component(&c)) < 0 || rj_append(image_deps, rj_str(c.os_ref)) < 0)
                        return -ENOMEM;
        }
        c.pkg_refs = arena_alloc(a, MAX(r->pkgs.n, (size_t) 1) * sizeof *c.pkg_refs);
        if (!c.pkg_refs)
                return -ENOMEM;
        VEC_FOREACH (p, &r->pkgs) {
                const char *ref = NULL;
                if (rj_append(comps, pkg_component(&c, p, &ref)) < 0 ||
                    rj_append(image_deps, rj_str(ref)) < 0)
                        return -ENOMEM;
                c.pkg_refs[p - r->pkgs.items] = ref;
        }

        /* The image depends on everything in it; what depends on what inside is not known here. */
        json_t *dep = json_object();
        if (rj_set(doc, "components", TAKE_PTR(comps)) < 0 || rj_append(deps, dep) < 0 ||
            rj_set_str(dep, "ref", c.image_ref) < 0 || rj_set(dep, "dependsOn", TAKE_PTR(image_deps)) < 0 ||
            rj_set(doc, "dependencies", TAKE_PTR(deps)) < 0)
                return -ENOMEM;
        if (o->kind == REPORT_KIND_SCAN && r->vulns_scanned && (e = vulnerabilities_json(&c, doc)) < 0)
                return e;
        return rj_write(f, doc);
}
