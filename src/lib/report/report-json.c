/* SPDX-License-Identifier: Apache-2.0 */
/* stockade's own JSON: every fact the scan has, in stockade's vocabulary (docs/json-output.md). Absent
 * optional values are left out; arrays are always there, possibly empty. Written as a stream (struct jw):
 * an image can have tens of thousands of packages, and building a tree first cost more than the rest of
 * a warm scan together. */

#include "match/ignore.h"
#include "match/vex.h"
#include "report-internal.h"

static void target_json(struct jw *w, const struct image *img) {
        jw_key(w, "target");
        jw_begin(w, '{');
        jw_kv_str(w, "input", img->target);
        jw_kv_str(w, "kind", img->source_kind);
        jw_kv_str(w, "name", img->name);
        jw_kv_str(w, "id", img->id);
        jw_kv_str(w, "manifest_digest", img->manifest_digest);
        jw_kv_str(w, "platform", img->platform);
        jw_kv_strv(w, "repo_tags", img->repo_tags);
        jw_kv_strv(w, "repo_digests", img->repo_digests);
        jw_end(w, '}');
}

static void os_json(struct jw *w, const struct scan_os *os) {
        jw_key(w, "os");
        if (!os->id) {
                jw_raw(w, "null");
                return;
        }
        jw_begin(w, '{');
        jw_kv_str(w, "id", os->id);
        jw_kv_str(w, "version_id", os->version_id);
        jw_kv_str(w, "codename", os->codename);
        jw_kv_str(w, "pretty_name", os->pretty_name);
        jw_kv_str(w, "source_path", os->source_path);
        jw_end(w, '}');
}

static void layers_json(struct jw *w, const struct scan_result *r) {
        jw_key(w, "layers");
        jw_begin(w, '[');
        for (size_t i = 0; i < r->n_layers; i++) {
                const struct scan_layer *l = &r->layers[i];
                jw_elem(w);
                jw_begin(w, '{');
                jw_kv_int(w, "index", l->index);
                jw_kv_str(w, "digest", l->digest[0] ? l->digest : NULL);
                jw_kv_str(w, "diff_id", l->diff_id[0] ? l->diff_id : NULL);
                jw_kv_str(w, "created_by", l->created_by);
                jw_kv_int(w, "size", (long long) l->bytes_stored);
                jw_kv_int(w, "size_uncompressed", (long long) l->bytes_tar);
                jw_kv_int(w, "files", (long long) l->n_files);
                jw_end(w, '}');
        }
        jw_end(w, ']');
}

/* The fields every document starts with; opens the top-level object. */
static int doc_head(struct jw *w, const struct scan_result *r, const struct report_options *o,
                    const char *schema) {
        char created[REPORT_TIME_MAX];

        jw_begin(w, '{');
        jw_kv_str(w, "schema", schema);
        jw_key(w, "tool");
        jw_begin(w, '{');
        jw_kv_str(w, "name", "stockade");
        jw_kv_str(w, "version", STOCKADE_VERSION);
        jw_end(w, '}');
        if (!o->reproducible) {
                int e = report_created(o, created);
                if (e < 0)
                        return e;
                jw_kv_str(w, "created", created);
        }
        target_json(w, r->image);
        os_json(w, &r->os);
        layers_json(w, r);
        return 0;
}

static void set_layer(struct jw *w, const struct scan_result *r, int layer) {
        if (layer < 0)
                return;
        jw_kv_int(w, "layer", layer);
        jw_kv_str(w, "layer_diff_id", report_layer_diff_id(r, layer));
}

