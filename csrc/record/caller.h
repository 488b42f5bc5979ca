/*
 * caller.h — whose code reached the allocator (caller.c). A return address
 * names the function that called malloc or free, unless it was reached by
 * a tail call: `holder_release` calls a Rust `destroy` callback through a
 * pointer, and the callback ends in a jump to free (its Box's drop, in a
 * release build), so free returns straight into `holder_release`. The
 * registers the caller's indirect call read are still as it left them when
 * the allocator begins, and say which function it called.
 */
#ifndef FFISCOPE_RECORD_CALLER_H
#define FFISCOPE_RECORD_CALLER_H

#include <stdint.h>

/* What an allocator's entry saw: the sixteen general registers by their x86-64
 * numbers (rax 0, rcx 1, rdx 2, rbx 3, rsp 4 as it was before the call,
 * rbp 5, rsi 6, rdi 7, r8 to r15), and the return address. */
typedef struct caller_frame {
    uint64_t registers[16];
    uint64_t padding; /* keeps the stack 16-aligned for the C it calls */
    uint64_t return_address;
} caller_frame;

/* The site an allocator's event names (record_channel.h's tags), for a
 * call that is neither direct (`call rel32`) nor through a GOT slot
 * (`call *slot(%rip)`), whose targets ffiscope reads from the program's
 * code (the allocator's entries tell those from the bytes before the
 * return address, and go on without a frame): the return address when the
 * call went to `entry` (the allocator itself) or cannot be read; the
 * function it went to, tagged, when that function reached the allocator
 * by a tail call; the return address tagged as having an unknown callee
 * when the call read a register its callee may have changed. */
const char *caller_site_read(const caller_frame *frame, uintptr_t entry);

#endif
