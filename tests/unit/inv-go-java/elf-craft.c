/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "elf-craft.h"

const char elf_craft_modinfo[] = "path\texample.com/app/cmd/app\n"
                                 "mod\texample.com/app\t(devel)\t\n"
                                 "dep\texample.com/liba\tv1.2.3\th1:abc=\n"
                                 "dep\texample.com/libb\tv0.4.0\n"
                                 "=>\texample.com/libb-fork\tv0.4.1\th1:def=\n"
                                 "dep\texample.com/libc\tv1.0.0\n"
                                 "=>\t../libc\t\t\n"
                                 "build\t-compiler=gc\n";

static const uint8_t info_start[16] = {0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
                                       0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6};
static const uint8_t info_end[16] = {0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
                                     0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2};

static void put(uint8_t *p, uint64_t v, unsigned size, bool be) {
        for (unsigned i = 0; i < size; i++)
                p[be ? size - 1 - i : i] = (uint8_t) (v >> (8 * i));
}

static size_t uvarint(uint8_t *p, uint64_t v) {
        size_t n = 0;
        while (v >= 0x80) {
                p[n++] = (uint8_t) (v | 0x80);
                v >>= 7;
        }
        p[n++] = (uint8_t) v;
        return n;
}

static size_t align16(size_t v) {
        return (v + 15) & ~(size_t) 15;
}

#define BASE 0x400000u

struct phdr {
        uint32_t type, flags;
        uint64_t off, filesz;
};

