/* SPDX-License-Identifier: Apache-2.0 */
/* Go build information from ELF binaries, read as a stream.
 *
 * How Go lays it out (cmd/link, debug/buildinfo):
 *  - a 32-byte header at a 16-byte aligned address in .go.buildinfo: "\xff Go buildinf:" (14 bytes),
 *    the pointer size, a flags byte;
 *  - Go >= 1.18 (flags & 2): the toolchain version and the module text follow the header, each with its
 *    length as a uvarint in front;
 *  - Go < 1.18: the header holds the virtual addresses of two Go string headers {data, len}, for
 *    runtime.buildVersion and runtime.modinfo (flags & 1: big-endian). The string headers live in
 *    .data, the bytes in .rodata;
 *  - the module text is framed by two 16-byte sentinels and its last line ends with '\n'.
 *
 * Finding the blob: Go's debug/buildinfo looks up the .go.buildinfo section, whose header sits at the end
 * of the file, out of reach of a stream. We use the program headers instead (they come first): the blob
 * is in a writable, non-executable PT_LOAD, after the part of it that PT_GNU_RELRO covers. With Go's
 * internal linker it is the first byte of the segment, but with external linking (cgo) it follows .data
 * (150 KiB into containerd's data segment), and in PIE binaries the RELRO part (.data.rel.ro) comes
 * first: 17 MiB in Debian's docker, and the whole first writable segment of an internally linked PIE. So
 * rather than the first 64 KiB of the first writable segment, we search every writable non-RELRO file
 * byte, at 16-byte aligned addresses, through a sliding window, and stop at the first match.
 *
 * The pointer format points backwards: .rodata precedes .data in the file. While streaming through the
 * read-only segments we therefore capture what could be those strings: each run that starts with the
 * module text's start sentinel (up to its end sentinel), and short runs starting with "go1." or
 * "devel ". Once the pointers are known, only a capture at exactly the pointed-to file offset is used.
 * The string headers are in .data near the blob, which the window still holds, or ahead of it.
 * Captures are only taken in files that carry Go's build ID note (a PT_NOTE at the start of every Go
 * binary), so that other ELF files cost no more than a search of their writable data.
 *
 * Memory: the window (up to WINDOW + CHUNK bytes, grown as needed), at most MAX_MCAPS module-text
 * captures of GO_MODINFO_MAX and MAX_VCANDS short ones, whatever the size of the binary. */

#include <string.h>

#include "buf.h"
#include "go-buildinfo.h"

#define WINDOW     (1024 * 1024) /* history kept behind the read position */
#define CHUNK      (64 * 1024)   /* bytes read at a time */
#define HDR_SIZE   32
#define ALIGN      16
#define MAX_LOADS  64
#define MAX_PHNUM  1024
#define MAX_VCANDS 256
#define VCAND_LEN  48
#define MAX_MCAPS  4
#define MAX_NOTES  8
#define NOTES_END  (64 * 1024) /* notes are read only when they end before this offset */
#define NOTE_MAX   4096

#define PT_LOAD      1
#define PT_NOTE      4
#define PT_GNU_RELRO 0x6474e552u
#define PF_X         1u
#define PF_W         2u

static const uint8_t elf_magic[4] = {0x7f, 'E', 'L', 'F'};
static const uint8_t buildinfo_magic[14] = "\xff Go buildinf:";
static const uint8_t info_start[16] = {0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
                                       0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6};
static const uint8_t info_end[16] = {0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
                                     0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2};

struct load {
        uint64_t off, vaddr, filesz;
        uint32_t flags;
};

/* A range of file offsets; vaddr is the address of its first byte. */
struct range {
        uint64_t start, end, vaddr;
};

struct vcand {
        uint64_t off;
        size_t len;
        uint8_t s[VCAND_LEN];
};

struct mcap {
        uint64_t off;
        struct buf b;
        bool complete;
};

