/*
 * unwind.c — walks the calling thread's stack with each function's unwind
 * rules (its DWARF call frame information, which code compiled without
 * frame pointers has too), reading a return address's rules once and
 * keeping them in a table: the C library's `backtrace` interprets them
 * again at every frame of every call, about 70 ns a frame.
 *
 * A frame's rules, at the address it will return to, say where its caller's
 * stack pointer was (the CFA: the stack pointer or the frame pointer plus
 * an offset), where the return address is kept, and whether the caller's
 * frame pointer was saved and where. That is all a walk needs on x86-64;
 * anything else (a signal frame, a stack realigned by an expression) makes
 * the walk give up, and the caller takes a `backtrace` instead.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "unwind.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__) && defined(DLFO_EH_SEGMENT_TYPE)

/* DWARF register numbers on x86-64. */
#define REG_RBX 3
#define REG_RBP 6
#define REG_RSP 7
#define REG_R12 12
#define REG_R15 15
#define REG_RA 16

/* A frame's rules, packed in a word: the kind in bits 0-1 (never 0, so a
 * packed word is never 0), then flags, the offsets from the CFA of the
 * saved frame pointer and return address in 8-byte units, and the CFA's
 * offset in the top half. */
enum rule_kind { RULE_STEP = 1, RULE_END = 2, RULE_UNSUPPORTED = 3 };
#define RULE_CFA_IS_RBP (1u << 2)
#define RULE_RBP_SAVED (1u << 3)

/* The registers a call keeps for its caller besides rbp, numbered 0 (rbx)
 * and 1 to 4 (r12 to r15): a walk that restores them (unwind_out_of)
 * follows their rules too; the packed rules of unwind_stack leave them out. */
#define OTHER_KEPT 5

typedef struct {
    unsigned kind;
    bool cfa_is_rbp;
    bool rbp_saved;
    int64_t cfa_offset;
    int64_t rbp_offset;
    int64_t ra_offset;
    /* A bit per other kept register: saved at its offset from the CFA, or
     * kept in a way this walker does not follow (in another register, by
     * an expression). */
    uint8_t other_saved;
    uint8_t other_unfollowed;
    int64_t other_offset[OTHER_KEPT];
} rule;

/* The index of a kept register other than rbp, or -1. */
static int other_kept(uint64_t reg) {
    if (reg == REG_RBX) {
        return 0;
    }
    return reg >= REG_R12 && reg <= REG_R15 ? (int)(reg - REG_R12) + 1 : -1;
}

static uint64_t pack(const rule *r) {
    if (r->kind != RULE_STEP) {
        return r->kind;
    }
    return RULE_STEP | (r->cfa_is_rbp ? RULE_CFA_IS_RBP : 0) | (r->rbp_saved ? RULE_RBP_SAVED : 0) |
           ((uint64_t)(uint8_t)(int8_t)(r->rbp_offset / 8) << 8) |
           ((uint64_t)(uint8_t)(int8_t)(r->ra_offset / 8) << 16) | ((uint64_t)r->cfa_offset << 32);
}

static rule unpack(uint64_t word) {
    rule r = {.kind = (unsigned)(word & 3)};
    r.cfa_is_rbp = word & RULE_CFA_IS_RBP;
    r.rbp_saved = word & RULE_RBP_SAVED;
    r.rbp_offset = (int64_t)(int8_t)(uint8_t)(word >> 8) * 8;
    r.ra_offset = (int64_t)(int8_t)(uint8_t)(word >> 16) * 8;
    r.cfa_offset = (int64_t)(word >> 32);
    return r;
}

/* Whether a rule fits its packed word; one that does not is unsupported. */
static bool packable(const rule *r) {
    bool in_units = r->rbp_offset % 8 == 0 && r->ra_offset % 8 == 0;
    bool in_range = r->rbp_offset >= -1024 && r->rbp_offset < 1024 && r->ra_offset >= -1024 &&
                    r->ra_offset < 1024 && r->cfa_offset > 0 && r->cfa_offset < (INT64_C(1) << 31);
    return in_units && in_range;
}

/* ---- reading the call frame information -------------------------------- */

