/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "match/ignore.h"
#include "match/vex.h"
#include "misconfig/misconfig.h"
#include "vulndb/vulndb.h"

enum {
        OPT_IGNORE_FILE = _OPT_COMMON_MAX,
        OPT_VEX,
        OPT_TIMING,
};

#define MAX_VEX_FILES 64

static void help(void) {
        printf("Usage: %s scan [OPTIONS] TARGET\n"
               "\n"
               "Scan an image for known vulnerabilities in its packages, secrets (in every\n"
               "layer, deleted files included, and in its configuration) and misconfigurations\n"
               "(CIS Docker Benchmark section 4), and gate CI pipelines on what is found.\n"
               "TARGET may also be sbom:FILE, a CycloneDX or SPDX JSON SBOM whose packages are\n"
               "matched against the vulnerability database.\n"
               "\n"
               "Options:\n"
               "  -f, --format FORMAT     table (default), json, sarif or cyclonedx\n"
               "  -o, --output FILE       write the report to FILE (atomically) instead of stdout\n"
               "      --fail-on SEVERITY  exit 1 when a finding is at least LOW, MEDIUM, HIGH or\n"
               "                          CRITICAL; UNKNOWN: any finding, unrated ones included\n"
               "      --severity SEVERITY table: hide findings below SEVERITY\n"
               "      --scanners LIST     comma-separated: vuln, secret, misconfig (default: all)\n"
               "      --db PATH           vulnerability database (default ~/.cache/stockade/vuln.db;\n"
               "                          make it with 'stockade db build')\n"
               "      --ignore-unfixed    findings without a fixed version do not fail the gate\n"
               "                          and are left out of the table\n"
               "      --ignore-file FILE  YAML list of accepted findings (id, package, reason,\n"
               "                          expires); expired entries no longer apply\n"
               "      --vex FILE          OpenVEX or CycloneDX VEX: not_affected and fixed\n"
               "                          statements except findings (repeatable)\n"
               "      --secret-rules FILE secret rules to use instead of the built-in ones\n"
               "                          (format: stockade-secret-rules(5))\n"
               "      --list-checks       print the misconfiguration checks and exit\n"
               "      --reproducible      same image, same bytes: no timestamp\n"
               "      --timing            print where the time went (analysis, matching) on stderr\n"
               "      --platform OS/ARCH  image to pick from a multi-platform index (linux/amd64)\n"
               "      --insecure          registry: allow plain HTTP and unverified TLS\n"
               "      --username USER     registry user; --password-stdin reads the password\n"
               "      --docker-host URL   engine socket (default $DOCKER_HOST or /var/run/docker.sock)\n"
               "      --no-cache          read every layer, ignoring the layer cache\n"
               "      --cache-dir DIR     layer cache directory (default ~/.cache/stockade)\n"
               "      --threads N         layers read in parallel (default: CPUs)\n"
               "      --max-layer-size S  refuse layers unpacking to more than S (default 64G)\n"
               "  -q, --quiet             no progress, no warnings\n"
               "  -v, --verbose           show every warning\n"
               "  -h, --help              show this help\n"
               "\n"
               "Examples:\n"
               "  %s scan myapp.tar\n"
               "  %s scan docker:myapp:1.2 --fail-on HIGH         # CI gate\n"
               "  %s scan oci:./layout --format sarif -o scan.sarif\n"
               "  %s scan registry:localhost:5000/app:1 --insecure --format json\n"
               "  %s scan sbom:app.cdx.json --fail-on CRITICAL --ignore-file .stockadeignore.yaml\n"
               "  %s scan app.tar --vex app.openvex.json --ignore-unfixed\n"
               "\n"
               "Exit status: 0 when nothing crossed --fail-on, 1 when something did, 2 on a\n"
               "usage or runtime error. See stockade-scan(1).\n",
               program_name, program_name, program_name, program_name, program_name, program_name,
               program_name);
}

static void list_checks(void) {
        size_t n;
        const struct misconfig_check_info *c = misconfig_checks(&n);
        printf("%-12s %-5s %-9s %s\n", "ID", "CIS", "SEVERITY", "CHECK");
        for (size_t i = 0; i < n; i++)
                printf("%-12s %-5s %-9s %s\n", c[i].id, c[i].cis ? c[i].cis : "-", severity_to_string(c[i].severity),
                       c[i].title);
}