struct scan {
        struct entry_reader *r;
        bool is64, be;
        struct load loads[MAX_LOADS];
        size_t n_loads;
        struct range search[MAX_LOADS]; /* writable non-RELRO bytes, sorted */
        size_t n_search;
        struct range capture[MAX_LOADS]; /* read-only non-executable bytes */
        size_t n_capture;

        uint8_t *win; /* win[0] is at file offset win_off */
        size_t win_len, win_alloc;
        uint64_t win_off;
        bool eof;

        bool found;        /* the blob was found: captures stop */
        uint64_t cand_pos; /* next file offset to examine for captures */
        uint64_t magic_pos;
        struct vcand *vc;
        size_t n_vc;
        struct mcap mc[MAX_MCAPS];
        size_t n_mc;
        int active; /* index of the module-text capture being filled, or -1 */
};

static void scan_done(struct scan *s) {
        free(s->win);
        free(s->vc);
        for (size_t i = 0; i < s->n_mc; i++)
                buf_free(&s->mc[i].b);
}

void go_buildinfo_done(struct go_buildinfo *bi) {
        if (!bi)
                return;
        free(bi->version);
        free(bi->modinfo);
        *bi = (struct go_buildinfo){0};
}

static uint64_t win_end(const struct scan *s) {
        return s->win_off + s->win_len;
}

static uint64_t rd(const struct scan *s, const uint8_t *p, unsigned size) {
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++)
                v |= (uint64_t) p[s->be ? size - 1 - i : i] << (8 * i);
        return v;
}

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c) {
        uint64_t m = a > b ? a : b;
        return m > c ? m : c;
}

/* ---- captures of would-be Go strings in read-only data ---- */

static bool is_version_start(const uint8_t *p, size_t avail) {
        if (avail >= 5 && memcmp(p, "go1.", 4) == 0 && p[4] >= '0' && p[4] <= '9')
                return true;
        return avail >= 6 && memcmp(p, "devel ", 6) == 0;
}

/* Feeds the active module-text capture with the window's new bytes. Returns 1 if it is still active. */
static int feed_capture(struct scan *s) {
        struct mcap *c = &s->mc[s->active];
        uint64_t have = c->off + c->b.len, end = win_end(s);
        int r;

        if (have < s->win_off) { /* cannot happen: the window keeps what was not yet captured */
                s->active = -1;
                return 0;
        }
        if (have < end) {
                size_t old = c->b.len, add = (size_t) (end - have);
                if (old + add > GO_MODINFO_MAX + 2 * sizeof info_start) {
                        /* Too large for a module text we would decode: forget it. */
                        buf_free(&c->b);
                        s->n_mc--;
                        s->active = -1;
                        s->cand_pos = end;
                        return 0;
                }
                r = buf_append(&c->b, s->win + (have - s->win_off), add);
                if (r < 0)
                        return r;
                size_t from =
                        old >= 2 * sizeof info_start - 1 ? old - (sizeof info_end - 1) : sizeof info_start;
                if (c->b.len >= from + sizeof info_end) {
                        const char *m = memmem(c->b.data + from, c->b.len - from, info_end, sizeof info_end);
                        if (m) {
                                c->b.len = (size_t) (m - c->b.data) + sizeof info_end;
                                c->complete = true;
                                s->active = -1;
                                s->cand_pos = c->off + c->b.len;
                                return 0;
                        }
                }
        }
        s->cand_pos = end;
        return 1;
}

