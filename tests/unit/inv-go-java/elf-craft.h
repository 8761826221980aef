/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Minimal ELF files carrying Go build information, for tests and fuzz seeds: a text segment holding the
 * headers, a read-only segment with the strings, a writable segment with the build info blob, laid out
 * the way Go's linkers do for each format. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_craft {
        bool is64, be;
        bool inline_strings; /* Go >= 1.18 layout; else the pointer layout of Go 1.13-1.17 */
        bool headers_before; /* pointer layout: string headers precede the blob (external linking) */
        bool relro_decoy;    /* a RELRO writable segment first, holding a fake blob to be ignored */
        bool bad_pointers;   /* pointer layout: pointers that map nowhere (as in PIE files) */
        bool no_go_note;     /* leave out the Go build ID note */
        size_t gap;          /* zero bytes between the strings and the end of the read-only segment */
        const char *version; /* "go1.16.15" */
        const char *modinfo; /* module text without the framing; NULL: none */
};

/* Writes the file into buf (cap bytes); returns its size, 0 if it does not fit. */
size_t elf_craft(const struct elf_craft *o, uint8_t *buf, size_t cap);

extern const char elf_craft_modinfo[]; /* a module text with a main module, deps and replacements */
