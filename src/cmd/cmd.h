/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The stockade command: argument parsing and wiring only; the work is in the library. */

#include <stdio.h>

#include "core/diag.h"
#include "report/report.h"
#include "scan/scan.h"

enum {
        EXIT_OK = 0,
        EXIT_FINDINGS = 1, /* findings crossed --fail-on */
        EXIT_ERROR = 2,    /* usage or runtime error */
};

struct global_opts {
        bool quiet;
        bool verbose;
        int color; /* -1 auto, 0 never, 1 always */
};

extern struct global_opts arg_global;
extern const char *program_name;

int cmd_scan(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_netpol(int argc, char **argv);

/* Messages on stderr: "stockade: error: …" */
void log_error(const char *fmt, ...) _printf_(1, 2);
void log_warning(const char *fmt, ...) _printf_(1, 2);
void log_info(const char *fmt, ...) _printf_(1, 2);

/* Options shared by the commands that read an image. parse_image_option() returns 1 if it consumed the
 * option, 0 if the option is not one of them, -1 on a bad value (after printing why). */
struct image_opts {
        struct scan_options scan;
        const char *output;          /* -o FILE, NULL for stdout */
        const char *format;
        bool reproducible;
        bool password_stdin;
        struct progress *progress;
};

#define IMAGE_LONG_OPTIONS                                                                                    \
        { "platform", required_argument, NULL, OPT_PLATFORM },                                                \
        { "insecure", no_argument, NULL, OPT_INSECURE },                                                      \
        { "username", required_argument, NULL, OPT_USERNAME },                                                \
        { "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },                                          \
        { "docker-host", required_argument, NULL, OPT_DOCKER_HOST },                                          \
        { "cache-dir", required_argument, NULL, OPT_CACHE_DIR },                                              \
        { "no-cache", no_argument, NULL, OPT_NO_CACHE },                                                      \
        { "threads", required_argument, NULL, OPT_THREADS },                                                  \
        { "output", required_argument, NULL, 'o' },                                                           \
        { "format", required_argument, NULL, 'f' },                                                           \
        { "reproducible", no_argument, NULL, OPT_REPRODUCIBLE },                                              \
        { "quiet", no_argument, NULL, 'q' },                                                                  \
        { "verbose", no_argument, NULL, 'v' },                                                                \
        { "max-layer-size", required_argument, NULL, OPT_MAX_LAYER_SIZE }

enum {
        OPT_PLATFORM = 0x100,
        OPT_INSECURE,
        OPT_USERNAME,
        OPT_PASSWORD_STDIN,
        OPT_DOCKER_HOST,
        OPT_CACHE_DIR,
        OPT_NO_CACHE,
        OPT_THREADS,
        OPT_REPRODUCIBLE,
        OPT_MAX_LAYER_SIZE,
        OPT_FAIL_ON,
        OPT_SCANNERS,
        OPT_SECRET_RULES,
        OPT_SEVERITY,
        OPT_LIST_CHECKS,
        OPT_VULNDB,
        OPT_IGNORE_UNFIXED,
        _OPT_COMMON_MAX,
};

void image_opts_init(struct image_opts *o);
int parse_image_option(struct image_opts *o, int opt, const char *arg);

/* Runs the scan with progress on stderr (when it is a terminal and not --quiet), prints warnings, and
 * reports errors. Returns the result or NULL (after printing the error). */
struct scan_result *run_scan(const char *target, struct image_opts *o);

/* Writes a report to -o FILE (atomically: temp file + rename) or stdout. Returns 0 or EXIT_ERROR. */
int write_report(struct image_opts *o, enum report_format fmt, const struct scan_result *r,
                 const struct report_options *ro);

/* Parses "1.5G", "300M", "1024" into bytes. */
int parse_size(const char *s, uint64_t *ret);