static int capture_scan(struct scan *s) {
        int r;

        if (s->found || s->n_capture == 0)
                return 0;
        for (;;) {
                if (s->active >= 0) {
                        r = feed_capture(s);
                        if (r != 0)
                                return r < 0 ? r : 0;
                }
                uint64_t end = win_end(s);
                uint64_t limit = s->eof ? end : (end > VCAND_LEN ? end - VCAND_LEN : 0);
                bool started = false;

                for (size_t i = 0; i < s->n_capture && !started; i++) {
                        const struct range *g = &s->capture[i];
                        uint64_t lo = max3(s->cand_pos, g->start, s->win_off), hi = MIN(limit, g->end);
                        for (uint64_t p = lo; p < hi; p++) {
                                const uint8_t *q = s->win + (p - s->win_off);
                                size_t avail = (size_t) (end - p);
                                if (*q == info_start[0] && avail >= sizeof info_start &&
                                    memcmp(q, info_start, sizeof info_start) == 0 && s->n_mc < MAX_MCAPS) {
                                        s->mc[s->n_mc] = (struct mcap){.off = p, .b = BUF_INIT(0)};
                                        s->active = (int) s->n_mc++;
                                        s->cand_pos = p;
                                        started = true;
                                        break;
                                }
                                if ((*q == 'g' || *q == 'd') && s->n_vc < MAX_VCANDS &&
                                    is_version_start(q, avail)) {
                                        if (!s->vc) {
                                                s->vc = calloc(MAX_VCANDS, sizeof *s->vc);
                                                if (!s->vc)
                                                        return -ENOMEM;
                                        }
                                        struct vcand *v = &s->vc[s->n_vc++];
                                        v->off = p;
                                        v->len = MIN(avail, (size_t) VCAND_LEN);
                                        memcpy(v->s, q, v->len);
                                }
                        }
                }
                if (!started) {
                        s->cand_pos = MAX(s->cand_pos, limit);
                        return 0;
                }
        }
}

/* Copies [off, off+len) from a capture that holds all of it. */
static bool fetch_captured(const struct scan *s, uint64_t off, void *out, size_t len) {
        for (size_t i = 0; i < s->n_vc; i++) {
                const struct vcand *v = &s->vc[i];
                if (off >= v->off && off - v->off <= v->len && len <= v->len - (off - v->off)) {
                        memcpy(out, v->s + (off - v->off), len);
                        return true;
                }
        }
        for (size_t i = 0; i < s->n_mc; i++) {
                const struct mcap *c = &s->mc[i];
                if (off >= c->off && off - c->off <= c->b.len && len <= c->b.len - (off - c->off)) {
                        memcpy(out, c->b.data + (off - c->off), len);
                        return true;
                }
        }
        return false;
}

/* ---- the stream ---- */

/* Reads the next chunk into the window, sliding old bytes out. Returns 1, 0 at the end, or an error. */
static int advance(struct scan *s) {
        if (s->eof)
                return 0;
        if (s->win_len + CHUNK > s->win_alloc) {
                if (s->win_alloc < WINDOW + CHUNK) {
                        /* Most files are small or skipped over: grow the window only as it fills. */
                        size_t a = MIN(2 * s->win_alloc, (size_t) (WINDOW + CHUNK));
                        uint8_t *p = realloc(s->win, a);
                        if (!p)
                                return -ENOMEM;
                        s->win = p;
                        s->win_alloc = a;
                } else {
                        size_t keep = WINDOW / 2, drop = s->win_len - keep;
                        memmove(s->win, s->win + drop, keep);
                        s->win_off += drop;
                        s->win_len = keep;
                }
        }
        ssize_t n = entry_reader_read(s->r, s->win + s->win_len, CHUNK);
        if (n < 0)
                return (int) n;
        if (n == 0)
                s->eof = true;
        s->win_len += (size_t) n;
        int r = capture_scan(s);
        if (r < 0)
                return r;
        return n > 0;
}

/* Skips ahead to file offset off when nothing before it is of interest, dropping the window. */
static int skip_to(struct scan *s, uint64_t off) {
        uint64_t end = win_end(s);
        if (off <= end + CHUNK || s->active >= 0)
                return 0;
        int r = entry_reader_skip(s->r, off - end);
        if (r == -ESPIPE) {
                s->eof = true;
                return 0;
        }
        if (r < 0)
                return r;
        s->win_off = off;
        s->win_len = 0;
        s->cand_pos = MAX(s->cand_pos, off);
        return 0;
}

