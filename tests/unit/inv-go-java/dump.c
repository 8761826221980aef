/* SPDX-License-Identifier: Apache-2.0 */
/* Debugging aid, not a test:
 *   inv-go-java-dump go|java FILE...   prints what the Go or Java analyzer finds in the files
 *   inv-go-java-dump go-seeds DIR      writes the crafted ELF files used as fuzz seeds */

#include <sys/stat.h>

#include "elf-craft.h"
#include "file-reader.h"

static int write_seeds(const char *dir) {
        static uint8_t buf[64 * 1024];
        for (unsigned bits = 0; bits < 20; bits++) {
                struct elf_craft o = {
                        .is64 = bits & 1,
                        .be = bits & 2,
                        .inline_strings = bits & 4,
                        .headers_before = bits & 8,
                        .relro_decoy = bits == 16 || bits == 17,
                        .bad_pointers = bits == 18,
                        .modinfo = bits == 19 ? NULL : elf_craft_modinfo,
                        .version = bits & 4 ? "go1.21rc2" : "go1.16.15",
                };
                size_t n = elf_craft(&o, buf, sizeof buf);
                char path[4096];
                snprintf(path, sizeof path, "%s/elf-%s%s-%s%s%s%s%s", dir, o.is64 ? "64" : "32",
                         o.be ? "be" : "le", o.inline_strings ? "inline" : "pointers",
                         o.headers_before ? "-hdrs-before" : "", o.relro_decoy ? "-relro" : "",
                         o.bad_pointers ? "-badptr" : "", o.modinfo ? "" : "-nomod");
                FILE *f = fopen(path, "wb");
                if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0)
                        return 1;
        }
        return 0;
}

int main(int argc, char **argv) {
        if (argc < 3)
                return 2;
        if (streq(argv[1], "go-seeds"))
                return write_seeds(argv[2]);
        const struct analyzer *a = streq(argv[1], "go") ? &analyzer_go : &analyzer_java;
        for (int i = 2; i < argc; i++) {
                struct layer_ctx *c = run_analyzer_file(a, argv[i], argv[i], 0);
                printf("%s:\n", argv[i]);
                if (c) {
                        dump_result(c);
                        layer_ctx_free_standalone(c);
                }
        }
        return 0;
}