static uint64_t read_uleb(const uint8_t **p, const uint8_t *end) {
    uint64_t value = 0;
    for (unsigned shift = 0; *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        if (shift < 64) {
            value |= (uint64_t)(byte & 0x7f) << shift;
        }
        if (!(byte & 0x80)) {
            break;
        }
    }
    return value;
}

static int64_t read_sleb(const uint8_t **p, const uint8_t *end) {
    int64_t value = 0;
    unsigned shift = 0;
    uint8_t byte = 0;
    while (*p < end) {
        byte = *(*p)++;
        if (shift < 64) {
            value |= (int64_t)((uint64_t)(byte & 0x7f) << shift);
        }
        shift += 7;
        if (!(byte & 0x80)) {
            break;
        }
    }
    if (shift < 64 && (byte & 0x40)) {
        value |= -(INT64_C(1) << shift);
    }
    return value;
}

/* `size` (at most 8) little-endian bytes, unsigned. */
static uint64_t read_fixed(const uint8_t **p, size_t size) {
    uint64_t value = 0;
    memcpy(&value, *p, size);
    *p += size;
    return value;
}

/* An encoded value's bytes, by the low nibble of its encoding (the
 * application bits, pc-relative and so on, are the caller's). False for a
 * format this reader does not know. */
static bool read_encoded(const uint8_t **p, const uint8_t *end, uint8_t encoding, uint64_t *value) {
    size_t size;
    switch (encoding & 0x0f) {
    case 0x00: size = 8; break; /* absptr */
    case 0x01: *value = read_uleb(p, end); return *p <= end;
    case 0x09: *value = (uint64_t)read_sleb(p, end); return *p <= end;
    case 0x02: case 0x0a: size = 2; break;
    case 0x03: case 0x0b: size = 4; break;
    case 0x04: case 0x0c: size = 8; break;
    default: return false;
    }
    if ((size_t)(end - *p) < size) {
        return false;
    }
    uint64_t raw = read_fixed(p, size);
    if ((encoding & 0x08) && size < 8 && (raw >> (size * 8 - 1)) & 1) {
        raw |= ~UINT64_C(0) << (size * 8); /* signed */
    }
    *value = raw;
    return true;
}

/* What a CIE says about the FDEs that use it. */
typedef struct {
    uint64_t code_align;
    int64_t data_align;
    uint8_t fde_encoding;
    bool has_augmentation_data;
    const uint8_t *instructions;
    const uint8_t *end;
} cie_info;

static bool read_cie(const uint8_t *cie, cie_info *info) {
    uint32_t length;
    uint32_t id;
    memcpy(&length, cie, 4);
    memcpy(&id, cie + 4, 4);
    if (length == 0 || length == UINT32_MAX || id != 0) {
        return false;
    }
    const uint8_t *p = cie + 8;
    const uint8_t *end = cie + 4 + length;
    uint8_t version = *p++;
    const char *augmentation = (const char *)p;
    size_t augmentation_length = strnlen(augmentation, (size_t)(end - p));
    p += augmentation_length + 1;
    info->code_align = read_uleb(&p, end);
    info->data_align = read_sleb(&p, end);
    uint64_t ra_register = version == 1 ? *p++ : read_uleb(&p, end);
    if (ra_register != REG_RA || p > end) {
        return false;
    }
    info->fde_encoding = 0; /* absptr */
    info->has_augmentation_data = augmentation[0] == 'z';
    if (info->has_augmentation_data) {
        uint64_t data_length = read_uleb(&p, end);
        const uint8_t *data = p;
        for (const char *a = augmentation + 1; *a; a++) {
            switch (*a) {
            case 'R': info->fde_encoding = *data++; break;
            case 'L': data++; break;
            case 'P': {
                uint8_t encoding = *data++;
                uint64_t personality;
                if ((encoding & 0x70) == 0x50 || !read_encoded(&data, end, encoding, &personality)) {
                    return false;
                }
                break;
            }
            default: return false; /* 'S' (a signal frame) and the unknown */
            }
        }
        p += data_length;
    } else if (augmentation[0] != '\0') {
        return false;
    }
    if (p > end) {
        return false;
    }
    info->instructions = p;
    info->end = end;
    return true;
}

