/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static void help(void) {
        printf("Usage: %s sbom [OPTIONS] TARGET\n"
               "\n"
               "List every package in an image (OS packages, npm, Python, Go, Java) with its\n"
               "version, license, package URL, the layer that brought it and where its record\n"
               "lives, as a software bill of materials.\n"
               "\n"
               "Options:\n"
               "  -f, --format FORMAT     table, json (default), cyclonedx (1.5) or spdx (2.3)\n"
               "  -o, --output FILE       write the SBOM to FILE (atomically) instead of stdout\n"
               "      --reproducible      same image, same bytes: no timestamp, derived serials\n"
               "      --platform OS/ARCH  image to pick from a multi-platform index (linux/amd64)\n"
               "      --insecure          registry: allow plain HTTP and unverified TLS\n"
               "      --username USER     registry user (else $STOCKADE_REGISTRY_USERNAME,\n"
               "                          else ~/.docker/config.json)\n"
               "      --password-stdin    read the registry password from standard input\n"
               "      --docker-host URL   engine socket (default $DOCKER_HOST or /var/run/docker.sock)\n"
               "      --no-cache          read every layer, ignoring and not filling the layer cache\n"
               "      --cache-dir DIR     layer cache directory (default ~/.cache/stockade)\n"
               "      --threads N         layers read in parallel (default: CPUs)\n"
               "      --max-layer-size S  refuse layers unpacking to more than S (default 64G)\n"
               "  -q, --quiet             no progress, no warnings\n"
               "  -v, --verbose           show every warning\n"
               "  -h, --help              show this help\n"
               "\n"
               "Examples:\n"
               "  %s sbom myapp.tar\n"
               "  %s sbom docker:myapp:1.2 --format cyclonedx -o myapp.cdx.json\n"
               "  %s sbom oci:./layout --format spdx --reproducible\n"
               "  %s sbom registry:localhost:5000/myapp:1.2 --insecure --format table\n"
               "  %s sbom dir:/srv/rootfs\n"
               "\n"
               "Exit status: 0 on success, 2 on a usage or runtime error. See stockade-sbom(1).\n",
               program_name, program_name, program_name, program_name, program_name, program_name);
}

int cmd_sbom(int argc, char **argv) {
        static const struct option options[] = {
                IMAGE_LONG_OPTIONS,
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct image_opts o;
        int c, k;

        image_opts_init(&o);
        /* An inventory needs no secret scanning and no misconfiguration checks. */
        o.scan.secrets = false;
        o.scan.misconfig = false;
        o.scan.vulns = false;
        o.format = "json";
        optind = 0;
        while ((c = getopt_long(argc, argv, "f:o:qvh", options, NULL)) >= 0) {
                if (c == 'h') {
                        help();
                        return EXIT_OK;
                }
                k = parse_image_option(&o, c, optarg);
                if (k < 0)
                        return EXIT_ERROR;
                if (k == 0) {
                        fprintf(stderr, "Try '%s sbom --help'.\n", program_name);
                        return EXIT_ERROR;
                }
        }
        if (optind + 1 != argc) {
                log_error("sbom %s a TARGET (see '%s sbom --help')", optind >= argc ? "needs" : "takes only",
                          program_name);
                return EXIT_ERROR;
        }
        int fmt = report_format_from_string(o.format);
        if (fmt < 0 || fmt == REPORT_SARIF) {
                log_error("unsupported --format '%s' for sbom: use table, json, cyclonedx or spdx", o.format);
                return EXIT_ERROR;
        }

        _cleanup_(scan_result_freep) struct scan_result *r = run_scan(argv[optind], &o);
        if (!r)
                return EXIT_ERROR;
        struct report_options ro = {
                .kind = REPORT_KIND_SBOM,
                .reproducible = o.reproducible,
                .color = arg_global.color > 0 || (arg_global.color < 0 && isatty(STDOUT_FILENO) && !o.output),
        };
        return write_report(&o, (enum report_format) fmt, r, &ro);
}
