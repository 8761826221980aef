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
 * should not carry secret excerpts). A scan report holds the same BOM; vulnerabilities will join it in
 * the "vulnerabilities" array. */

#include <string.h>

#include "buf.h"
#include "core/digest.h"
#include "report-internal.h"

struct cdx {
        const struct scan_result *r;
        const struct report_options *o;
        struct arena *arena;
        struct report_ids *ids;
        const char *image_ref, *os_ref;
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
        if (rj_set_str(comp, "type", "container") < 0 || rj_set_str(comp, "bom-ref", c->image_ref) < 0 ||
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
        VEC_FOREACH (p, &r->pkgs) {
                const char *ref = NULL;
                if (rj_append(comps, pkg_component(&c, p, &ref)) < 0 ||
                    rj_append(image_deps, rj_str(ref)) < 0)
                        return -ENOMEM;
        }

        /* The image depends on everything in it; what depends on what inside is not known here. */
        json_t *dep = json_object();
        if (rj_set(doc, "components", TAKE_PTR(comps)) < 0 || rj_append(deps, dep) < 0 ||
            rj_set_str(dep, "ref", c.image_ref) < 0 || rj_set(dep, "dependsOn", TAKE_PTR(image_deps)) < 0 ||
            rj_set(doc, "dependencies", TAKE_PTR(deps)) < 0)
                return -ENOMEM;
        return rj_write(f, doc);
}