/* The register rules a walk follows, with DW_CFA_remember_state's stack. */
#define REMEMBERED_STATES 8

typedef struct {
    rule row;
    rule initial;
    rule remembered[REMEMBERED_STATES];
    unsigned depth;
} cfa_state;

/* A register saved at `offset` from the CFA (DW_CFA_offset and its kin),
 * for the registers a walk follows; the others are ignored. */
static void set_offset(rule *row, uint64_t reg, int64_t offset) {
    int other = other_kept(reg);
    if (other >= 0) {
        row->other_saved |= (uint8_t)(1u << other);
        row->other_unfollowed &= (uint8_t)~(1u << other);
        row->other_offset[other] = offset;
    } else if (reg == REG_RBP) {
        row->rbp_saved = true;
        row->rbp_offset = offset;
    } else if (reg == REG_RA) {
        row->ra_offset = offset;
        if (row->kind == RULE_END) {
            row->kind = RULE_STEP;
        }
    }
}

/* A register's rule back to the CIE's (DW_CFA_restore). */
static void restore(rule *row, const rule *initial, uint64_t reg) {
    int other = other_kept(reg);
    if (other >= 0) {
        uint8_t bit = (uint8_t)(1u << other);
        row->other_saved = (uint8_t)((row->other_saved & ~bit) | (initial->other_saved & bit));
        row->other_unfollowed = (uint8_t)((row->other_unfollowed & ~bit) | (initial->other_unfollowed & bit));
        row->other_offset[other] = initial->other_offset[other];
    } else if (reg == REG_RBP) {
        row->rbp_saved = initial->rbp_saved;
        row->rbp_offset = initial->rbp_offset;
    } else if (reg == REG_RA) {
        row->ra_offset = initial->ra_offset;
        row->kind = initial->kind;
    }
}

/* A kept register other than rbp that is where its caller left it
 * (DW_CFA_undefined, DW_CFA_same_value). */
static void not_saved(rule *row, uint64_t reg) {
    int other = other_kept(reg);
    if (other >= 0) {
        row->other_saved &= (uint8_t)~(1u << other);
        row->other_unfollowed &= (uint8_t)~(1u << other);
    }
}

/* A kept register other than rbp whose caller's value this walker cannot
 * find (in another register, or by an expression). */
static void unfollowed(rule *row, uint64_t reg) {
    int other = other_kept(reg);
    if (other >= 0) {
        row->other_saved &= (uint8_t)~(1u << other);
        row->other_unfollowed |= (uint8_t)(1u << other);
    }
}

/* Runs CFA instructions until the row for `target` (an address inside the
 * function, as an offset from where the instructions' location starts).
 * False for an instruction this walker does not follow. */