size_t elf_craft(const struct elf_craft *o, uint8_t *buf, size_t cap) {
        unsigned ptr = o->is64 ? 8 : 4, ehs = o->is64 ? 64 : 52, phs = o->is64 ? 56 : 32;
        struct phdr ph[6];
        unsigned nph = 0;
        size_t vlen = strlen(o->version), mlen = o->modinfo ? strlen(o->modinfo) + 32 : 0;
        size_t pos;

        if (cap < 4096 + vlen + 2 * mlen + o->gap)
                return 0;
        memset(buf, 0, cap);

        /* text: the headers, the Go build ID note, a little code */
        size_t text_end = 0x1f0, note = 0x1b0;
        ph[nph++] = (struct phdr){1, 5, 0, text_end};
        if (!o->no_go_note) {
                put(buf + note, 4, 4, o->be);
                put(buf + note + 4, 8, 4, o->be);
                put(buf + note + 8, 4, 4, o->be);
                memcpy(buf + note + 12, "Go\0\0buildid!", 12);
                ph[nph++] = (struct phdr){4, 4, note, 24};
        }

        /* rodata: decoys, the version, the framed module text */
        size_t ro = 0x200, v_off, m_off = 0;
        pos = ro;
        memcpy(buf + pos, "xgo1.2decoygo1.x", 16);
        pos += 16;
        v_off = pos;
        memcpy(buf + pos, o->version, vlen);
        pos += vlen;
        memcpy(buf + pos, "devel +deadbeef", 15);
        pos = align16(pos + 15);
        if (o->modinfo) {
                m_off = pos;
                memcpy(buf + pos, info_start, 16);
                memcpy(buf + pos + 16, o->modinfo, mlen - 32);
                memcpy(buf + pos + mlen - 16, info_end, 16);
                pos += mlen;
        }
        pos += o->gap;
        ph[nph++] = (struct phdr){1, 4, ro, pos - ro};
        pos = align16(pos + 8);

        /* optional RELRO segment with a fake blob */
        if (o->relro_decoy) {
                size_t d = pos;
                memcpy(buf + d + 16, "\xff Go buildinf:", 14);
                buf[d + 16 + 14] = (uint8_t) ptr;
                buf[d + 16 + 15] = 2;
                buf[d + 48] = 5;
                memcpy(buf + d + 49, "bogus", 5);
                ph[nph++] = (struct phdr){1, 6, d, 64};
                ph[nph++] = (struct phdr){0x6474e552u, 4, d, 64};
                pos = d + 64;
        }

        /* data: the blob, and for the pointer layout the string headers */
        size_t data = pos, blob, hv, hm;
        if (o->inline_strings || !o->headers_before) {
                blob = data;
                hv = blob + 32;
                hm = hv + 2 * ptr;
        } else {
                hv = data;
                hm = hv + 2 * ptr;
                blob = align16(hm + 2 * ptr);
        }
        memcpy(buf + blob, "\xff Go buildinf:", 14);
        buf[blob + 14] = (uint8_t) ptr;
        if (o->inline_strings) {
                buf[blob + 15] = 2;
                pos = blob + 32;
                pos += uvarint(buf + pos, vlen);
                memcpy(buf + pos, o->version, vlen);
                pos += vlen;
                pos += uvarint(buf + pos, mlen);
                if (o->modinfo) {
                        memcpy(buf + pos, info_start, 16);
                        memcpy(buf + pos + 16, o->modinfo, mlen - 32);
                        memcpy(buf + pos + mlen - 16, info_end, 16);
                }
                pos += mlen;
        } else {
                buf[blob + 15] = o->be ? 1 : 0;
                uint64_t junk = o->bad_pointers ? 0 : BASE;
                put(buf + blob + 16, o->bad_pointers ? 0 : BASE + hv, ptr, o->be);
                put(buf + blob + 16 + ptr, o->bad_pointers ? 0 : BASE + hm, ptr, o->be);
                put(buf + hv, junk + v_off, ptr, o->be);
                put(buf + hv + ptr, vlen, ptr, o->be);
                put(buf + hm, o->modinfo ? junk + m_off : 0, ptr, o->be);
                put(buf + hm + ptr, mlen, ptr, o->be);
                pos = (blob + 32 > hm + 2 * ptr ? blob + 32 : hm + 2 * ptr);
        }
        pos = align16(pos);
        ph[nph++] = (struct phdr){1, 6, data, pos - data};

        /* ELF header and program headers */
        memcpy(buf,
               "\x7f"
               "ELF",
               4);
        buf[4] = o->is64 ? 2 : 1;
        buf[5] = o->be ? 2 : 1;
        buf[6] = 1;
        put(buf + 16, 2, 2, o->be); /* ET_EXEC */
        put(buf + 18, o->is64 ? 62 : 3, 2, o->be);
        put(buf + 20, 1, 4, o->be);
        put(buf + (o->is64 ? 32 : 28), ehs, ptr, o->be);
        put(buf + (o->is64 ? 52 : 40), ehs, 2, o->be);
        put(buf + (o->is64 ? 54 : 42), phs, 2, o->be);
        put(buf + (o->is64 ? 56 : 44), nph, 2, o->be);
        for (unsigned i = 0; i < nph; i++) {
                uint8_t *p = buf + ehs + i * phs;
                uint64_t va = BASE + ph[i].off;
                put(p, ph[i].type, 4, o->be);
                if (o->is64) {
                        put(p + 4, ph[i].flags, 4, o->be);
                        put(p + 8, ph[i].off, 8, o->be);
                        put(p + 16, va, 8, o->be);
                        put(p + 24, va, 8, o->be);
                        put(p + 32, ph[i].filesz, 8, o->be);
                        put(p + 40, ph[i].filesz, 8, o->be);
                        put(p + 48, 16, 8, o->be);
                } else {
                        put(p + 4, ph[i].off, 4, o->be);
                        put(p + 8, va, 4, o->be);
                        put(p + 12, va, 4, o->be);
                        put(p + 16, ph[i].filesz, 4, o->be);
                        put(p + 20, ph[i].filesz, 4, o->be);
                        put(p + 24, ph[i].flags, 4, o->be);
                        put(p + 28, 16, 4, o->be);
                }
        }
        return pos;
}