/* Copies file bytes [off, off+len): from the window, reading forward as needed, or from a capture when
 * they are behind it. Returns 1, 0 when they cannot be had, or an error. */
static int fetch(struct scan *s, uint64_t off, void *out, size_t len) {
        uint8_t *o = out;
        size_t done = 0;
        uint64_t last;

        if (len == 0)
                return 1;
        if (!ADD_OK(off, (uint64_t) len, &last))
                return 0;
        if (off < s->win_off)
                return fetch_captured(s, off, out, len);
        while (done < len) {
                uint64_t cur = off + done, end = win_end(s);
                if (cur < end) {
                        size_t c = (size_t) MIN((uint64_t) (len - done), end - cur);
                        memcpy(o + done, s->win + (cur - s->win_off), c);
                        done += c;
                        continue;
                }
                int r = advance(s);
                if (r <= 0)
                        return r;
        }
        return 1;
}

static int fetch_vaddr(struct scan *s, uint64_t va, void *out, size_t len) {
        for (size_t i = 0; i < s->n_loads; i++) {
                const struct load *l = &s->loads[i];
                if (va >= l->vaddr && va - l->vaddr < l->filesz && len <= l->filesz - (va - l->vaddr))
                        return fetch(s, l->off + (va - l->vaddr), out, len);
        }
        return 0;
}

/* ---- ELF headers ---- */

/* Whether the notes hold Go's build ID (owner "Go", type 4), which every Go linker writes. */
static bool has_go_note(const struct scan *s, const uint8_t *p, size_t n) {
        size_t pos = 0;
        while (n - pos >= 12) {
                uint64_t namesz = rd(s, p + pos, 4), descsz = rd(s, p + pos + 4, 4),
                         type = rd(s, p + pos + 8, 4);
                uint64_t name_end = pos + 12 + ((namesz + 3) & ~(uint64_t) 3);
                uint64_t next = name_end + ((descsz + 3) & ~(uint64_t) 3);
                if (name_end > n || next > n)
                        return false;
                if (namesz == 4 && memcmp(p + pos + 12, "Go\0\0", 4) == 0 && type == 4)
                        return true;
                pos = (size_t) next;
        }
        return false;
}