static void pkg_json(struct jw *w, const struct scan_result *r, const struct pkg *p) {
        const char *flags[8];
        size_t n_flags = report_pkg_flag_names(p->flags, flags);

        jw_begin(w, '{');
        jw_kv_str(w, "type", pkg_type_to_string(p->type));
        jw_kv_str(w, "name", p->name);
        jw_kv_str(w, "version", p->version);
        jw_kv_str(w, "epoch", p->epoch);
        jw_kv_str(w, "namespace", p->namespace_);
        jw_kv_str(w, "source_name", p->source_name);
        jw_kv_str(w, "source_version", p->source_version);
        jw_kv_str(w, "arch", p->arch);
        jw_kv_strv(w, "licenses", p->licenses);
        jw_kv_str(w, "purl", p->purl);
        jw_kv_str(w, "path", p->record_path);
        jw_kv_str(w, "inner_path", p->inner_path);
        set_layer(w, r, p->layer);
        jw_kv_str(w, "owner", p->owner);
        jw_kv_str(w, "go_toolchain", p->go_toolchain);
        jw_key(w, "flags");
        jw_begin(w, '[');
        for (size_t i = 0; i < n_flags; i++) {
                jw_elem(w);
                jw_string(w, flags[i]);
        }
        jw_end(w, ']');
        jw_end(w, '}');
}

static int write_sbom(FILE *f, const struct scan_result *r, const struct report_options *o) {
        size_t by_type[_PKG_TYPE_MAX] = {};
        struct jw w;
        int e;

        jw_init(&w);
        e = doc_head(&w, r, o, "stockade/sbom/v1");
        if (e < 0) {
                buf_free(&w.b);
                return e;
        }
        jw_key(&w, "packages");
        jw_begin(&w, '[');
        VEC_FOREACH (p, &r->pkgs) {
                jw_elem(&w);
                pkg_json(&w, r, p);
                if (p->type >= 0 && p->type < _PKG_TYPE_MAX)
                        by_type[p->type]++;
        }
        jw_end(&w, ']');
        jw_key(&w, "summary");
        jw_begin(&w, '{');
        jw_kv_int(&w, "packages", (long long) r->pkgs.n);
        jw_key(&w, "by_type");
        jw_begin(&w, '{');
        for (int t = 0; t < _PKG_TYPE_MAX; t++)
                if (by_type[t])
                        jw_kv_int(&w, pkg_type_to_string(t), (long long) by_type[t]);
        jw_end(&w, '}');
        jw_kv_int(&w, "files", (long long) r->n_files);
        jw_end(&w, '}');
        jw_end(&w, '}');
        return jw_finish(&w, f);
}

static void secret_json(struct jw *w, const struct scan_result *r, const struct secret_finding *s) {
        bool file = s->where == LOC_FILE;

        jw_begin(w, '{');
        jw_kv_str(w, "rule", s->rule_id);
        jw_kv_str(w, "title", s->title);
        jw_kv_str(w, "category", s->category);
        jw_kv_str(w, "severity", severity_to_string(s->severity));
        jw_kv_str(w, "location", file ? "file" : "config");
        jw_kv_str(w, "path", s->path);
        if (s->line > 0)
                jw_kv_int(w, "line", s->line);
        jw_kv_int(w, "offset", (long long) s->offset);
        if (file) {
                set_layer(w, r, s->layer);
                jw_kv_str(w, "state", file_state_to_string(s->state));
        }
        jw_kv_str(w, "excerpt", s->excerpt);
        jw_end(w, '}');
}

static void misconfig_json(struct jw *w, const struct scan_result *r, const struct misconfig_finding *m) {
        jw_begin(w, '{');
        jw_kv_str(w, "id", m->id);
        jw_kv_str(w, "cis", m->cis);
        jw_kv_str(w, "title", m->title);
        jw_kv_str(w, "severity", severity_to_string(m->severity));
        jw_kv_str(w, "message", m->message);
        jw_kv_str(w, "remediation", m->remediation);
        jw_kv_str(w, "path", m->path);
        set_layer(w, r, m->layer);
        jw_end(w, '}');
}

