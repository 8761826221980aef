/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Hand-made scan results for the report tests: built in C, without an image, so that the writers can be
 * tested on every kind of package and finding (and on hostile strings) before any cataloger exists. */

#include "scan/scan.h"

/* The full result: an image with two layers, an OS, deb/apk/rpm/npm/python/go/maven packages, secrets in
 * files (one deleted, one overwritten) and in the config, misconfigurations, and strings with quotes,
 * newlines, escape sequences and invalid UTF-8. Free with fixture_free(). */
struct scan_result *fixture_full(void);

/* A `dir:` target with nothing found: no image ID, no OS, no layers, no packages, no findings. */
struct scan_result *fixture_empty(void);

/* An sbom: target: no layers, packages with their own distribution, cargo and gem packages, findings. */
struct scan_result *fixture_sbom(void);

void fixture_free(struct scan_result *r);

#include "report/report.h"

/* The golden cases: each names a file under tests/data/report/ and how to write it (always reproducible).
 * The unit test compares against the files; report-sample writes them for the schema validators. */
struct fixture_case {
        const char *file;
        bool empty; /* fixture_empty() rather than fixture_full() */
        enum report_format format;
        enum report_kind kind;
        bool color;
        enum severity min_severity;
        bool sbom; /* fixture_sbom() */
};

/* The fixture a case is written from. */
struct scan_result *fixture_for(const struct fixture_case *c);

extern const struct fixture_case fixture_cases[];
extern const size_t fixture_n_cases;
