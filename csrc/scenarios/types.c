/*
 * types.c — sizes and alignments of C's types as this compiler lays them
 * out, for the type-mapping table. Nothing here is typed by hand but names.
 */
#include "ffiscope.h"

#include <stdalign.h>
#include <stdbool.h>
#include <wchar.h>

/* [step:c_type_table] */
#define ROW(type) {#type, sizeof(type), alignof(type)}

static const c_type_info TYPES[] = {
    ROW(char),     ROW(signed char), ROW(short),    ROW(int),      ROW(long),
    ROW(long long), ROW(float),      ROW(double),   ROW(long double), ROW(void *),
    ROW(unsigned char), ROW(unsigned short), ROW(unsigned int), ROW(unsigned long),
    ROW(unsigned long long),
    ROW(size_t),   ROW(bool),        ROW(int8_t),   ROW(int16_t),  ROW(int32_t),
    ROW(int64_t),  ROW(uint8_t),     ROW(uint16_t), ROW(uint32_t), ROW(uint64_t),
    ROW(intptr_t), ROW(uintptr_t),   ROW(wchar_t),
};

size_t c_type_table(const c_type_info **out) {
    *out = TYPES;
    return sizeof TYPES / sizeof TYPES[0];
}

/* Plain char is signed on x86, unsigned on ARM: the standard leaves it open. */
int c_char_is_signed(void) { return (char)-1 < 0; }
/* [/step] */