static int read_layout(struct scan *s) {
        uint8_t eh[64], ph[56];
        struct range relro[MAX_LOADS], notes[MAX_NOTES];
        size_t n_relro = 0, n_notes = 0;
        bool go_note = false;
        int r;

        r = fetch(s, 0, eh, 52);
        if (r <= 0)
                return r;
        if (memcmp(eh, elf_magic, sizeof elf_magic) != 0 || (eh[4] != 1 && eh[4] != 2) ||
            (eh[5] != 1 && eh[5] != 2))
                return 0;
        s->is64 = eh[4] == 2;
        s->be = eh[5] == 2;
        if (s->is64) {
                r = fetch(s, 52, eh + 52, 12);
                if (r <= 0)
                        return r;
        }
        uint16_t type = (uint16_t) rd(s, eh + 16, 2);
        if (type != 2 && type != 3) /* ET_EXEC, ET_DYN */
                return 0;
        uint64_t phoff = s->is64 ? rd(s, eh + 32, 8) : rd(s, eh + 28, 4);
        unsigned phentsize = (unsigned) rd(s, eh + (s->is64 ? 54 : 42), 2);
        unsigned phnum = (unsigned) rd(s, eh + (s->is64 ? 56 : 44), 2);
        unsigned need = s->is64 ? 56 : 32;
        uint64_t ph_end;
        if (phnum == 0 || phnum > MAX_PHNUM || phentsize < need || phentsize > 1024 || phoff < need ||
            !ADD_OK(phoff, (uint64_t) phnum * phentsize, &ph_end))
                return 0;

        for (unsigned i = 0; i < phnum; i++) {
                r = fetch(s, phoff + (uint64_t) i * phentsize, ph, need);
                if (r <= 0)
                        return r;
                uint32_t ptype = (uint32_t) rd(s, ph, 4);
                uint64_t off, vaddr, filesz, memsz, end;
                uint32_t flags;
                if (s->is64) {
                        flags = (uint32_t) rd(s, ph + 4, 4);
                        off = rd(s, ph + 8, 8);
                        vaddr = rd(s, ph + 16, 8);
                        filesz = rd(s, ph + 32, 8);
                        memsz = rd(s, ph + 40, 8);
                } else {
                        off = rd(s, ph + 4, 4);
                        vaddr = rd(s, ph + 8, 4);
                        filesz = rd(s, ph + 16, 4);
                        memsz = rd(s, ph + 20, 4);
                        flags = (uint32_t) rd(s, ph + 24, 4);
                }
                if (ptype == PT_LOAD && filesz > 0) {
                        if (!ADD_OK(off, filesz, &end) || !ADD_OK(vaddr, filesz, &end))
                                continue;
                        if (s->n_loads == MAX_LOADS)
                                return 0;
                        s->loads[s->n_loads++] = (struct load){off, vaddr, filesz, flags};
                } else if (ptype == PT_GNU_RELRO && n_relro < MAX_LOADS && ADD_OK(vaddr, memsz, &end)) {
                        relro[n_relro++] = (struct range){.start = vaddr, .end = end};
                } else if (ptype == PT_NOTE && n_notes < MAX_NOTES && filesz >= 12 && filesz <= NOTE_MAX &&
                           ADD_OK(off, filesz, &end) && end <= NOTES_END) {
                        notes[n_notes++] = (struct range){.start = off, .end = end};
                }
        }
        for (size_t i = 0; i < n_notes && !go_note; i++) {
                uint8_t note[NOTE_MAX];
                size_t len = (size_t) (notes[i].end - notes[i].start);
                r = fetch(s, notes[i].start, note, len);
                if (r < 0)
                        return r;
                go_note = r > 0 && has_go_note(s, note, len);
        }

        for (size_t i = 0; i < s->n_loads; i++) {
                const struct load *l = &s->loads[i];
                struct range g = {l->off, l->off + l->filesz, l->vaddr};
                if ((l->flags & (PF_W | PF_X)) != PF_W) {
                        if (!(l->flags & (PF_W | PF_X)) && go_note)
                                s->capture[s->n_capture++] = g;
                        continue;
                }
                for (size_t j = 0; j < n_relro; j++) {
                        if (g.vaddr >= relro[j].start && g.vaddr < relro[j].end) {
                                uint64_t skip = MIN(relro[j].end - g.vaddr, g.end - g.start);
                                g.start += skip;
                                g.vaddr += skip;
                        }
                }
                if (g.start >= g.end)
                        continue;
                size_t k = s->n_search++;
                while (k > 0 && s->search[k - 1].start > g.start) {
                        s->search[k] = s->search[k - 1];
                        k--;
                }
                s->search[k] = g;
        }
        return s->n_search > 0;
}

/* ---- finding and decoding the blob ---- */

/* Scans the window for the magic at aligned addresses of the search ranges. Returns true when found,
 * with *ret its file offset (the whole header is in the window). */
static bool magic_scan(struct scan *s, uint64_t *ret) {
        uint64_t end = win_end(s);
        for (size_t i = 0; i < s->n_search; i++) {
                const struct range *g = &s->search[i];
                uint64_t p = max3(s->magic_pos, g->start, s->win_off);
                uint64_t hi = MIN(end, g->end);
                if (p >= g->end)
                        continue;
                uint64_t mis = (g->vaddr + (p - g->start)) % ALIGN;
                if (mis && !ADD_OK(p, (uint64_t) (ALIGN - mis), &p))
                        return false;
                for (; p + HDR_SIZE <= hi; p += ALIGN) {
                        const uint8_t *q = s->win + (p - s->win_off);
                        if (*q == buildinfo_magic[0] &&
                            memcmp(q, buildinfo_magic, sizeof buildinfo_magic) == 0) {
                                *ret = p;
                                return true;
                        }
                }
                if (hi < g->end) {
                        s->magic_pos = p;
                        return false; /* more of this range to come */
                }
                s->magic_pos = g->end;
        }
        return false;
}

