/*
 * caller.c — whose code reached the allocator: the instruction before the
 * return address, decoded, and its operand evaluated with the registers
 * the allocator's entry saved (caller.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "caller.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "fault_guard.h"
#include "record_channel.h"

#if defined(__x86_64__)

/* The longest `call` through memory: a REX prefix, FF, ModRM, SIB, disp32. */
#define LONGEST_CALL 8u
#define NO_REGISTER (-1)
#define RIP_RELATIVE (-2)

/* The registers a callee must give back as it found them (System V
 * x86-64): rbx, rsp, rbp, r12 to r15. A call's operand read from these
 * alone is still what it was when the allocator begins, whatever the callee did. */
static bool kept_across_calls(int number) {
    return number == 3 || number == 4 || number == 5 || number >= 12;
}

/* An indirect near call (`FF /2`): `call *%reg` or `call *disp(base, index, scale)`. */
typedef struct {
    bool in_memory;
    int base;
    int index;
    unsigned scale;
    int64_t displacement;
} call_operand;

static int64_t read_displacement(const uint8_t *bytes, size_t size) {
    if (size == 1) {
        return (int8_t)bytes[0];
    }
    int32_t value;
    memcpy(&value, bytes, sizeof value);
    return value;
}

/* Decodes an indirect call that takes exactly code[start..end). */
static bool decode_indirect_call(const uint8_t *code, size_t start, size_t end, call_operand *out) {
    size_t at = start;
    uint8_t rex = 0;
    if ((code[at] & 0xF0) == 0x40) {
        rex = code[at++];
    }
    if (at + 2 > end || code[at] != 0xFF || ((code[at + 1] >> 3) & 7) != 2) {
        return false;
    }
    uint8_t modrm = code[at + 1];
    at += 2;
    unsigned mod = modrm >> 6;
    unsigned rm = modrm & 7;
    *out = (call_operand){.in_memory = mod != 3, .base = NO_REGISTER, .index = NO_REGISTER, .scale = 1};
    if (mod == 3) {
        out->base = (int)(rm | ((rex & 1u) << 3));
        return at == end;
    }
    size_t displacement = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    if (rm == 4) { /* a SIB byte follows */
        if (at >= end) {
            return false;
        }
        uint8_t sib = code[at++];
        unsigned base = sib & 7;
        unsigned index = ((sib >> 3) & 7) | ((rex & 2u) << 2);
        out->index = index == 4 ? NO_REGISTER : (int)index;
        out->scale = 1u << (sib >> 6);
        if (base == 5 && mod == 0) {
            displacement = 4; /* no base: disp32 alone */
        } else {
            out->base = (int)(base | ((rex & 1u) << 3));
        }
    } else if (rm == 5 && mod == 0) {
        out->base = RIP_RELATIVE;
        displacement = 4;
    } else {
        out->base = (int)(rm | ((rex & 1u) << 3));
    }
    if (at + displacement != end) {
        return false;
    }
    out->displacement = displacement ? read_displacement(code + at, displacement) : 0;
    return true;
}

/* Whether the operand reads only registers the callee gave back. */
static bool operand_is_kept(const call_operand *operand) {
    bool base_kept = operand->base < 0 || kept_across_calls(operand->base);
    bool index_kept = operand->index == NO_REGISTER || kept_across_calls(operand->index);
    return base_kept && index_kept;
}

typedef struct {
    const caller_frame *frame;
    uintptr_t entry;
    call_operand readings[LONGEST_CALL];
    size_t count;     /* readings of the bytes as an indirect call, longest first */
    const char *site; /* what caller_site answers */
} caller_question;

/* Where a call with this operand, ending at `end`, went, as the registers are now. */
static uintptr_t call_target(const call_operand *operand, const caller_frame *frame, uintptr_t end) {
    if (!operand->in_memory) {
        return (uintptr_t)frame->registers[operand->base];
    }
    uintptr_t address = (uintptr_t)operand->displacement;
    if (operand->base == RIP_RELATIVE) {
        address += end;
    } else if (operand->base != NO_REGISTER) {
        address += (uintptr_t)frame->registers[operand->base];
    }
    if (operand->index != NO_REGISTER) {
        address += (uintptr_t)frame->registers[operand->index] * operand->scale;
    }
    uintptr_t target;
    memcpy(&target, (const void *)address, sizeof target);
    return target;
}

