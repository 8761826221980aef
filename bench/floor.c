/* SPDX-License-Identifier: Apache-2.0 */
/* The benchmark floor: decompress every layer blob to nowhere, with the same libraries stockade uses
 * (zlib, libzstd), one after the other on one thread. Usage: floor BLOB… ; prints seconds and bytes. */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

static unsigned char in[256 * 1024], out[256 * 1024];

static uint64_t drain(const char *path) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
                perror(path);
                exit(2);
        }
        ssize_t n = read(fd, in, sizeof in);
        uint64_t total = 0;
        if (n >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
                z_stream z = {0};
                inflateInit2(&z, 16 + MAX_WBITS);
                while (n > 0) {
                        z.next_in = in;
                        z.avail_in = (uInt) n;
                        do {
                                z.next_out = out;
                                z.avail_out = sizeof out;
                                int r = inflate(&z, Z_NO_FLUSH);
                                total += sizeof out - z.avail_out;
                                if (r == Z_STREAM_END) {
                                        if (z.avail_in == 0)
                                                break;
                                        inflateReset(&z);
                                } else if (r != Z_OK && r != Z_BUF_ERROR) {
                                        fprintf(stderr, "%s: corrupt gzip\n", path);
                                        exit(2);
                                }
                        } while (z.avail_in > 0 || z.avail_out == 0);
                        n = read(fd, in, sizeof in);
                }
                inflateEnd(&z);
        } else if (n >= 4 && memcmp(in, "\x28\xb5\x2f\xfd", 4) == 0) {
                ZSTD_DCtx *d = ZSTD_createDCtx();
                while (n > 0) {
                        ZSTD_inBuffer ib = {in, (size_t) n, 0};
                        while (ib.pos < ib.size) {
                                ZSTD_outBuffer ob = {out, sizeof out, 0};
                                ZSTD_decompressStream(d, &ob, &ib);
                                total += ob.pos;
                        }
                        n = read(fd, in, sizeof in);
                }
                ZSTD_freeDCtx(d);
        } else {
                while (n > 0) {
                        total += (uint64_t) n;
                        n = read(fd, in, sizeof in);
                }
        }
        close(fd);
        return total;
}

int main(int argc, char **argv) {
        struct timespec a, b;
        uint64_t total = 0;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 1; i < argc; i++)
                total += drain(argv[i]);
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%.3f %llu\n", (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9,
               (unsigned long long) total);
        return 0;
}
