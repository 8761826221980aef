/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Go build information ("\xff Go buildinf:" blob and the module text it points to) read from an ELF
 * binary as a stream, for catalog-go.c. Private to the inventory module.
 *
 * The binary is read once, front to back, through an entry_reader: the ELF and program headers first,
 * then forward to the writable data where the linker puts .go.buildinfo. Nothing is kept but a sliding
 * window of the last GO_WINDOW bytes and a few small captures (see go-buildinfo.c), so memory stays
 * bounded whatever the binary's size.
 *
 * Thread-safety: functions keep no global state; one go_buildinfo per caller. */

#include "layer/layer.h"

#define GO_VERSION_MAX 128           /* longer "go1.x" strings are malformed */
#define GO_MODINFO_MAX (1024 * 1024) /* larger module texts are not decoded */

struct go_buildinfo {
        char *version; /* toolchain as recorded ("go1.19.8", "devel +abc …"); NULL if unreadable */
        char *modinfo; /* module text with the framing sentinels removed; NULL when absent */
        size_t modinfo_len;
        bool pointer_format; /* the pre-1.18 layout (pointers to Go strings) */
        const char *problem; /* static text saying what could not be decoded, NULL when complete */
};

void go_buildinfo_done(struct go_buildinfo *bi);

/* Looks for Go build information in the ELF file that r delivers from its first byte. Returns 1 when the
 * build info blob was found (bi filled; bi->problem may say that parts were unreadable), 0 when the file
 * is not an ELF we can read or carries no build info (bi is empty), -ENOMEM, or the reader's error. */
int go_buildinfo_read_elf(struct entry_reader *r, struct go_buildinfo *bi);

/* One "mod" (main) or "dep" line of the module text, with its "=>" replacement if one follows. The
 * strings point into the text given to go_modinfo_parse(); empty fields are "" (sum, repl_version),
 * repl_path is NULL when the module is not replaced. */
struct go_module {
        bool main;
        const char *path, *version, *sum;
        const char *repl_path, *repl_version, *repl_sum;
};

typedef int (*go_module_fn)(void *userdata, const struct go_module *m);

/* Parses the module text text[0..n) (NUL-terminating fields in place, so text is modified, text[n] too:
 * it must be writable, as it is for go_buildinfo.modinfo) and calls cb for the
 * main module and every dependency, in order. Lines it does not understand are counted in *ret_bad (if
 * non-NULL) and skipped; "path", "build" and "go" lines are ignored. Returns 0 or cb's negative value. */
int go_modinfo_parse(char *text, size_t n, go_module_fn cb, void *userdata, unsigned *ret_bad);

/* Maps a Go toolchain version to the semver form vulnerability databases use for the standard library:
 * "go1.19.8" -> "v1.19.8", "go1.20" -> "v1.20.0", "go1.21rc2" -> "v1.21.0-rc.2", "go1.9beta1" ->
 * "v1.9.0-beta.1"; anything after a space (" X:boringcrypto") or after the version proper is dropped;
 * "devel …" -> "(devel)". Returns 0, -EINVAL when v is not a Go version, -ENOBUFS when out is too
 * small. */
int go_version_to_semver(const char *v, char *out, size_t size);
