/*
 * output.c - the printing helpers every reclaimctl command goes through.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "reclaimctl.h"

void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (ch < 0x20)
				fprintf(out, "\\u%04x", ch);
			else
				fputc(ch, out);
		}
	}
	fputc('"', out);
}

void json_counters(FILE *out, Reclaim__V1__Counter **counters, size_t n)
{
	size_t i;

	fputc('{', out);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		json_string(out, counters[i]->name);
		fprintf(out, ":%" PRIu64, counters[i]->value);
	}
	fputc('}', out);
}

void json_rclc_counters(FILE *out, const struct rclc_counter *counters, size_t n)
{
	size_t i;

	fputc('{', out);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		json_string(out, counters[i].name);
		fprintf(out, ":%" PRIu64, counters[i].value);
	}
	fputc('}', out);
}

void ctl_print_ok(struct cmd_ctx *ctx, const char *message)
{
	if (ctx->json)
		printf("{\"ok\":true}\n");
	else if (message)
		printf("%s\n", message);
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
