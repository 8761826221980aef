/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Output formats. Every writer is deterministic: the same scan_result gives the same bytes (apart from
 * a creation timestamp, which `reproducible` leaves out or fixes). */

#include <stdio.h>

#include "scan/scan.h"

enum report_format {
        REPORT_TABLE,
        REPORT_JSON,       /* stockade's own JSON (docs/json-output.md) */
        REPORT_SARIF,      /* SARIF 2.1.0 */
        REPORT_CYCLONEDX,  /* CycloneDX 1.5 JSON */
        REPORT_SPDX,       /* SPDX 2.3 JSON */
};

int report_format_from_string(const char *s); /* -EINVAL when unknown */
const char *report_format_to_string(enum report_format f);

enum report_kind {
        REPORT_KIND_SBOM, /* inventory: `stockade sbom` */
        REPORT_KIND_SCAN, /* findings: `stockade scan` */
};

struct report_options {
        enum report_kind kind;
        bool reproducible;      /* no timestamp, no random serial numbers: same input, same bytes */
        bool color;             /* table: ANSI colors (when writing to a terminal) */
        const char *timestamp;  /* RFC 3339 creation time to use; NULL = now (ignored when reproducible) */
        enum severity min_severity; /* table: hide findings below this */
};

/* Writes the report to f. Returns 0 or a negative errno (-EIO on a write error). */
int report_write(FILE *f, enum report_format fmt, const struct scan_result *r, const struct report_options *o);

/* The writers behind report_write(), one per file of this module. */
int report_write_table(FILE *f, const struct scan_result *r, const struct report_options *o);
int report_write_json(FILE *f, const struct scan_result *r, const struct report_options *o);
int report_write_sarif(FILE *f, const struct scan_result *r, const struct report_options *o);
int report_write_cyclonedx(FILE *f, const struct scan_result *r, const struct report_options *o);
int report_write_spdx(FILE *f, const struct scan_result *r, const struct report_options *o);

/* Thread-safety: the writers keep no state between calls (the embedded SPDX License List is loaded once,
 * under pthread_once()), so several reports may be written at the same time from different threads. */
