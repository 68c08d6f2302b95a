/*
 * utf8.c - UTF-8 checks of decoded requests (see utf8.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

#define MAX_DEPTH	16	/* requests nest three deep; a bound for the walk all the same */

bool utf8_valid_n(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned int c = *p, n, i;
		uint32_t cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;	/* a continuation byte, 0xc0/0xc1 (overlong), or past 0xf4 */
		if ((size_t)(end - p) <= n)
			return false;	/* a sequence cut short */
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

bool utf8_valid(const char *s)
{
	return utf8_valid_n(s, strlen(s));
}

static const char *bad_string(const ProtobufCMessage *m, int depth);

/* Field @f's one value at @elem: a string or a submessage; the name of a bad string. */
static const char *bad_value(const ProtobufCFieldDescriptor *f, const void *elem, int depth)
{
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *s = *(char *const *)elem;

		return s && !utf8_valid(s) ? f->name : NULL;
	}
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)elem;

		return sub ? bad_string(sub, depth + 1) : NULL;
	}
	return NULL;
}

static const char *bad_string(const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m, *bad;
	unsigned int i;
	size_t k, n;

	if (depth > MAX_DEPTH)
		return NULL;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *member = base + f->offset;

		if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;	/* another member of the oneof is set */
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			if ((bad = bad_value(f, member, depth)))
				return bad;
			continue;
		}
		n = *(const size_t *)(base + f->quantifier_offset);
		for (k = 0; k < n; k++)
			if ((bad = bad_value(f, *(char *const *)member + k * sizeof(void *), depth)))
				return bad;
	}
	return NULL;
}

const char *message_bad_string(const ProtobufCMessage *m)
{
	return bad_string(m, 0);
}