/* Whether `target` is the allocator function at `entry` (this library's),
 * or a PLT entry that jumps through a slot holding it (`jmp *slot(%rip)`,
 * after an `endbr64` and a `bnd` prefix where the program was built so), as
 * a non-PIE program's pointer to free is. */
static bool goes_to(uintptr_t target, uintptr_t entry) {
    if (target == entry) {
        return true;
    }
    const uint8_t *stub = (const uint8_t *)target;
    static const uint8_t endbr64[4] = {0xF3, 0x0F, 0x1E, 0xFA};
    if (memcmp(stub, endbr64, sizeof endbr64) == 0) {
        stub += sizeof endbr64;
    }
    if (stub[0] == 0xF2) {
        stub++;
    }
    if (stub[0] != 0xFF || stub[1] != 0x25) {
        return false;
    }
    int32_t displacement;
    memcpy(&displacement, stub + 2, sizeof displacement);
    uintptr_t slot = (uintptr_t)(stub + 6) + (uintptr_t)(intptr_t)displacement;
    uintptr_t through;
    memcpy(&through, (const void *)slot, sizeof through);
    return through == entry;
}

#define TAGGED(address, tag) ((const char *)(uintptr_t)((uint64_t)(address) | (tag)))

/* caller_site's reading, under a fault guard: the memory an operand
 * names and a PLT entry are the program's, and a misread instruction could
 * name anything. */
static void answer(void *context) {
    caller_question *question = context;
    uintptr_t end = (uintptr_t)question->frame->return_address;
    for (size_t i = 0; i < question->count; i++) {
        /* Any reading of the bytes that went to the allocator: it was called, not jumped to. */
        if (goes_to(call_target(&question->readings[i], question->frame, end), question->entry)) {
            question->site = (const char *)end;
            return;
        }
    }
    const call_operand *longest = &question->readings[0];
    if (operand_is_kept(longest)) {
        uintptr_t callee = call_target(longest, question->frame, end);
        question->site = TAGGED(callee, FS_RECORD_TAIL_CALLED_TAG);
    } else {
        question->site = TAGGED(end, FS_RECORD_CALLEE_UNKNOWN_TAG);
    }
}

typedef struct {
    uintptr_t from;
    uint8_t *into;
} code_copy;

static void copy_code(void *context) {
    code_copy *copy = context;
    memcpy(copy->into, (const void *)copy->from, LONGEST_CALL);
}

#define SMALLEST_PAGE 4096u

const char *caller_site_read(const caller_frame *frame, uintptr_t entry) {
    uintptr_t end = (uintptr_t)frame->return_address;
    const char *return_address = (const char *)end;
    uint8_t code[LONGEST_CALL];
    code_copy copy = {.from = end - LONGEST_CALL, .into = code};
    /* The call's own bytes end at the return address, in a page that is
     * there; the bytes before them need a guard only in the page before. */
    if (copy.from / SMALLEST_PAGE == (end - 1) / SMALLEST_PAGE) {
        copy_code(&copy);
    } else if (!fault_guard_run(copy_code, &copy)) {
        return return_address;
    }
    /* A direct call, or one through a slot named by its own address (caller.h). */
    if (code[LONGEST_CALL - 5] == 0xE8 || (code[LONGEST_CALL - 6] == 0xFF && code[LONGEST_CALL - 5] == 0x15)) {
        return return_address;
    }
    caller_question question;
    question.frame = frame;
    question.entry = entry;
    question.count = 0;
    for (size_t start = 0; start + 2 <= LONGEST_CALL; start++) {
        if (decode_indirect_call(code, start, LONGEST_CALL, &question.readings[question.count])) {
            question.count++;
        }
    }
    if (question.count == 0 || question.readings[0].base == RIP_RELATIVE) {
        return return_address;
    }
    /* Where a reading faults: through a register the callee changed, the
     * call did not read that register as it is now, so it went elsewhere;
     * through one it kept, the memory is not what the call read, and the
     * return address is all there is. */
    question.site =
        operand_is_kept(&question.readings[0]) ? return_address : TAGGED(end, FS_RECORD_CALLEE_UNKNOWN_TAG);
    fault_guard_run(answer, &question);
    return question.site;
}

#else

const char *caller_site_read(const caller_frame *frame, uintptr_t entry) {
    (void)entry;
    return (const char *)(uintptr_t)frame->return_address;
}

#endif
