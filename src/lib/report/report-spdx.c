/* SPDX-License-Identifier: Apache-2.0 */
/* SPDX 2.3 JSON.
 *
 * Packages: the image ("SPDXRef-Image", primaryPackagePurpose CONTAINER), the operating system when known
 * ("SPDXRef-OperatingSystem", OPERATING-SYSTEM), and one per package, "SPDXRef-Package-<type>-<name>-<16
 * hex>" with the name reduced to [A-Za-z0-9.-] and the hex digits of report_pkg_hash() (the same as in
 * the CycloneDX bom-ref), so identifiers are unique and stable. Relationships: the document DESCRIBES
 * the image, and the image CONTAINS the OS and every package.
 *
 * Licenses: licenseConcluded is NOASSERTION (stockade concludes nothing). licenseDeclared is the
 * package's declared strings joined with AND: SPDX identifiers and valid expressions as they are
 * (canonically spelled), anything else as a LicenseRef-<name> defined in hasExtractedLicensingInfos with
 * the declared string as its text; NOASSERTION when nothing was declared.
 *
 * creationInfo.created is required: the given timestamp or now, and 1970-01-01T00:00:00Z in
 * reproducible mode. The documentNamespace is STOCKADE_URL/spdx/<image name>-<UUID>, with a random UUID,
 * or in reproducible mode one derived from the image's identity. */

#include <string.h>

#include "buf.h"
#include "core/digest.h"
#include "hashmap.h"
#include "report-internal.h"

struct spdx {
        const struct scan_result *r;
        struct arena *arena;
        struct report_ids *ids;
        struct hashmap *refs; /* declared string -> its LicenseRef- (in the arena) */
        json_t *extracted;    /* hasExtractedLicensingInfos */
};

static const char *license_ref(struct spdx *s, const char *declared) {
        const char *ref = hashmap_get(s->refs, declared);
        if (ref)
                return ref;
        const char *key = arena_strdup(s->arena, declared);
        const char *base = arena_printf(s->arena, "LicenseRef-%s", report_idstring(s->arena, declared, 64));
        ref = key && base ? report_ids_claim(s->ids, base) : NULL;
        if (!ref || hashmap_put(s->refs, key, (void *) ref, NULL) < 0)
                return NULL;
        json_t *info = json_object();
        if (rj_append(s->extracted, info) < 0 || rj_set_str(info, "licenseId", ref) < 0 ||
            rj_set_str(info, "extractedText", declared) < 0 || rj_set_str(info, "name", declared) < 0 ||
            rj_set_str(info, "comment", "license declared by a package, not on the SPDX License List") < 0)
                return NULL;
        return ref;
}

/* licenseDeclared, or NULL on out-of-memory. */
static const char *license_declared(struct spdx *s, const char *const *lic) {
        size_t n = 0;
        for (; lic && lic[n]; n++)
                ;
        if (n == 0)
                return "NOASSERTION";
        struct buf b = BUF_INIT(0);
        int e = 0;
        for (size_t i = 0; e >= 0 && i < n; i++) {
                const char *canon;
                enum spdx_license_kind k = spdx_license_classify(s->arena, lic[i], &canon);
                if (k == SPDX_LICENSE_INVALID)
                        canon = license_ref(s, lic[i]);
                if (!canon) {
                        e = -ENOMEM;
                        break;
                }
                bool paren = n > 1 && k == SPDX_LICENSE_EXPRESSION && strchr(canon, ' ');
                e = buf_printf(&b, "%s%s%s%s", i > 0 ? " AND " : "", paren ? "(" : "", canon,
                               paren ? ")" : "");
        }
        const char *out = e >= 0 ? arena_strndup(s->arena, b.data, b.len) : NULL;
        buf_free(&b);
        return out;
}

static int relate(json_t *rels, const char *a, const char *type, const char *b) {
        json_t *o = json_object();
        if (rj_append(rels, o) < 0 || rj_set_str(o, "spdxElementId", a) < 0 ||
            rj_set_str(o, "relationshipType", type) < 0 || rj_set_str(o, "relatedSpdxElement", b) < 0)
                return -ENOMEM;
        return 0;
}

/* The fields every package has, stockade concluding nothing about them. */
static json_t *package_new(const char *spdxid, const char *name, const char *version) {
        _cleanup_(json_decrefp) json_t *p = json_object();
        if (!p || rj_set_str(p, "SPDXID", spdxid) < 0 ||
            rj_set_str(p, "name", name && *name ? name : "unknown") < 0 ||
            rj_set_str(p, "versionInfo", version) < 0 ||
            rj_set_str(p, "downloadLocation", "NOASSERTION") < 0 ||
            rj_set(p, "filesAnalyzed", json_false()) < 0 ||
            rj_set_str(p, "licenseConcluded", "NOASSERTION") < 0)
                return NULL;
        return TAKE_PTR(p);
}

