/*
 * caller.h — whose code reached free (caller.c). A return address names
 * the function that called free, unless free was reached by a tail call:
 * `holder_release` calls a Rust `destroy` callback through a pointer, and
 * the callback ends in a jump to free (its Box's drop, in a release
 * build), so free returns straight into `holder_release`. The registers the
 * caller's indirect call read are still as it left them when free begins,
 * and say which function it called.
 */
#ifndef FFISCOPE_RECORD_CALLER_H
#define FFISCOPE_RECORD_CALLER_H

#include <stdint.h>

/* What free's entry saw: the sixteen general registers by their x86-64
 * numbers (rax 0, rcx 1, rdx 2, rbx 3, rsp 4 as it was before the call,
 * rbp 5, rsi 6, rdi 7, r8 to r15), and the return address. */
typedef struct caller_frame {
    uint64_t registers[16];
    uint64_t padding; /* keeps the stack 16-aligned for the C it calls */
    uint64_t return_address;
} caller_frame;

/* caller_site's reading of a call that is not plainly a direct one. */
const char *caller_site_read(const caller_frame *frame, uintptr_t entry);

/* The site free's event names (record_channel.h's tags): the return
 * address when the call before it went to `entry` (free itself) or is not
 * an indirect one; the function it went to, tagged, when that function
 * reached free by a tail call; the return address tagged as having an
 * unknown callee when the call read a register its callee may have
 * changed. `entry` is this library's free.
 *
 * Most calls to free are direct (`call rel32`) or through a slot named by
 * its own address (`call *slot(%rip)`, a GOT entry), whose targets ffiscope
 * reads from the program's code: told here, in line, from the call's own
 * bytes (in the return address's page, so there to read). */
static inline const char *caller_site(const caller_frame *frame, uintptr_t entry) {
#if defined(__x86_64__)
    uintptr_t end = (uintptr_t)frame->return_address;
    if ((end - 6) / 4096u == (end - 1) / 4096u) {
        const uint8_t *code = (const uint8_t *)end;
        if (code[-5] == 0xE8 || (code[-6] == 0xFF && code[-5] == 0x15)) {
            return (const char *)end;
        }
    }
#endif
    return caller_site_read(frame, entry);
}

#endif