static void vuln_json(struct jw *w, const struct scan_result *r, const struct vuln_finding *v) {
        const struct pkg *p = v->pkg;
        jw_begin(w, '{');
        jw_kv_str(w, "id", v->id);
        jw_kv_strv(w, "ids", v->ids);
        jw_kv_str(w, "severity", severity_to_string(v->severity));
        jw_kv_str(w, "severity_source", v->severity_source);
        if (v->cvss_score > 0) {
                char score[16];
                snprintf(score, sizeof score, "%.1f", v->cvss_score);
                jw_key(w, "cvss_score");
                jw_raw(w, score);
                jw_kv_str(w, "cvss_vector", v->cvss_vector);
        }
        jw_key(w, "kev");
        jw_raw(w, v->kev ? "true" : "false");
        jw_kv_str(w, "status", finding_status_to_string(v->status));
        jw_key(w, "package");
        jw_begin(w, '{');
        jw_kv_str(w, "type", pkg_type_to_string(p->type));
        jw_kv_str(w, "name", p->name);
        jw_kv_str(w, "version", p->version);
        jw_kv_str(w, "purl", p->purl);
        jw_kv_str(w, "path", p->record_path);
        jw_kv_str(w, "inner_path", p->inner_path);
        set_layer(w, r, p->layer);
        jw_kv_str(w, "owner", p->owner);
        jw_end(w, '}');
        jw_kv_str(w, "ecosystem", v->ecosystem);
        jw_kv_str(w, "matched_name", v->package_name);
        jw_kv_str(w, "installed_version", v->installed_version);
        jw_kv_str(w, "fixed_version", v->fixed_version);
        jw_kv_str(w, "summary", v->summary);
        jw_kv_strv(w, "cwes", v->cwes);
        jw_kv_str(w, "published", v->published);
        jw_kv_str(w, "modified", v->modified);
        jw_kv_strv(w, "sources", v->sources);
        jw_kv_str(w, "note", v->note);
        if (v->excepted_by) {
                jw_kv_str(w, "excepted_by", v->excepted_by);
                jw_kv_str(w, "exception_reason", v->exception_reason);
                jw_kv_str(w, "exception_source", v->exception_source);
                jw_kv_str(w, "exception_expires", v->exception_expires);
                jw_kv_str(w, "vex_status", v->vex_status);
                jw_kv_str(w, "vex_justification", v->vex_justification);
        }
        jw_end(w, '}');
}

static void sbom_json(struct jw *w, const struct sbomin_info *s) {
        jw_key(w, "sbom");
        jw_begin(w, '{');
        jw_kv_str(w, "format", s->format);
        jw_kv_int(w, "components", (long long) s->components);
        jw_kv_int(w, "packages", (long long) s->packages);
        jw_key(w, "not_matched");
        jw_begin(w, '{');
        jw_kv_int(w, "no_purl", (long long) s->no_purl);
        jw_kv_int(w, "invalid_purl", (long long) s->bad_purl);
        jw_kv_int(w, "no_version", (long long) s->no_version);
        jw_kv_int(w, "unsupported_type", (long long) s->unsupported);
        jw_kv_int(w, "no_distribution", (long long) s->no_distro);
        jw_end(w, '}');
        jw_end(w, '}');
}

static void rule_json(struct jw *w, const struct ignore_rule *ru, bool with_used) {
        jw_elem(w);
        jw_begin(w, '{');
        jw_kv_str(w, "id", ru->id);
        jw_kv_str(w, "package", ru->package);
        jw_kv_str(w, "reason", ru->reason);
        jw_kv_str(w, "expires", ru->expires);
        jw_kv_str(w, "source", ru->source);
        if (with_used)
                jw_kv_int(w, "findings", (long long) ru->used);
        jw_end(w, '}');
}

/* What exceptions were given: the files, and the ignore entries that expired or matched nothing. */
static void exceptions_json(struct jw *w, const struct match_exceptions *x) {
        const struct ignore_list *il = x->ignore;
        jw_key(w, "exceptions");
        jw_begin(w, '{');
        jw_key(w, "ignore_unfixed");
        jw_raw(w, x->ignore_unfixed ? "true" : "false");
        jw_kv_str(w, "ignore_file", il ? il->path : NULL);
        jw_kv_strv(w, "vex_files", x->vex ? x->vex->files : NULL);
        if (x->vex)
                jw_kv_int(w, "vex_statements", (long long) x->vex->n);
        if (il) {
                jw_key(w, "expired");
                jw_begin(w, '[');
                for (size_t i = 0; i < il->n; i++)
                        if (il->rules[i].expired)
                                rule_json(w, &il->rules[i], false);
                jw_end(w, ']');
                jw_key(w, "unused");
                jw_begin(w, '[');
                for (size_t i = 0; i < il->n; i++)
                        if (!il->rules[i].expired && il->rules[i].used == 0)
                                rule_json(w, &il->rules[i], false);
                jw_end(w, ']');
        }
        jw_end(w, '}');
}