static bool run(cfa_state *s, const cie_info *cie, const uint8_t *p, const uint8_t *end,
                uint64_t target) {
    uint64_t location = 0;
    rule *row = &s->row;
    while (p < end) {
        uint8_t op = *p++;
        uint64_t reg;
        uint64_t advance = UINT64_MAX;
        switch (op >> 6) {
        case 1: advance = (op & 0x3f) * cie->code_align; break; /* DW_CFA_advance_loc */
        case 2:                                               /* DW_CFA_offset */
            set_offset(row, op & 0x3f, (int64_t)read_uleb(&p, end) * cie->data_align);
            continue;
        case 3: restore(row, &s->initial, op & 0x3f); continue; /* DW_CFA_restore */
        default: break;
        }
        if (advance == UINT64_MAX) {
            switch (op) {
            case 0x00: continue; /* nop */
            case 0x02: advance = read_fixed(&p, 1) * cie->code_align; break;
            case 0x03: advance = read_fixed(&p, 2) * cie->code_align; break;
            case 0x04: advance = read_fixed(&p, 4) * cie->code_align; break;
            case 0x05: /* offset_extended */
                reg = read_uleb(&p, end);
                set_offset(row, reg, (int64_t)read_uleb(&p, end) * cie->data_align);
                continue;
            case 0x06: restore(row, &s->initial, read_uleb(&p, end)); continue;
            case 0x07: /* undefined: an undefined return address ends the stack */
                reg = read_uleb(&p, end);
                if (reg == REG_RA) {
                    row->kind = RULE_END;
                } else if (reg == REG_RBP) {
                    row->rbp_saved = false;
                }
                not_saved(row, reg);
                continue;
            case 0x08: /* same_value */
                reg = read_uleb(&p, end);
                if (reg == REG_RBP) {
                    row->rbp_saved = false;
                } else if (reg == REG_RA) {
                    return false;
                }
                not_saved(row, reg);
                continue;
            case 0x09: /* register: a followed register kept in another */
                reg = read_uleb(&p, end);
                (void)read_uleb(&p, end);
                if (reg == REG_RBP || reg == REG_RA) {
                    return false;
                }
                unfollowed(row, reg);
                continue;
            case 0x0a:
                if (s->depth == REMEMBERED_STATES) {
                    return false;
                }
                s->remembered[s->depth++] = *row;
                continue;
            case 0x0b:
                if (s->depth == 0) {
                    return false;
                }
                *row = s->remembered[--s->depth];
                continue;
            case 0x0c: /* def_cfa */
                reg = read_uleb(&p, end);
                row->cfa_is_rbp = reg == REG_RBP;
                row->cfa_offset = (int64_t)read_uleb(&p, end);
                if (reg != REG_RBP && reg != REG_RSP) {
                    return false;
                }
                continue;
            case 0x0d: /* def_cfa_register */
                reg = read_uleb(&p, end);
                row->cfa_is_rbp = reg == REG_RBP;
                if (reg != REG_RBP && reg != REG_RSP) {
                    return false;
                }
                continue;
            case 0x0e: row->cfa_offset = (int64_t)read_uleb(&p, end); continue;
            case 0x10: /* expression */
            case 0x16: /* val_expression */
                reg = read_uleb(&p, end);
                p += read_uleb(&p, end);
                if (reg == REG_RBP || reg == REG_RA) {
                    return false;
                }
                unfollowed(row, reg);
                continue;
            case 0x11: /* offset_extended_sf */
                reg = read_uleb(&p, end);
                set_offset(row, reg, read_sleb(&p, end) * cie->data_align);
                continue;
            case 0x12: /* def_cfa_sf */
                reg = read_uleb(&p, end);
                row->cfa_is_rbp = reg == REG_RBP;
                row->cfa_offset = read_sleb(&p, end) * cie->data_align;
                if (reg != REG_RBP && reg != REG_RSP) {
                    return false;
                }
                continue;
            case 0x13: row->cfa_offset = read_sleb(&p, end) * cie->data_align; continue;
            case 0x2e: (void)read_uleb(&p, end); continue; /* GNU_args_size */
            case 0x2f:                                     /* GNU_negative_offset_extended */
                reg = read_uleb(&p, end);
                set_offset(row, reg, -(int64_t)read_uleb(&p, end) * cie->data_align);
                continue;
            default: return false; /* set_loc, def_cfa_expression and the unknown */
            }
        }
        location += advance;
        if (location > target) {
            return true;
        }
    }
    return true;
}

/* The rules of the frame executing at `pc`, from its FDE, whether or not
 * they fit a packed word. */
