/*
 * tracker_poison.c — finding a write into a freed block: the scan of a
 * quarantined block's poison when it leaves the quarantine.
 *
 * A large block's scan is most of what its free costs (a 4 KiB block is
 * read from a far cache level, a millisecond of frees after it was
 * poisoned), so it uses the widest compares the CPU has: 32 bytes with
 * AVX2, found once at run time, else 16 with SSE2, else 8. Every width
 * finds the same byte: a wide step only says whether its stretch is clean,
 * and the first dirty byte is then found by the narrower steps.
 */
#include "tracker_shard.h"

#include <pthread.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define POISON_SCAN_AVX2 1
#include <cpuid.h>
#include <immintrin.h>

static bool avx2_usable;
static pthread_once_t avx2_once = PTHREAD_ONCE_INIT;

/* AVX2 needs the CPU's instructions and the system's saving of the 256-bit
 * registers (XCR0's SSE and AVX state bits). */
static void find_avx2(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE) || !(ecx & bit_AVX)) {
        return;
    }
    unsigned xcr0_low, xcr0_high;
    __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 0x6) != 0x6) {
        return;
    }
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ebx & bit_AVX2)) {
        avx2_usable = true;
    }
}

/* How many leading bytes are clean, in whole steps of 128. */
__attribute__((target("avx2"))) static size_t clean_prefix_avx2(const unsigned char *bytes, size_t size) {
    const __m256i poison = _mm256_set1_epi8((char)POISON_BYTE);
    size_t i = 0;
    for (; i + 128 <= size; i += 128) {
        __m256i a = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(bytes + i)), poison);
        __m256i b = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(bytes + i + 32)), poison);
        __m256i c = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(bytes + i + 64)), poison);
        __m256i d = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(bytes + i + 96)), poison);
        __m256i any = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
        if (!_mm256_testz_si256(any, any)) {
            break;
        }
    }
    return i;
}
#endif

void tracker_poison_init(void) {
#ifdef POISON_SCAN_AVX2
    pthread_once(&avx2_once, find_avx2);
#endif
}

size_t tracker_poison_scan(uintptr_t user, size_t size) {
    const unsigned char *bytes = (const unsigned char *)user;
    size_t i = 0;
#ifdef POISON_SCAN_AVX2
    /* Set before any tracker exists (tracker_poison_init), never after. */
    if (avx2_usable && size >= 128) {
        i = clean_prefix_avx2(bytes, size);
    }
#endif
#if defined(__SSE2__)
    /* Sixteen bytes a compare, four compares a step (blocks are 16-aligned). */
    const __m128i poison = _mm_set1_epi8((char)POISON_BYTE);
    for (; i + 64 <= size; i += 64) {
        __m128i a = _mm_xor_si128(_mm_load_si128((const __m128i *)(bytes + i)), poison);
        __m128i b = _mm_xor_si128(_mm_load_si128((const __m128i *)(bytes + i + 16)), poison);
        __m128i c = _mm_xor_si128(_mm_load_si128((const __m128i *)(bytes + i + 32)), poison);
        __m128i d = _mm_xor_si128(_mm_load_si128((const __m128i *)(bytes + i + 48)), poison);
        __m128i any = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(any, _mm_setzero_si128())) != 0xFFFF) {
            break;
        }
    }
#endif
    for (; i + sizeof(uint64_t) <= size; i += sizeof(uint64_t)) {
        uint64_t word;
        memcpy(&word, bytes + i, sizeof word);
        if (word != POISON_WORD) {
            break;
        }
    }
    for (; i < size; i++) {
        if (bytes[i] != POISON_BYTE) {
            return i;
        }
    }
    return SIZE_MAX;
}
