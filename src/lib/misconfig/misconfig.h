/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Image misconfiguration checks, from the image configuration and the final filesystem. Each check has a
 * stable id (STK-IMG-NNN), its CIS Docker Benchmark (v1.6, section 4) item where one applies, a severity
 * and a remediation line; the list is documented in stockade-scan(1) and `stockade scan --list-checks`.
 *
 * Thread-safety: misconfig_check() is reentrant. */

#include "arena.h"
#include "core/model.h"
#include "image/image.h"
#include "layer/layer.h"
#include "view/view.h"

struct misconfig_input {
        const struct image *image;        /* config and history; image->config_raw NULL for dir: */
        const struct view *view;
        struct layer_result *const *layers;
        size_t n_layers;
        const struct pkg_vec *pkgs;
        const struct secret_vec *secrets; /* secrets found so far (config ones feed CIS 4.10) */
};

int misconfig_check(const struct misconfig_input *in, struct arena *a, struct misconfig_vec *out);

struct misconfig_check_info {
        const char *id;
        const char *cis;
        enum severity severity;
        const char *title;
        const char *remediation;
};

/* The table of checks, for documentation and --list-checks. */
const struct misconfig_check_info *misconfig_checks(size_t *ret_n);