static rule full_rule_at(uintptr_t pc) {
    rule none = {.kind = RULE_END};
    rule unsupported = {.kind = RULE_UNSUPPORTED};
    struct dl_find_object found;
    if (_dl_find_object((void *)pc, &found) != 0 || found.dlfo_eh_frame == NULL) {
        return none; /* no unwind information: the stack ends here, as for `backtrace` */
    }
    /* .eh_frame_hdr: a table of (function start, FDE), sorted, each a
     * signed 4-byte offset from the header (the encoding every linker writes). */
    const uint8_t *header = found.dlfo_eh_frame;
    if (header[0] != 1 || header[3] != 0x3b) {
        return unsupported;
    }
    const uint8_t *p = header + 4;
    const uint8_t *end = p + 16;
    uint64_t eh_frame;
    uint64_t count;
    if (!read_encoded(&p, end, header[1], &eh_frame) || !read_encoded(&p, end, header[2], &count)) {
        return unsupported;
    }
    const int32_t *table = (const int32_t *)(const void *)p;
    int64_t target = (int64_t)(pc - (uintptr_t)header);
    size_t low = 0;
    size_t high = count;
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (table[2 * middle] <= target) {
            low = middle;
        } else {
            high = middle;
        }
    }
    if (count == 0 || table[2 * low] > target) {
        return none;
    }
    uintptr_t function = (uintptr_t)header + (uintptr_t)(intptr_t)table[2 * low];
    const uint8_t *fde = header + table[2 * low + 1];
    uint32_t length;
    int32_t cie_offset;
    memcpy(&length, fde, 4);
    memcpy(&cie_offset, fde + 4, 4);
    cie_info cie;
    if (length == 0 || length == UINT32_MAX || !read_cie(fde + 4 - cie_offset, &cie)) {
        return unsupported;
    }
    const uint8_t *fde_end = fde + 4 + length;
    p = fde + 8;
    uint64_t start;
    uint64_t range;
    if (!read_encoded(&p, fde_end, cie.fde_encoding, &start) ||
        !read_encoded(&p, fde_end, cie.fde_encoding & 0x0f, &range)) {
        return unsupported;
    }
    if (pc >= function + range) {
        return none;
    }
    if (cie.has_augmentation_data) {
        p += read_uleb(&p, fde_end);
    }
    cfa_state s = {.row = {.kind = RULE_END}};
    if (!run(&s, &cie, cie.instructions, cie.end, UINT64_MAX)) {
        return unsupported;
    }
    s.initial = s.row;
    s.depth = 0;
    if (!run(&s, &cie, p, fde_end, pc - function)) {
        return unsupported;
    }
    return s.row;
}

/* The rules of the frame executing at `pc`, for a packed word. */
static rule rule_at(uintptr_t pc) {
    rule found = full_rule_at(pc);
    if (found.kind == RULE_STEP && !packable(&found)) {
        found.kind = RULE_UNSUPPORTED;
    }
    return found;
}

/* ---- the tables of rules, by address ------------------------------------- */

/* Rules are kept for this many addresses (1 MiB); past that a walk reads
 * the rules of an address not in the table again. */
#define RULE_SLOTS (1u << 16)
#define RULE_PROBES 16u
/* Tables made after libraries were unloaded; past this many, rules are
 * read again at every frame. */
#define RULE_TABLES 64u

/* An address, then its packed rules (0 while the entry is being written).
 * Readers take no lock: an entry's address is claimed with a compare and
 * swap, and its rules stored after. */
typedef struct {
    _Atomic uint64_t address;
    _Atomic uint64_t rules;
} rule_entry;

static rule_entry first_table[RULE_SLOTS];
/* The table in use. A library unloaded takes its addresses with it, and one
 * loaded there later has rules of its own: the table is then replaced by an
 * empty one, never cleared or unmapped under a walk still reading it. */
static _Atomic(rule_entry *) rule_table = first_table;
static atomic_bool table_used;
static atomic_uint tables_made;