/* The next file offset of interest (for skip_to), UINT64_MAX when the search is over. */
static uint64_t next_interest(const struct scan *s) {
        uint64_t n = UINT64_MAX, at;
        for (size_t i = 0; i < s->n_search; i++)
                if (s->search[i].end > s->magic_pos) {
                        at = MAX(s->search[i].start, s->magic_pos);
                        n = MIN(n, at);
                }
        if (n == UINT64_MAX)
                return n;
        for (size_t i = 0; i < s->n_capture; i++)
                if (s->capture[i].end > s->cand_pos) {
                        at = MAX(s->capture[i].start, s->cand_pos);
                        n = MIN(n, at);
                }
        return n;
}

static int read_uvarint(struct scan *s, uint64_t *off, uint64_t *ret) {
        uint64_t v = 0;
        for (unsigned i = 0; i < 10; i++) {
                uint8_t b;
                int r = fetch(s, (*off)++, &b, 1);
                if (r <= 0)
                        return r;
                if (i == 9 && b > 1)
                        return 0; /* overflow */
                v |= (uint64_t) (b & 0x7f) << (7 * i);
                if (!(b & 0x80)) {
                        *ret = v;
                        return 1;
                }
        }
        return 0;
}

static int fetch_string(struct scan *s, uint64_t off, size_t len, bool vaddr, char **ret) {
        _cleanup_free_ char *p = malloc(len + 1);
        if (!p)
                return -ENOMEM;
        int r = vaddr ? fetch_vaddr(s, off, p, len) : fetch(s, off, p, len);
        if (r <= 0)
                return r;
        p[len] = 0;
        *ret = TAKE_PTR(p);
        return 1;
}

/* Go < 1.18: follows a pointer to a Go string header. 1, 0 when unreadable, -E2BIG, or an error. */
static int read_gostring(struct scan *s, uint64_t hdr_va, unsigned ptr, size_t max, char **ret,
                         size_t *ret_len) {
        uint8_t h[16];
        int r = fetch_vaddr(s, hdr_va, h, 2 * ptr);
        if (r <= 0)
                return r;
        uint64_t data = rd(s, h, ptr), len = rd(s, h + ptr, ptr);
        if (len > max)
                return -E2BIG;
        if (len == 0) { /* an empty string: its data pointer means nothing */
                *ret = strdup("");
                *ret_len = 0;
                return *ret ? 1 : -ENOMEM;
        }
        r = fetch_string(s, data, (size_t) len, true, ret);
        if (r > 0)
                *ret_len = (size_t) len;
        return r;
}

static bool is_text(const char *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) p[i] < 0x20 || p[i] == 0x7f)
                        return false;
        return true;
}

