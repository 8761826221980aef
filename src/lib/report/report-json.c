/* SPDX-License-Identifier: Apache-2.0 */
/* stockade's own JSON: every fact the scan has, in stockade's vocabulary (docs/json-output.md). Absent
 * optional values are left out; arrays are always there, possibly empty. */

#include "report-internal.h"

static json_t *target_json(const struct image *img) {
        _cleanup_(json_decrefp) json_t *t = json_object();
        if (!t)
                return NULL;
        if (rj_set_str(t, "input", img->target) < 0 || rj_set_str(t, "kind", img->source_kind) < 0 ||
            rj_set_str(t, "name", img->name) < 0 || rj_set_str(t, "id", img->id) < 0 ||
            rj_set_str(t, "manifest_digest", img->manifest_digest) < 0 ||
            rj_set_str(t, "platform", img->platform) < 0 ||
            rj_set(t, "repo_tags", rj_strv(img->repo_tags)) < 0 ||
            rj_set(t, "repo_digests", rj_strv(img->repo_digests)) < 0)
                return NULL;
        return TAKE_PTR(t);
}

static json_t *os_json(const struct scan_os *os) {
        if (!os->id)
                return json_null();
        _cleanup_(json_decrefp) json_t *o = json_object();
        if (!o)
                return NULL;
        if (rj_set_str(o, "id", os->id) < 0 || rj_set_str(o, "version_id", os->version_id) < 0 ||
            rj_set_str(o, "codename", os->codename) < 0 ||
            rj_set_str(o, "pretty_name", os->pretty_name) < 0 ||
            rj_set_str(o, "source_path", os->source_path) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_t *layers_json(const struct scan_result *r) {
        _cleanup_(json_decrefp) json_t *arr = json_array();
        if (!arr)
                return NULL;
        for (size_t i = 0; i < r->n_layers; i++) {
                const struct scan_layer *l = &r->layers[i];
                json_t *o = json_object();
                if (rj_append(arr, o) < 0 || rj_set(o, "index", json_integer(l->index)) < 0 ||
                    rj_set_str(o, "digest", l->digest[0] ? l->digest : NULL) < 0 ||
                    rj_set_str(o, "diff_id", l->diff_id[0] ? l->diff_id : NULL) < 0 ||
                    rj_set_str(o, "created_by", l->created_by) < 0 ||
                    rj_set(o, "size", json_integer((json_int_t) l->bytes_stored)) < 0 ||
                    rj_set(o, "size_uncompressed", json_integer((json_int_t) l->bytes_tar)) < 0 ||
                    rj_set(o, "files", json_integer((json_int_t) l->n_files)) < 0)
                        return NULL;
        }
        return TAKE_PTR(arr);
}

/* The fields every document starts with. */
static json_t *doc_head(const struct scan_result *r, const struct report_options *o, const char *schema,
                        int *ret_err) {
        char created[REPORT_TIME_MAX];
        _cleanup_(json_decrefp) json_t *doc = json_object(), *tool = json_object();

        *ret_err = -ENOMEM;
        if (!doc || !tool || rj_set_str(doc, "schema", schema) < 0 ||
            rj_set_str(tool, "name", "stockade") < 0 || rj_set_str(tool, "version", STOCKADE_VERSION) < 0 ||
            rj_set(doc, "tool", TAKE_PTR(tool)) < 0)
                return NULL;
        if (!o->reproducible) {
                int e = report_created(o, created);
                if (e < 0) {
                        *ret_err = e;
                        return NULL;
                }
                if (rj_set_str(doc, "created", created) < 0)
                        return NULL;
        }
        if (rj_set(doc, "target", target_json(r->image)) < 0 || rj_set(doc, "os", os_json(&r->os)) < 0 ||
            rj_set(doc, "layers", layers_json(r)) < 0)
                return NULL;
        *ret_err = 0;
        return TAKE_PTR(doc);
}

static int set_layer(json_t *o, const struct scan_result *r, int layer) {
        if (layer < 0)
                return 0;
        int e = rj_set(o, "layer", json_integer(layer));
        if (e >= 0)
                e = rj_set_str(o, "layer_diff_id", report_layer_diff_id(r, layer));
        return e;
}

static json_t *pkg_json(const struct scan_result *r, const struct pkg *p) {
        const char *flags[8];
        size_t n_flags = report_pkg_flag_names(p->flags, flags);
        _cleanup_(json_decrefp) json_t *o = json_object(), *fl = json_array();

        if (!o || !fl)
                return NULL;
        for (size_t i = 0; i < n_flags; i++)
                if (rj_append(fl, json_string(flags[i])) < 0)
                        return NULL;
        if (rj_set_str(o, "type", pkg_type_to_string(p->type)) < 0 || rj_set_str(o, "name", p->name) < 0 ||
            rj_set_str(o, "version", p->version) < 0 || rj_set_str(o, "epoch", p->epoch) < 0 ||
            rj_set_str(o, "namespace", p->namespace_) < 0 ||
            rj_set_str(o, "source_name", p->source_name) < 0 ||
            rj_set_str(o, "source_version", p->source_version) < 0 || rj_set_str(o, "arch", p->arch) < 0 ||
            rj_set(o, "licenses", rj_strv(p->licenses)) < 0 || rj_set_str(o, "purl", p->purl) < 0 ||
            rj_set_str(o, "path", p->record_path) < 0 || rj_set_str(o, "inner_path", p->inner_path) < 0 ||
            set_layer(o, r, p->layer) < 0 || rj_set_str(o, "owner", p->owner) < 0 ||
            rj_set_str(o, "go_toolchain", p->go_toolchain) < 0 || rj_set(o, "flags", TAKE_PTR(fl)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static int write_sbom(FILE *f, const struct scan_result *r, const struct report_options *o) {
        size_t by_type[_PKG_TYPE_MAX] = {};
        int e;
        _cleanup_(json_decrefp) json_t *doc = doc_head(r, o, "stockade/sbom/v1", &e);
        _cleanup_(json_decrefp) json_t *pkgs = json_array(), *summary = json_object(),
                                       *types = json_object();

        if (!doc)
                return e;
        if (!pkgs || !summary || !types)
                return -ENOMEM;
        VEC_FOREACH (p, &r->pkgs) {
                if (rj_append(pkgs, pkg_json(r, p)) < 0)
                        return -ENOMEM;
                if (p->type >= 0 && p->type < _PKG_TYPE_MAX)
                        by_type[p->type]++;
        }
        for (int t = 0; t < _PKG_TYPE_MAX; t++)
                if (by_type[t] &&
                    rj_set(types, pkg_type_to_string(t), json_integer((json_int_t) by_type[t])) < 0)
                        return -ENOMEM;
        if (rj_set(doc, "packages", TAKE_PTR(pkgs)) < 0 ||
            rj_set(summary, "packages", json_integer((json_int_t) r->pkgs.n)) < 0 ||
            rj_set(summary, "by_type", TAKE_PTR(types)) < 0 ||
            rj_set(summary, "files", json_integer((json_int_t) r->n_files)) < 0 ||
            rj_set(doc, "summary", TAKE_PTR(summary)) < 0)
                return -ENOMEM;
        return rj_write(f, doc);
}

static json_t *secret_json(const struct scan_result *r, const struct secret_finding *s) {
        _cleanup_(json_decrefp) json_t *o = json_object();
        bool file = s->where == LOC_FILE;

        if (!o || rj_set_str(o, "rule", s->rule_id) < 0 || rj_set_str(o, "title", s->title) < 0 ||
            rj_set_str(o, "category", s->category) < 0 ||
            rj_set_str(o, "severity", severity_to_string(s->severity)) < 0 ||
            rj_set_str(o, "location", file ? "file" : "config") < 0 || rj_set_str(o, "path", s->path) < 0 ||
            (s->line > 0 && rj_set(o, "line", json_integer(s->line)) < 0) ||
            rj_set(o, "offset", json_integer((json_int_t) s->offset)) < 0 ||
            (file && set_layer(o, r, s->layer) < 0) ||
            (file && rj_set_str(o, "state", file_state_to_string(s->state)) < 0) ||
            rj_set_str(o, "excerpt", s->excerpt) < 0)
                return NULL;
        return TAKE_PTR(o);
}

static json_t *misconfig_json(const struct scan_result *r, const struct misconfig_finding *m) {
        _cleanup_(json_decrefp) json_t *o = json_object();

        if (!o || rj_set_str(o, "id", m->id) < 0 || rj_set_str(o, "cis", m->cis) < 0 ||
            rj_set_str(o, "title", m->title) < 0 ||
            rj_set_str(o, "severity", severity_to_string(m->severity)) < 0 ||
            rj_set_str(o, "message", m->message) < 0 || rj_set_str(o, "remediation", m->remediation) < 0 ||
            rj_set_str(o, "path", m->path) < 0 || set_layer(o, r, m->layer) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/* {"CRITICAL": n, "HIGH": n, "MEDIUM": n, "LOW": n, "UNKNOWN": n}, most severe first. */
static json_t *severity_counts(const size_t counts[static _SEV_MAX]) {
        _cleanup_(json_decrefp) json_t *o = json_object();
        if (!o)
                return NULL;
        for (int s = _SEV_MAX - 1; s >= 0; s--)
                if (rj_set(o, severity_to_string(s), json_integer((json_int_t) counts[s])) < 0)
                        return NULL;
        return TAKE_PTR(o);
}

static size_t sev_index(enum severity s) {
        return s >= 0 && s < _SEV_MAX ? (size_t) s : SEV_UNKNOWN;
}

static int write_scan(FILE *f, const struct scan_result *r, const struct report_options *o) {
        size_t n_sec[_SEV_MAX] = {}, n_mis[_SEV_MAX] = {};
        int e;
        _cleanup_(json_decrefp) json_t *doc = doc_head(r, o, "stockade/scan/v1", &e);
        _cleanup_(json_decrefp) json_t *scanned = json_object(), *secrets = json_array(),
                                       *misconfigs = json_array(), *summary = json_object();

        if (!doc)
                return e;
        if (!scanned || !secrets || !misconfigs || !summary)
                return -ENOMEM;
        VEC_FOREACH (s, &r->secrets) {
                if (rj_append(secrets, secret_json(r, s)) < 0)
                        return -ENOMEM;
                n_sec[sev_index(s->severity)]++;
        }
        VEC_FOREACH (m, &r->misconfigs) {
                if (rj_append(misconfigs, misconfig_json(r, m)) < 0)
                        return -ENOMEM;
                n_mis[sev_index(m->severity)]++;
        }
        if (rj_set(scanned, "secrets", json_boolean(r->secrets_scanned)) < 0 ||
            rj_set(scanned, "misconfigurations", json_boolean(r->misconfig_scanned)) < 0 ||
            rj_set(doc, "scanned", TAKE_PTR(scanned)) < 0 || rj_set(doc, "secrets", TAKE_PTR(secrets)) < 0 ||
            rj_set(doc, "misconfigurations", TAKE_PTR(misconfigs)) < 0 ||
            rj_set(summary, "secrets", severity_counts(n_sec)) < 0 ||
            rj_set(summary, "misconfigurations", severity_counts(n_mis)) < 0 ||
            rj_set(doc, "summary", TAKE_PTR(summary)) < 0)
                return -ENOMEM;
        return rj_write(f, doc);
}

int report_write_json(FILE *f, const struct scan_result *r, const struct report_options *o) {
        return o->kind == REPORT_KIND_SCAN ? write_scan(f, r, o) : write_sbom(f, r, o);
}
