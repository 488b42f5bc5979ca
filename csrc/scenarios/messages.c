/*
 * messages.c — the C half of the c-string-ownership lesson: C returns a
 * malloc'ed string and the caller owns it until it hands it back.
 */

#include <string.h>

#include "lesson_alloc.h"

static const char MESSAGE[] = "Hello from C world!";

/* [step:create_message] */
/* The caller owns the result and must release it with free_message. */
char *create_message(void) {
    char *message = malloc(sizeof MESSAGE);
    if (message) {
        memcpy(message, MESSAGE, sizeof MESSAGE);
    }
    return message;
}
/* [/step] */

/* [step:free_message] */
void free_message(char *message) { free(message); }
/* [/step] */