static json_t *image_package(struct spdx *s) {
        const struct image *img = s->r->image;
        _cleanup_(json_decrefp) json_t *p = package_new("SPDXRef-Image", report_image_name(s->r),
                                                        img->id ? img->id : img->manifest_digest);
        struct buf b = BUF_INIT(0);
        int e = 0;

        if (!p)
                return NULL;
        if (img->id && digest_is_valid_sha256(img->id)) {
                json_t *sums = json_array(), *c = json_object();
                if (rj_set(p, "checksums", sums) < 0 || rj_append(sums, c) < 0 ||
                    rj_set_str(c, "algorithm", "SHA256") < 0 ||
                    rj_set_str(c, "checksumValue", digest_hex(img->id)) < 0)
                        return NULL;
        }
        /* What a reader needs to find the image again, in the comment (SPDX has no fields for it). */
        const struct {
                const char *label, *value;
        } facts[] = {
                { "target", img->target },     { "source", img->source_kind },
                { "image id", img->id },       { "manifest digest", img->manifest_digest },
                { "platform", img->platform },
        };
        for (size_t i = 0; e >= 0 && i < ELEMENTSOF(facts); i++)
                if (facts[i].value)
                        e = buf_printf(&b, "%s%s: %s", b.len ? "; " : "", facts[i].label, facts[i].value);
        for (const char *const *t = img->repo_tags; e >= 0 && t && *t; t++)
                e = buf_printf(&b, "%srepo tag: %s", b.len ? "; " : "", *t);
        for (const char *const *t = img->repo_digests; e >= 0 && t && *t; t++)
                e = buf_printf(&b, "%srepo digest: %s", b.len ? "; " : "", *t);
        if (e >= 0)
                e = rj_set_str(p, "licenseDeclared", "NOASSERTION");
        if (e >= 0)
                e = rj_set_str(p, "copyrightText", "NOASSERTION");
        if (e >= 0 && b.len)
                e = rj_set_str(p, "comment", b.data);
        if (e >= 0)
                e = rj_set_str(p, "primaryPackagePurpose", "CONTAINER");
        buf_free(&b);
        return e >= 0 ? TAKE_PTR(p) : NULL;
}

static json_t *os_package(struct spdx *s) {
        const struct scan_os *os = &s->r->os;
        _cleanup_(json_decrefp) json_t *p = package_new("SPDXRef-OperatingSystem", os->id, os->version_id);

        if (!p || rj_set_str(p, "licenseDeclared", "NOASSERTION") < 0 ||
            rj_set_str(p, "copyrightText", "NOASSERTION") < 0 ||
            rj_set_str(p, "description", os->pretty_name) < 0 ||
            (os->source_path &&
             rj_set_str(p, "sourceInfo",
                        arena_printf(s->arena, "os-release read from %s", os->source_path)) < 0) ||
            rj_set_str(p, "primaryPackagePurpose", "OPERATING-SYSTEM") < 0)
                return NULL;
        return TAKE_PTR(p);
}

static json_t *pkg_package(struct spdx *s, const struct pkg *pk, const char **ret_id) {
        const struct scan_result *r = s->r;
        char hash[REPORT_PKG_HASH_LEN + 1];
        const char *flags[8];
        size_t n_flags = report_pkg_flag_names(pk->flags, flags);
        struct buf b = BUF_INIT(0);
        int e = 0;

        if (report_pkg_hash(pk, hash) < 0)
                return NULL;
        const char *base = arena_printf(s->arena, "SPDXRef-Package-%s-%s-%s", pkg_type_to_string(pk->type),
                                        report_idstring(s->arena, pk->name, 64), hash);
        const char *id = base ? report_ids_claim(s->ids, base) : NULL;
        const char *declared = license_declared(s, pk->licenses);
        if (!id || !declared)
                return NULL;
        /* Maven coordinates read better as group:artifact. */
        const char *name =
                pk->type == PKG_MAVEN && pk->namespace_
                        ? arena_printf(s->arena, "%s:%s", pk->namespace_, pk->name ? pk->name : "")
                        : pk->name;
        _cleanup_(json_decrefp) json_t *p = package_new(id, name, report_pkg_full_version(s->arena, pk));
        if (!p)
                return NULL;

        /* sourceInfo: where the package was found. */
        if (pk->record_path) {
                const char *diff_id = report_layer_diff_id(r, pk->layer);
                e = buf_printf(&b, "found at %s%s%s", pk->record_path, pk->inner_path ? "!/" : "",
                               pk->inner_path ? pk->inner_path : "");
                if (e >= 0 && pk->layer >= 0)
                        e = buf_printf(&b, " in layer %d%s%s%s", pk->layer, diff_id ? " (" : "",
                                       diff_id ? diff_id : "", diff_id ? ")" : "");
        }
        if (e >= 0 && b.len)
                e = rj_set_str(p, "sourceInfo", b.data);
        buf_reset(&b);

        /* comment: the other facts, readable. */
        if (e >= 0)
                e = buf_printf(&b, "type: %s", pkg_type_to_string(pk->type));
        if (e >= 0 && (pk->source_name || pk->source_version))
                e = buf_printf(&b, "; source package: %s%s%s", pk->source_name ? pk->source_name : pk->name,
                               pk->source_version ? " " : "", pk->source_version ? pk->source_version : "");
        if (e >= 0 && pk->arch)
                e = buf_printf(&b, "; arch: %s", pk->arch);
        if (e >= 0 && pk->owner)
                e = buf_printf(&b, "; owned by %s", pk->owner);
        if (e >= 0 && pk->go_toolchain)
                e = buf_printf(&b, "; built with %s", pk->go_toolchain);
        for (size_t i = 0; e >= 0 && i < n_flags; i++)
                e = buf_printf(&b, "%s%s", i == 0 ? "; flags: " : ",", flags[i]);
        if (e >= 0)
                e = rj_set_str(p, "licenseDeclared", declared);
        if (e >= 0)
                e = rj_set_str(p, "copyrightText", "NOASSERTION");
        if (e >= 0 && pk->purl) {
                json_t *refs = json_array(), *ref = json_object();
                if (rj_set(p, "externalRefs", refs) < 0 || rj_append(refs, ref) < 0 ||
                    rj_set_str(ref, "referenceCategory", "PACKAGE-MANAGER") < 0 ||
                    rj_set_str(ref, "referenceType", "purl") < 0 ||
                    rj_set_str(ref, "referenceLocator", pk->purl) < 0)
                        e = -ENOMEM;
        }
        if (e >= 0)
                e = rj_set_str(p, "comment", b.data);
        if (e >= 0)
                e = rj_set_str(p, "primaryPackagePurpose",
                               (pk->flags & PKG_F_GO_MAIN) ? "APPLICATION"
                               : pkg_type_is_os(pk->type)  ? "INSTALL"
                                                           : "LIBRARY");
        buf_free(&b);
        if (e < 0)
                return NULL;
        *ret_id = id;
        return TAKE_PTR(p);
}