static int parse_scanners(const char *s, struct scan_options *o) {
        o->secrets = o->misconfig = o->vulns = false;
        _cleanup_free_ char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (streq(t, "secret") || streq(t, "secrets"))
                        o->secrets = true;
                else if (streq(t, "misconfig") || streq(t, "config"))
                        o->misconfig = true;
                else if (streq(t, "vuln") || streq(t, "vulns") || streq(t, "vulnerability"))
                        o->vulns = true;
                else {
                        log_error("unknown scanner '%s' in --scanners: use vuln, secret, misconfig", t);
                        return -EINVAL;
                }
        }
        return 0;
}

int cmd_scan(int argc, char **argv) {
        static const struct option options[] = {
                IMAGE_LONG_OPTIONS,
                { "fail-on", required_argument, NULL, OPT_FAIL_ON },
                { "severity", required_argument, NULL, OPT_SEVERITY },
                { "scanners", required_argument, NULL, OPT_SCANNERS },
                { "secret-rules", required_argument, NULL, OPT_SECRET_RULES },
                { "list-checks", no_argument, NULL, OPT_LIST_CHECKS },
                { "db", required_argument, NULL, OPT_VULNDB },
                { "ignore-unfixed", no_argument, NULL, OPT_IGNORE_UNFIXED },
                { "ignore-file", required_argument, NULL, OPT_IGNORE_FILE },
                { "vex", required_argument, NULL, OPT_VEX },
                { "timing", no_argument, NULL, OPT_TIMING },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct image_opts o;
        enum severity fail_on = SEV_UNKNOWN, min_sev = SEV_UNKNOWN;
        bool gate = false, ignore_unfixed = false, timing = false;
        const char *ignore_file = NULL, *vex_files[MAX_VEX_FILES];
        size_t n_vex = 0;
        int c, k;

        image_opts_init(&o);
        o.format = "table";
        optind = 0;
        while ((c = getopt_long(argc, argv, "f:o:qvh", options, NULL)) >= 0) {
                switch (c) {
                case 'h': help(); return EXIT_OK;
                case OPT_LIST_CHECKS: list_checks(); return EXIT_OK;
                case OPT_FAIL_ON:
                case OPT_SEVERITY: {
                        enum severity s = severity_from_string(optarg);
                        if (s == SEV_UNKNOWN && strcasecmp(optarg, "UNKNOWN") != 0) {
                                log_error("invalid severity '%s': use UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL",
                                          optarg);
                                return EXIT_ERROR;
                        }
                        if (c == OPT_FAIL_ON) {
                                fail_on = s;
                                gate = true;
                        } else
                                min_sev = s;
                        continue;
                }
                case OPT_SCANNERS:
                        if (parse_scanners(optarg, &o.scan) < 0)
                                return EXIT_ERROR;
                        continue;
                case OPT_SECRET_RULES: o.scan.secret_rules = optarg; continue;
                case OPT_VULNDB: o.scan.vulndb_path = optarg; continue;
                case OPT_IGNORE_UNFIXED: ignore_unfixed = true; continue;
                case OPT_IGNORE_FILE: ignore_file = optarg; continue;
                case OPT_VEX:
                        if (n_vex == MAX_VEX_FILES) {
                                log_error("too many --vex files (at most %d)", MAX_VEX_FILES);
                                return EXIT_ERROR;
                        }
                        vex_files[n_vex++] = optarg;
                        continue;
                case OPT_TIMING: timing = true; continue;
                }
                k = parse_image_option(&o, c, optarg);
                if (k < 0)
                        return EXIT_ERROR;
                if (k == 0) {
                        fprintf(stderr, "Try '%s scan --help'.\n", program_name);
                        return EXIT_ERROR;
                }
        }
        if (optind + 1 != argc) {
                log_error("scan %s a TARGET (see '%s scan --help')", optind >= argc ? "needs" : "takes only",
                          program_name);
                return EXIT_ERROR;
        }
        int fmt = report_format_from_string(o.format);
        if (fmt < 0 || fmt == REPORT_SPDX) {
                log_error("unsupported --format '%s' for scan: use table, json, sarif or cyclonedx", o.format);
                return EXIT_ERROR;
        }

        /* Fail fast, before reading the image, when vulnerabilities cannot be matched: a gate that
         * silently skipped them would pass images it should stop. */
        if (o.scan.vulns) {
                _cleanup_free_ char *def = o.scan.vulndb_path ? NULL : vulndb_default_path();
                const char *db = o.scan.vulndb_path ? o.scan.vulndb_path : def;
                if (db && access(db, F_OK) < 0) {
                        log_error("no vulnerability database at '%s'", db);
                        fprintf(stderr,
                                "hint: build one from feeds with '%s db build FEEDS…', fetch one with '%s db update "
                                "--online',\n      or scan without vulnerabilities: --scanners secret,misconfig\n",
                                program_name, program_name);
                        return EXIT_ERROR;
                }
        }

        /* Exceptions are read before the image, so that a typo in them fails in a second. */
        _cleanup_(arena_freep) struct arena *xa = arena_new(0);
        struct vex_set vex = {};
        struct match_exceptions x = { .ignore_unfixed = ignore_unfixed };
        if (!xa) {
                log_error("out of memory");
                return EXIT_ERROR;
        }
        if (ignore_file || n_vex > 0) {
                struct diag d;
                struct ignore_list *il = NULL;
                int e = 0;
                diag_init(&d);
                if (ignore_file && (e = ignore_load(ignore_file, NULL, xa, &d, &il)) >= 0)
                        x.ignore = il;
                for (size_t i = 0; e >= 0 && i < n_vex; i++)
                        e = vex_load(vex_files[i], xa, &d, &vex);
                for (size_t i = 0; i < d.n_warnings; i++)
                        log_warning("%s", d.warnings[i]);
                if (e < 0)
                        log_error("%s", d.error[0] ? d.error : strerror(-e));
                diag_done(&d);
                if (e < 0) {
                        vex_set_done(&vex);
                        return EXIT_ERROR;
                }
                if (n_vex > 0)
                        x.vex = &vex;
        }
        o.scan.exceptions = &x;

        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        _cleanup_(scan_result_freep) struct scan_result *r = run_scan(argv[optind], &o);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (!r) {
                vex_set_done(&vex);
                return EXIT_ERROR;
        }
        if (timing) {
                const struct match_stats *ms = &r->match_stats;
                fprintf(stderr,
                        "timing: scan %.1f ms; matching %zu packages (%zu lookups, %zu statements, %zu "
                        "findings) %.1f ms\n",
                        (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6,
                        ms->packages, ms->lookups, ms->statements, ms->findings, (double) ms->nanoseconds / 1e6);
        }
        struct report_options ro = {
                .kind = REPORT_KIND_SCAN,
                .reproducible = o.reproducible,
                .min_severity = min_sev,
                .color = arg_global.color > 0 || (arg_global.color < 0 && isatty(STDOUT_FILENO) && !o.output),
        };
        k = write_report(&o, (enum report_format) fmt, r, &ro);
        vex_set_done(&vex);
        if (k != EXIT_OK)
                return k;
        if (!gate)
                return EXIT_OK;
        size_t crossed = 0, unrated = 0;
        VEC_FOREACH(v, &r->vulns) {
                bool counts = !v->excepted_by && !(ignore_unfixed && v->status != FINDING_FIXED);
                crossed += counts && v->severity >= fail_on;
                unrated += counts && v->severity == SEV_UNKNOWN && fail_on > SEV_UNKNOWN;
        }
        if (unrated > 0) /* unrated is not harmless: say that the gate let them through */
                log_warning("%zu vulnerabilit%s without a severity rating did not count toward --fail-on %s "
                            "(--fail-on UNKNOWN counts them)",
                            unrated, unrated == 1 ? "y" : "ies", severity_to_string(fail_on));
        VEC_FOREACH(s, &r->secrets)
                crossed += s->severity >= fail_on;
        VEC_FOREACH(m, &r->misconfigs)
                crossed += m->severity >= fail_on;
        if (crossed > 0) {
                log_info("%zu finding%s at or above %s", crossed, crossed == 1 ? "" : "s", severity_to_string(fail_on));
                return EXIT_FINDINGS;
        }
        return EXIT_OK;
}
