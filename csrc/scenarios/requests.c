/*
 * requests.c — a small request handler: read the body, parse the headers,
 * answer. One error path in ten forgets the body in the leaky variant.
 */

#include <stdio.h>
#include <string.h>

#include "lesson_alloc.h"

static char *read_body(int id) {
    char *body = malloc(64);
    if (body) {
        snprintf(body, 64, "body of request %d", id);
    }
    return body;
}

static char *parse_headers(int id) {
    char *headers = malloc(32);
    if (headers) {
        snprintf(headers, 32, "X-Request: %d", id);
    }
    return headers;
}

/* [step:handle_request] */
/* Returns the HTTP status. Request ids ending in 7 fail validation. */
int handle_request(int id, int leaky) {
    char *body = read_body(id);
    char *headers = parse_headers(id);
    if (!body || !headers) {
        free(body);
        free(headers);
        return 500;
    }
    if (id % 10 == 7) {
        free(headers);
        if (!leaky) {
            free(body); /* the line the leaky path lacks */
        }
        return 400;
    }
    int status = strlen(body) > 0 ? 200 : 204;
    free(headers);
    free(body);
    return status;
}
/* [/step] */