static int decode(struct scan *s, uint64_t at, struct go_buildinfo *bi) {
        const uint8_t *h = s->win + (at - s->win_off);
        unsigned ptr = h[14];
        uint8_t flags = h[15];
        char *mod = NULL;
        size_t vlen = 0, mlen = 0;
        int r;

        s->found = true;
        s->active = -1;
        if (flags & 2) {
                uint64_t off = at + HDR_SIZE, n;
                r = read_uvarint(s, &off, &n);
                if (r < 0)
                        return r;
                if (r == 0 || n > GO_VERSION_MAX) {
                        bi->problem = "the Go version is truncated or too long";
                        return 1;
                }
                r = fetch_string(s, off, (size_t) n, false, &bi->version);
                if (r <= 0) {
                        if (r == 0)
                                bi->problem = "the Go version is truncated";
                        return r < 0 ? r : 1;
                }
                vlen = (size_t) n;
                off += n;
                r = read_uvarint(s, &off, &n);
                if (r < 0)
                        return r;
                if (r == 0)
                        bi->problem = "the module information is truncated";
                else if (n > GO_MODINFO_MAX)
                        bi->problem = "the module information is too large to decode";
                else {
                        r = fetch_string(s, off, (size_t) n, false, &mod);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                bi->problem = "the module information is truncated";
                        mlen = (size_t) n;
                }
        } else {
                bi->pointer_format = true;
                if (ptr != 4 && ptr != 8) {
                        bi->problem = "the build information has a bad pointer size";
                        return 1;
                }
                s->be = flags != 0;
                uint64_t pv = rd(s, h + 16, ptr), pm = rd(s, h + 16 + ptr, ptr);
                r = read_gostring(s, pv, ptr, GO_VERSION_MAX, &bi->version, &vlen);
                if (r < 0 && r != -E2BIG)
                        return r;
                if (r <= 0)
                        bi->problem = "the Go version could not be read (pre-1.18 layout)";
                r = read_gostring(s, pm, ptr, GO_MODINFO_MAX, &mod, &mlen);
                if (r < 0 && r != -E2BIG)
                        return r;
                if (r <= 0) {
                        /* Fall back on a module text found by its markers, if it is the only one. */
                        size_t complete = 0, k = 0;
                        for (size_t i = 0; i < s->n_mc; i++)
                                if (s->mc[i].complete)
                                        complete++, k = i;
                        if (complete == 1) {
                                mlen = s->mc[k].b.len;
                                mod = buf_steal(&s->mc[k].b);
                                if (!bi->problem)
                                        bi->problem =
                                                "the module information was located by its markers only "
                                                "(pre-1.18 layout)";
                        } else if (!bi->problem)
                                bi->problem = "the module information could not be read (pre-1.18 layout)";
                }
        }

        if (bi->version && (vlen == 0 || !is_text(bi->version, vlen))) {
                bi->version = mfree(bi->version);
                bi->problem = "the Go version is empty or not text";
        }
        /* The module text is framed by sentinels; without a well-formed frame Go ignores it. */
        if (mod && mlen >= 33 && mod[mlen - 17] == '\n') {
                memmove(mod, mod + 16, mlen - 32);
                mod[mlen - 32] = 0;
                bi->modinfo = mod;
                bi->modinfo_len = mlen - 32;
        } else
                free(mod);
        return 1;
}

int go_buildinfo_read_elf(struct entry_reader *r, struct go_buildinfo *bi) {
        _cleanup_(scan_done) struct scan s = {.r = r, .active = -1};
        uint64_t at;
        int k;

        *bi = (struct go_buildinfo){0};
        s.win_alloc = 2 * CHUNK;
        s.win = malloc(s.win_alloc);
        if (!s.win)
                return -ENOMEM;
        s.win_off = entry_reader_offset(r);

        k = read_layout(&s);
        if (k <= 0)
                return k;
        /* Captures start with the first read-only byte not yet passed. */
        k = capture_scan(&s);
        if (k < 0)
                return k;
        for (;;) {
                if (magic_scan(&s, &at))
                        break;
                uint64_t next = next_interest(&s);
                if (next == UINT64_MAX)
                        return 0;
                k = skip_to(&s, next);
                if (k < 0)
                        return k;
                k = advance(&s);
                if (k < 0)
                        return k;
                if (k == 0) {
                        if (magic_scan(&s, &at))
                                break;
                        return 0;
                }
        }
        k = decode(&s, at, bi);
        if (k < 0)
                go_buildinfo_done(bi);
        return k;
}

/* ---- module text ---- */

