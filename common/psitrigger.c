/*
 * psitrigger.c - PSI trigger parsing and crossing (see psitrigger.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "psitrigger.h"

int psi_trigger_parse(const char *text, size_t len, struct psi_trigger *t,
		      const char **ret_why)
{
	char buf[PSI_TRIGGER_MAX + 1], kind[8], extra;
	unsigned long long stall, window;
	size_t n;

	for (n = 0; n < len && text[n] && text[n] != '\n'; n++)
		;
	if (n > PSI_TRIGGER_MAX) {
		*ret_why = "the trigger is too long";
		return -EINVAL;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (sscanf(buf, "%7s %llu %llu %c", kind, &stall, &window, &extra) != 3 ||
	    strspn(buf, "somefulSOMEFUL 0123456789") != n) {
		*ret_why = "want \"some|full STALL_USEC WINDOW_USEC\"";
		return -EINVAL;
	}
	if (strcmp(kind, "some") && strcmp(kind, "full")) {
		*ret_why = "the kind is neither \"some\" nor \"full\"";
		return -EINVAL;
	}
	if (window < PSI_WINDOW_MIN_USEC || window > PSI_WINDOW_MAX_USEC) {
		*ret_why = "the window is not within 500000..10000000 usec";
		return -EINVAL;
	}
	if (stall == 0 || stall > window) {
		*ret_why = "the stall is not within 1..WINDOW_USEC usec";
		return -EINVAL;
	}
	memset(t, 0, sizeof(*t));
	t->kind = strcmp(kind, "full") ? PSI_SOME : PSI_FULL;
	t->stall = stall;
	t->window = window;
	return 0;
}

void psi_trigger_arm(struct psi_trigger *t, uint64_t total)
{
	t->arm_total = total;
	t->last_event = 0;
}

void psi_history_add(struct psi_history *h, uint64_t when, const uint64_t total[2])
{
	struct psi_point *p = &h->points[h->head];

	p->when = when;
	p->total[PSI_SOME] = total[PSI_SOME];
	p->total[PSI_FULL] = total[PSI_FULL];
	h->head = (h->head + 1) % PSI_NR_HISTORY;
	if (h->nr < PSI_NR_HISTORY)
		h->nr++;
}

uint64_t psi_history_total(const struct psi_history *h, int kind)
{
	return h->nr ? h->points[(h->head + PSI_NR_HISTORY - 1) % PSI_NR_HISTORY].total[kind] : 0;
}

/* The stall total of @kind at the start of the window ending at @now: the newest point at
 * or before it, else the oldest kept. */
static uint64_t window_base(const struct psi_history *h, int kind, uint64_t now,
			    uint64_t window)
{
	unsigned int first = (h->head + PSI_NR_HISTORY - h->nr) % PSI_NR_HISTORY;
	uint64_t base = h->points[first].total[kind];
	unsigned int i;

	for (i = 0; i < h->nr; i++) {
		const struct psi_point *p = &h->points[(first + i) % PSI_NR_HISTORY];

		if (p->when + window > now)
			break;
		base = p->total[kind];
	}
	return base;
}

bool psi_trigger_check(struct psi_trigger *t, const struct psi_history *h, uint64_t now,
		       uint64_t *ret_growth)
{
	uint64_t base, total;

	if (!h->nr)
		return false;
	base = window_base(h, t->kind, now, t->window);
	if (base < t->arm_total)	/* growth counts from the trigger's creation */
		base = t->arm_total;
	total = psi_history_total(h, t->kind);
	if (total < base || total - base < t->stall)
		return false;
	if (t->last_event && now - t->last_event < t->window)
		return false;
	t->last_event = now;
	if (ret_growth)
		*ret_growth = total - base;
	return true;
}

const char *psi_kind_name(int kind)
{
	return kind == PSI_FULL ? "full" : "some";
}
