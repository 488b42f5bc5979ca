/*
 * requests.c — a small request handler: read the body, parse the headers,
 * answer. One error path in ten forgets the body in the leaky variant.
 */
#include "ffiscope.h"

#include <stdio.h>
#include <string.h>

static char *read_body(int id) {
    char *body = fs_malloc(64, "read_body");
    if (body) {
        snprintf(body, 64, "body of request %d", id);
    }
    return body;
}

static char *parse_headers(int id) {
    char *headers = fs_malloc(32, "parse_headers");
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
        fs_free(body, "handle_request");
        fs_free(headers, "handle_request");
        return 500;
    }
    if (id % 10 == 7) {
        fs_free(headers, "handle_request");
        if (!leaky) {
            fs_free(body, "handle_request"); /* the line the leaky path lacks */
        }
        return 400;
    }
    int status = strlen(body) > 0 ? 200 : 204;
    fs_free(headers, "handle_request");
    fs_free(body, "handle_request");
    return status;
}
/* [/step] */