/* {"CRITICAL": n, "HIGH": n, "MEDIUM": n, "LOW": n, "UNKNOWN": n}, most severe first. */
static void severity_counts(struct jw *w, const char *key, const size_t counts[static _SEV_MAX]) {
        jw_key(w, key);
        jw_begin(w, '{');
        for (int s = _SEV_MAX - 1; s >= 0; s--)
                jw_kv_int(w, severity_to_string(s), (long long) counts[s]);
        jw_end(w, '}');
}

static size_t sev_index(enum severity s) {
        return s >= 0 && s < _SEV_MAX ? (size_t) s : SEV_UNKNOWN;
}

static int write_scan(FILE *f, const struct scan_result *r, const struct report_options *o) {
        size_t n_sec[_SEV_MAX] = {}, n_mis[_SEV_MAX] = {}, n_vul[_SEV_MAX] = {}, n_exc[3] = {};
        struct jw w;
        int e;

        jw_init(&w);
        e = doc_head(&w, r, o, "stockade/scan/v1");
        if (e < 0) {
                buf_free(&w.b);
                return e;
        }
        jw_key(&w, "scanned");
        jw_begin(&w, '{');
        jw_key(&w, "secrets");
        jw_raw(&w, r->secrets_scanned ? "true" : "false");
        jw_key(&w, "misconfigurations");
        jw_raw(&w, r->misconfig_scanned ? "true" : "false");
        jw_key(&w, "vulnerabilities");
        jw_raw(&w, r->vulns_scanned ? "true" : "false");
        jw_end(&w, '}');
        if (r->from_sbom)
                sbom_json(&w, &r->sbom);
        if (r->vulns_scanned) {
                jw_key(&w, "database");
                jw_begin(&w, '{');
                jw_kv_str(&w, "path", r->vulndb_path);
                jw_kv_str(&w, "built_at", r->vulndb_built_at);
                jw_end(&w, '}');
        }
        if (r->exceptions && (r->exceptions->ignore || r->exceptions->vex || r->exceptions->ignore_unfixed))
                exceptions_json(&w, r->exceptions);
        jw_key(&w, "vulnerabilities");
        jw_begin(&w, '[');
        VEC_FOREACH (v, &r->vulns) {
                jw_elem(&w);
                vuln_json(&w, r, v);
                if (!v->excepted_by)
                        n_vul[sev_index(v->severity)]++;
                else if (streq(v->excepted_by, "vex"))
                        n_exc[0]++;
                else if (streq(v->excepted_by, "ignore-file"))
                        n_exc[1]++;
                else
                        n_exc[2]++;
        }
        jw_end(&w, ']');
        jw_key(&w, "secrets");
        jw_begin(&w, '[');
        VEC_FOREACH (s, &r->secrets) {
                jw_elem(&w);
                secret_json(&w, r, s);
                n_sec[sev_index(s->severity)]++;
        }
        jw_end(&w, ']');
        jw_key(&w, "misconfigurations");
        jw_begin(&w, '[');
        VEC_FOREACH (m, &r->misconfigs) {
                jw_elem(&w);
                misconfig_json(&w, r, m);
                n_mis[sev_index(m->severity)]++;
        }
        jw_end(&w, ']');
        jw_key(&w, "summary");
        jw_begin(&w, '{');
        severity_counts(&w, "vulnerabilities", n_vul);
        jw_key(&w, "vulnerabilities_excepted");
        jw_begin(&w, '{');
        jw_kv_int(&w, "vex", (long long) n_exc[0]);
        jw_kv_int(&w, "ignore-file", (long long) n_exc[1]);
        jw_kv_int(&w, "ignore-unfixed", (long long) n_exc[2]);
        jw_end(&w, '}');
        severity_counts(&w, "secrets", n_sec);
        severity_counts(&w, "misconfigurations", n_mis);
        jw_end(&w, '}');
        jw_end(&w, '}');
        return jw_finish(&w, f);
}

int report_write_json(FILE *f, const struct scan_result *r, const struct report_options *o) {
        return o->kind == REPORT_KIND_SCAN ? write_scan(f, r, o) : write_sbom(f, r, o);
}
