/*
 * utf8.h - protobuf strings are UTF-8 text: a request whose string fields are not is refused
 * before anything reads them (protobuf-c decodes them as bytes, unchecked). A name that is
 * not text would otherwise become a file, a memcg or a log line whose bytes come back in
 * answers and in reclaimctl's JSON, which other clients cannot decode.
 */
#ifndef RCLD_UTF8_H
#define RCLD_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

/* Whether NUL-terminated @s is well-formed UTF-8: no overlong forms, surrogates, or code
 * points past U+10FFFF (RFC 3629). */
bool utf8_valid(const char *s);

/* Likewise the @len bytes at @s, which need not end with a NUL (a string on the wire). */
bool utf8_valid_n(const char *s, size_t len);

/* The name of the first string field of @m, at any depth, that is not UTF-8; NULL if none. */
const char *message_bad_string(const ProtobufCMessage *m);

#endif