static size_t split_tabs(char *line, char **f, size_t max) {
        size_t n = 0;
        for (;;) {
                if (n == max)
                        return max + 1;
                f[n++] = line;
                char *t = strchr(line, '\t');
                if (!t)
                        return n;
                *t = 0;
                line = t + 1;
        }
}

int go_modinfo_parse(char *text, size_t n, go_module_fn cb, void *userdata, unsigned *ret_bad) {
        struct go_module m = {0};
        bool have = false;
        unsigned bad = 0;
        char *p = text, *end = text + n;
        int r;

        while (p < end) {
                char *nl = memchr(p, '\n', (size_t) (end - p));
                char *le = nl ? nl : end;
                char *f[5];
                *le = 0;
                if (le > p && le[-1] == '\r')
                        le[-1] = 0;
                size_t nf = split_tabs(p, f, ELEMENTSOF(f));
                p = le + 1;

                bool mod = streq(f[0], "mod"), dep = streq(f[0], "dep");
                if (mod || dep) {
                        if (have) {
                                r = cb(userdata, &m);
                                if (r < 0)
                                        return r;
                                have = false;
                        }
                        if ((nf != 3 && nf != 4) || !*f[1]) {
                                bad++;
                                continue;
                        }
                        m = (struct go_module){
                                .main = mod,
                                .path = f[1],
                                .version = f[2],
                                .sum = nf == 4 ? f[3] : "",
                        };
                        have = true;
                } else if (streq(f[0], "=>")) {
                        if (!have || m.repl_path || (nf != 3 && nf != 4) || !*f[1]) {
                                bad++;
                                continue;
                        }
                        m.repl_path = f[1];
                        m.repl_version = f[2];
                        m.repl_sum = nf == 4 ? f[3] : "";
                } else if (!streq(f[0], "path") && !streq(f[0], "build") && !streq(f[0], "go") &&
                           !(nf == 1 && !*f[0]))
                        bad++;
        }
        if (have) {
                r = cb(userdata, &m);
                if (r < 0)
                        return r;
        }
        if (ret_bad)
                *ret_bad = bad;
        return 0;
}

/* ---- versions ---- */

static const char *parse_num(const char *p, unsigned long *ret) {
        unsigned long v = 0;
        const char *s = p;
        while (*p >= '0' && *p <= '9' && p - s < 9)
                v = v * 10 + (unsigned long) (*p++ - '0');
        if (p == s || (*p >= '0' && *p <= '9'))
                return NULL;
        *ret = v;
        return p;
}

int go_version_to_semver(const char *v, char *out, size_t size) {
        unsigned long num[3] = {0}, pre = 0;
        const char *tag = NULL;
        size_t n = 0;
        int k;

        if (strneq(v, "devel", 5) && (v[5] == 0 || v[5] == ' ')) {
                k = snprintf(out, size, "(devel)");
                return k < 0 || (size_t) k >= size ? -ENOBUFS : 0;
        }
        if (!strneq(v, "go", 2))
                return -EINVAL;
        const char *p = v + 2;
        for (;;) {
                p = parse_num(p, &num[n++]);
                if (!p)
                        return -EINVAL;
                if (*p != '.' || n == 3)
                        break;
                p++;
        }
        if (strneq(p, "rc", 2))
                tag = "rc", p += 2;
        else if (strneq(p, "beta", 4))
                tag = "beta", p += 4;
        else if (strneq(p, "alpha", 5))
                tag = "alpha", p += 5;
        if (tag) {
                p = parse_num(p, &pre);
                if (!p)
                        return -EINVAL;
        }
        /* Whatever follows (" X:boringcrypto", vendor suffixes) stays in go_toolchain only. */
        if (tag)
                k = snprintf(out, size, "v%lu.%lu.%lu-%s.%lu", num[0], num[1], num[2], tag, pre);
        else
                k = snprintf(out, size, "v%lu.%lu.%lu", num[0], num[1], num[2]);
        return k < 0 || (size_t) k >= size ? -ENOBUFS : 0;
}
