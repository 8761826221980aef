/* SPDX-License-Identifier: Apache-2.0 */
/* Runs a fuzz target over every file in the given directories (or files): the committed corpus as a
 * regression test, without libFuzzer. */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        FILE *f = fopen(path, "rb");
        if (!f) {
                perror(path);
                return 1;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(n > 0 ? (size_t) n : 1);
        if (!buf || (n > 0 && fread(buf, 1, (size_t) n, f) != (size_t) n)) {
                fclose(f);
                free(buf);
                return 1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t) n);
        free(buf);
        return 0;
}

int main(int argc, char **argv) {
        int files = 0, errors = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        errors += run_file(argv[i]);
                        files++;
                        continue;
                }
                DIR *d = opendir(argv[i]);
                if (!d)
                        return 1;
                for (struct dirent *e; (e = readdir(d));) {
                        if (e->d_name[0] == '.')
                                continue;
                        char p[4096];
                        snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
                        errors += run_file(p);
                        files++;
                }
                closedir(d);
        }
        printf("%d inputs, %d unreadable\n", files, errors);
        if (files == 0) {
                fprintf(stderr, "no corpus inputs found\n");
                return 1;
        }
        return errors ? 1 : 0;
}