void unwind_forget(void) {
    if (!atomic_exchange_explicit(&table_used, false, memory_order_acq_rel)) {
        return;
    }
    rule_entry *fresh = NULL;
    if (atomic_fetch_add_explicit(&tables_made, 1, memory_order_relaxed) < RULE_TABLES) {
        void *mapped = mmap(NULL, sizeof(rule_entry) * RULE_SLOTS, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        fresh = mapped == MAP_FAILED ? NULL : mapped;
    }
    atomic_store_explicit(&rule_table, fresh, memory_order_release);
}

static uint64_t rules_for(rule_entry *table, uintptr_t address) {
    size_t home = (size_t)(((uint64_t)address * UINT64_C(0x9E3779B97F4A7C15)) >> 48);
    for (unsigned probe = 0; table && probe < RULE_PROBES; probe++) {
        rule_entry *entry = &table[(home + probe) & (RULE_SLOTS - 1)];
        uint64_t seen = atomic_load_explicit(&entry->address, memory_order_acquire);
        if (seen == address) {
            uint64_t rules = atomic_load_explicit(&entry->rules, memory_order_acquire);
            if (rules != 0) {
                return rules;
            }
            break; /* another thread is writing them: read them here too */
        }
        if (seen == 0) {
            rule found = rule_at(address);
            uint64_t packed = pack(&found);
            uint64_t expected = 0;
            if (atomic_compare_exchange_strong_explicit(&entry->address, &expected, address,
                                                        memory_order_acq_rel, memory_order_acquire)) {
                atomic_store_explicit(&entry->rules, packed, memory_order_release);
                if (!atomic_load_explicit(&table_used, memory_order_relaxed)) {
                    atomic_store_explicit(&table_used, true, memory_order_relaxed);
                }
            }
            return packed;
        }
    }
    rule found = rule_at(address);
    return pack(&found);
}

__attribute__((noinline)) int unwind_stack(void **out, int max) {
    uintptr_t pc;
    uintptr_t sp;
    uintptr_t bp;
    __asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
                     : "=r"(pc), "=r"(sp), "=r"(bp));
    int count = 0;
    /* This frame's rules are at `pc` itself; a caller's at the call, the
     * byte before where it returns to. */
    uintptr_t look_up = pc;
    rule_entry *table = atomic_load_explicit(&rule_table, memory_order_acquire);
    while (count < max) {
        rule r = unpack(rules_for(table, look_up));
        if (r.kind == RULE_UNSUPPORTED) {
            return -1;
        }
        if (r.kind != RULE_STEP) {
            break;
        }
        uintptr_t cfa = (r.cfa_is_rbp ? bp : sp) + (uintptr_t)r.cfa_offset;
        /* The stack only grows down: a CFA at or below the stack pointer
         * means rules that do not describe this frame. */
        if (cfa <= sp) {
            return -1;
        }
        uintptr_t ra = *(const uintptr_t *)(cfa + (uintptr_t)r.ra_offset);
        if (r.rbp_saved) {
            bp = *(const uintptr_t *)(cfa + (uintptr_t)r.rbp_offset);
        }
        sp = cfa;
        if (ra == 0) {
            break;
        }
        out[count++] = (void *)ra;
        look_up = ra - 1;
    }
    return count;
}

/* Whether `pc` is in one of the ranges. */
static bool inside_one_of(uintptr_t pc, const unwind_range *ranges, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (pc - ranges[i].start < ranges[i].end - ranges[i].start) {
            return true;
        }
    }
    return false;
}

bool unwind_out_of(unwind_frame *frame, const unwind_range *ranges, size_t range_count, unsigned max_frames) {
    /* A return address's rules are those of the call before it; the first
     * frame's `pc` is one too (where getcontext returns to). */
    for (unsigned steps = 0; steps < max_frames; steps++) {
        if (!inside_one_of(frame->pc, ranges, range_count)) {
            return true;
        }
        rule r = full_rule_at(frame->pc - 1);
        if (r.kind != RULE_STEP || r.other_unfollowed) {
            return false;
        }
        uintptr_t cfa = (r.cfa_is_rbp ? frame->kept[UNWIND_KEPT_RBP] : frame->sp) + (uintptr_t)r.cfa_offset;
        if (cfa <= frame->sp) {
            return false;
        }
        uintptr_t ra = *(const uintptr_t *)(cfa + (uintptr_t)r.ra_offset);
        if (r.rbp_saved) {
            frame->kept[UNWIND_KEPT_RBP] = *(const uintptr_t *)(cfa + (uintptr_t)r.rbp_offset);
        }
        for (int other = 0; other < OTHER_KEPT; other++) {
            if (r.other_saved & (1u << other)) {
                size_t index = other == 0 ? 0 : (size_t)other + 1; /* rbx, then r12 on, past rbp */
                frame->kept[index] = *(const uintptr_t *)(cfa + (uintptr_t)r.other_offset[other]);
            }
        }
        frame->sp = cfa;
        frame->pc = ra;
        if (ra == 0) {
            return false;
        }
    }
    return false;
}

#else

bool unwind_out_of(unwind_frame *frame, const unwind_range *ranges, size_t range_count, unsigned max_frames) {
    (void)frame;
    (void)ranges;
    (void)range_count;
    (void)max_frames;
    return false;
}

int unwind_stack(void **out, int max) {
    (void)out;
    (void)max;
    return -1;
}

void unwind_forget(void) {}

#endif
