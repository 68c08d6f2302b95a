/*
 * output.c - the printing helpers every reclaimctl command goes through.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "reclaimctl.h"

/*
 * JSON goes out through json-c, which escapes strings and formats numbers. One document a
 * line: the streams (trace, pressure --watch, vmstat) print one per event or interval.
 * Slashes stay as they are, so memcg paths and sockets read as they were typed.
 */
void json_print(struct json_object *doc)
{
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
}

void json_print_error(const char *code, const char *message)
{
	struct json_object *doc = json_object_new_object();

	json_object_object_add(doc, "ok", json_object_new_boolean(0));
	json_object_object_add(doc, "code", json_object_new_string(code));
	json_object_object_add(doc, "message", json_object_new_string(message));
	json_print(doc);
}

void json_add_u64(struct json_object *obj, const char *key, uint64_t value)
{
	json_object_object_add(obj, key, json_object_new_uint64(value));
}

struct json_object *json_double_fmt(double value, const char *fmt)
{
	struct json_object *o;

	/* JSON has no number for NaN or infinity (json-c would print them bare). */
	if (!isfinite(value))
		return NULL;
	o = json_object_new_double(value);
	/* json-c's own double serializer, with FMT instead of its 17 digits. */
	if (o)
		json_object_set_serializer(o, json_object_double_to_json_string, (void *)fmt,
					   NULL);
	return o;
}

struct json_object *json_counters(const struct rclc_counter *counters, size_t n)
{
	struct json_object *obj = json_object_new_object();
	size_t i;

	for (i = 0; i < n; i++)
		json_add_u64(obj, counters[i].name, counters[i].value);
	return obj;
}

struct json_object *json_hex(const unsigned char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	struct json_object *str;
	char *hex = malloc(2 * len + 1);
	size_t i;

	if (!hex)
		return NULL;
	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[buf[i] >> 4];
		hex[2 * i + 1] = digits[buf[i] & 15];
	}
	str = json_object_new_string_len(hex, (int)(2 * len));
	free(hex);
	return str;
}

void ctl_print_ok(struct cmd_ctx *ctx, const char *message)
{
	struct json_object *doc;

	if (ctx->json) {
		doc = json_object_new_object();
		json_object_object_add(doc, "ok", json_object_new_boolean(1));
		json_print(doc);
	} else if (message) {
		printf("%s\n", message);
	}
}

int ctl_parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*ret = (uint64_t)v << shift;
	return 0;
}