int report_write_spdx(FILE *f, const struct scan_result *r, const struct report_options *o) {
        char created[REPORT_TIME_MAX], uuid[REPORT_UUID_MAX];
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        _cleanup_(report_ids_freep) struct report_ids *ids = NULL;
        _cleanup_(hashmap_freep) struct hashmap *refs = hashmap_new();
        _cleanup_(json_decrefp) json_t *doc = json_object(), *info = json_object(), *creators = json_array(),
                                       *pkgs = json_array(), *rels = json_array(), *extracted = json_array();
        int e;

        if (!a || !refs || !doc || !info || !creators || !pkgs || !rels || !extracted ||
            !(ids = report_ids_new(a)))
                return -ENOMEM;
        struct spdx s = { .r = r, .arena = a, .ids = ids, .refs = refs, .extracted = extracted };

        e = report_created(o, created);
        if (e < 0)
                return e;
        e = report_uuid(o, r, "spdx", uuid);
        if (e < 0)
                return e;
        const char *name = report_image_name(r);
        const char *ns = arena_printf(a, "%s/spdx/%s-%s", STOCKADE_URL, report_idstring(a, name, 100), uuid);
        if (!ns)
                return -ENOMEM;

        if (rj_set_str(doc, "spdxVersion", "SPDX-2.3") < 0 ||
            rj_set_str(doc, "dataLicense", "CC0-1.0") < 0 ||
            rj_set_str(doc, "SPDXID", "SPDXRef-DOCUMENT") < 0 || rj_set_str(doc, "name", name) < 0 ||
            rj_set_str(doc, "documentNamespace", ns) < 0 ||
            rj_append(creators, json_string("Tool: stockade-" STOCKADE_VERSION)) < 0 ||
            rj_set(info, "creators", TAKE_PTR(creators)) < 0 || rj_set_str(info, "created", created) < 0 ||
            rj_set(doc, "creationInfo", TAKE_PTR(info)) < 0)
                return -ENOMEM;

        if (rj_append(pkgs, image_package(&s)) < 0 ||
            relate(rels, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image") < 0)
                return -ENOMEM;
        if (r->os.id) {
                if (rj_append(pkgs, os_package(&s)) < 0 ||
                    relate(rels, "SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem") < 0)
                        return -ENOMEM;
        }
        VEC_FOREACH (p, &r->pkgs) {
                const char *id = NULL;
                if (rj_append(pkgs, pkg_package(&s, p, &id)) < 0 ||
                    relate(rels, "SPDXRef-Image", "CONTAINS", id) < 0)
                        return -ENOMEM;
        }
        if (rj_set(doc, "packages", TAKE_PTR(pkgs)) < 0 ||
            (json_array_size(extracted) > 0 &&
             rj_set(doc, "hasExtractedLicensingInfos", json_incref(extracted)) < 0) ||
            rj_set(doc, "relationships", TAKE_PTR(rels)) < 0)
                return -ENOMEM;
        return rj_write(f, doc);
}
