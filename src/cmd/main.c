/* SPDX-License-Identifier: Apache-2.0 */
#include <locale.h>
#include <string.h>

#include "cmd.h"

const char *program_name = "stockade";

static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
} commands[] = {
        { "scan", cmd_scan, "find vulnerabilities, secrets and misconfigurations; gate CI" },
        { "sbom", cmd_sbom, "list an image's packages (CycloneDX, SPDX or JSON)" },
        { "db", cmd_db, "build, inspect and update the local vulnerability database" },
        { "agent", cmd_agent, "watch containers at run time (eBPF): processes, files, network" },
        { "incidents", cmd_incidents, "list and show the runtime agent's incidents and their evidence" },
        { "policy", cmd_policy, "show, export, apply and switch the learned behaviour models" },
        { "netpol", cmd_netpol, "network micro-perimeters: learned graph, policy, Kubernetes export" },
};

static void usage(FILE *f) {
        fprintf(f,
                "Usage: %s COMMAND [OPTIONS] …\n"
                "\n"
                "stockade secures containers from build to run. Commands:\n"
                "\n",
                program_name);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "  %-10s %s\n", "version", "print the version");
        fprintf(f,
                "\n"
                "Images are named by TARGET: docker-archive:PATH, oci:PATH, docker:NAME,\n"
                "registry:REF, dir:PATH, or a bare path or name (see stockade(1)).\n"
                "\n"
                "Examples:\n"
                "  docker save myapp:1.2 -o myapp.tar && %s scan myapp.tar\n"
                "  %s sbom docker:myapp:1.2 --format cyclonedx -o myapp.cdx.json\n"
                "  %s scan registry:localhost:5000/myapp:1.2 --insecure --fail-on HIGH\n"
                "\n"
                "Run '%s COMMAND --help' for a command's options; man stockade for more.\n",
                program_name, program_name, program_name, program_name);
}

int main(int argc, char **argv) {
        /* Member names of image archives are bytes; a UTF-8 locale lets libarchive pass them through. */
        if (!setlocale(LC_CTYPE, "C.UTF-8"))
                setlocale(LC_CTYPE, "");

        if (argc < 2) {
                usage(stderr);
                return EXIT_ERROR;
        }
        const char *cmd = argv[1];
        if (streq(cmd, "--help") || streq(cmd, "-h") || streq(cmd, "help")) {
                usage(stdout);
                return EXIT_OK;
        }
        if (streq(cmd, "--version") || streq(cmd, "version")) {
                printf("stockade %s\n", STOCKADE_VERSION);
                return EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(cmd, commands[i].name))
                        return commands[i].fn(argc - 1, argv + 1);
        log_error("unknown command '%s' (see '%s --help')", cmd, program_name);
        return EXIT_ERROR;
}
