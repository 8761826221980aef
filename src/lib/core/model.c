/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <strings.h>

#include "model.h"

static const char *const sev_names[_SEV_MAX] = {
        [SEV_UNKNOWN] = "UNKNOWN", [SEV_LOW] = "LOW", [SEV_MEDIUM] = "MEDIUM",
        [SEV_HIGH] = "HIGH",       [SEV_CRITICAL] = "CRITICAL",
};

const char *severity_to_string(enum severity s) {
        return s >= 0 && s < _SEV_MAX ? sev_names[s] : "UNKNOWN";
}

enum severity severity_from_string(const char *s) {
        for (int i = 0; i < _SEV_MAX; i++)
                if (s && strcasecmp(s, sev_names[i]) == 0)
                        return (enum severity) i;
        return SEV_UNKNOWN;
}

static const char *const pkg_type_names[_PKG_TYPE_MAX] = {
        [PKG_DEB] = "deb",       [PKG_APK] = "apk", [PKG_RPM] = "rpm",     [PKG_NPM] = "npm",
        [PKG_PYTHON] = "python", [PKG_GO] = "go",   [PKG_MAVEN] = "maven", [PKG_CARGO] = "cargo",
        [PKG_GEM] = "gem",
};

const char *pkg_type_to_string(enum pkg_type t) {
        return t >= 0 && t < _PKG_TYPE_MAX ? pkg_type_names[t] : "unknown";
}

int pkg_type_from_string(const char *s) {
        for (int i = 0; i < _PKG_TYPE_MAX; i++)
                if (s && streq(s, pkg_type_names[i]))
                        return i;
        return -EINVAL;
}

bool pkg_type_is_os(enum pkg_type t) {
        return t == PKG_DEB || t == PKG_APK || t == PKG_RPM;
}

const char *file_state_to_string(enum file_state s) {
        switch (s) {
        case FILE_PRESENT: return "present";
        case FILE_DELETED: return "deleted";
        case FILE_OVERWRITTEN: return "overwritten";
        }
        return "present";
}

static int strcmp0(const char *a, const char *b) {
        if (!a || !b)
                return a ? 1 : b ? -1 : 0;
        return strcmp(a, b);
}

#define CMP(a, b)                                                                                             \
        do {                                                                                                  \
                int _c = ((a) > (b)) - ((a) < (b));                                                           \
                if (_c)                                                                                       \
                        return _c;                                                                            \
        } while (0)
#define CMPS(a, b)                                                                                            \
        do {                                                                                                  \
                int _c = strcmp0((a), (b));                                                                   \
                if (_c)                                                                                       \
                        return _c;                                                                            \
        } while (0)

int pkg_compare(const struct pkg *a, const struct pkg *b) {
        CMP(a->type, b->type);
        CMPS(a->namespace_, b->namespace_);
        CMPS(a->name, b->name);
        CMPS(a->version, b->version);
        CMPS(a->arch, b->arch);
        CMPS(a->record_path, b->record_path);
        CMPS(a->inner_path, b->inner_path);
        CMP(a->flags, b->flags);
        /* packages read from an SBOM differ in no field above but their purl (distro, qualifiers) */
        CMPS(a->purl, b->purl);
        return 0;
}

int secret_compare(const struct secret_finding *a, const struct secret_finding *b) {
        CMP(b->severity, a->severity);
        CMP(a->where, b->where);
        CMPS(a->path, b->path);
        CMP(a->layer, b->layer);
        CMP(a->line, b->line);
        CMP(a->offset, b->offset);
        CMPS(a->rule_id, b->rule_id);
        return 0;
}

int misconfig_compare(const struct misconfig_finding *a, const struct misconfig_finding *b) {
        CMP(b->severity, a->severity);
        CMPS(a->id, b->id);
        CMPS(a->path, b->path);
        CMP(a->layer, b->layer);
        CMPS(a->message, b->message);
        return 0;
}
