/* SPDX-License-Identifier: Apache-2.0 */
/* Temporary stand-in until the report writers land: a bare JSON listing for development. */
#include <string.h>

#include "core/json-util.h"
#include "report.h"

int report_format_from_string(const char *s) {
        static const char *const names[] = { "table", "json", "sarif", "cyclonedx", "spdx" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return (int) i;
        return -EINVAL;
}

const char *report_format_to_string(enum report_format f) {
        return "json";
}

int report_write(FILE *f, enum report_format fmt, const struct scan_result *r, const struct report_options *o) {
        json_t *root = json_object(), *pkgs = json_array(), *secrets = json_array(), *mis = json_array();
        json_object_set_new(root, "os", json_pack("{s:s?,s:s?}", "id", r->os.id, "version_id", r->os.version_id));
        VEC_FOREACH(p, &r->pkgs)
                json_array_append_new(pkgs, json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s,s:i,s:s?,s:s?}", "type",
                                                      pkg_type_to_string(p->type), "name", p->name, "version", p->version,
                                                      "source_name", p->source_name, "arch", p->arch, "path",
                                                      p->record_path, "layer", p->layer, "owner", p->owner, "purl", p->purl));
        VEC_FOREACH(s, &r->secrets)
                json_array_append_new(secrets, json_pack("{s:s,s:s,s:i,s:i,s:s,s:s}", "rule", s->rule_id, "path", s->path,
                                                         "line", s->line, "layer", s->layer, "state",
                                                         file_state_to_string(s->state), "excerpt", s->excerpt));
        VEC_FOREACH(m, &r->misconfigs)
                json_array_append_new(mis, json_pack("{s:s,s:s?,s:s,s:s}", "id", m->id, "cis", m->cis, "severity",
                                                     severity_to_string(m->severity), "message", m->message));
        json_object_set_new(root, "packages", pkgs);
        json_object_set_new(root, "secrets", secrets);
        json_object_set_new(root, "misconfigurations", mis);
        int k = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', f);
        json_decref(root);
        return k < 0 ? -EIO : 0;
}
