/*
 * accept-budget.c - at most ACCEPT_BUDGET connections a turn for the evconnlistener sockets
 * together (see accept-budget.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "accept-budget.h"

struct accept_budget {
	LIST_ENTRY(accept_budget) link;
	struct evconnlistener *listener;
	bool paused;			/* disabled by the budget, until the turn ends */
};

/*
 * The turn's count, for every listener at once: a uid that may make many memcgs has as many
 * pressure sockets to churn, and a budget per socket would let it take 16 a socket a turn.
 * Loop thread only, as the listeners are.
 */
static struct {
	LIST_HEAD(, accept_budget) all;
	struct event *resume;		/* activated by a turn's first accept: runs after the
					 * events that were ready, and ends the turn */
	unsigned int users;		/* budgets made on it: the last frees it */
	unsigned int turn, turn_max;
} turn;

/* The loop has turned: a new count, and the listeners the budget paused back. */
static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct accept_budget *b;

	(void)fd;
	(void)what;
	(void)arg;
	turn.turn = 0;
	LIST_FOREACH(b, &turn.all, link) {
		if (b->paused) {
			b->paused = false;
			evconnlistener_enable(b->listener);
		}
	}
}

struct accept_budget *accept_budget_new(struct event_base *base, struct evconnlistener *l)
{
	struct accept_budget *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	if (!turn.resume && !(turn.resume = event_new(base, -1, 0, on_resume, NULL))) {
		free(b);
		return NULL;
	}
	turn.users++;
	b->listener = l;
	LIST_INSERT_HEAD(&turn.all, b, link);
	return b;
}

void accept_budget_free(struct accept_budget *b)
{
	if (!b)
		return;
	LIST_REMOVE(b, link);
	free(b);
	if (--turn.users == 0) {
		event_free(turn.resume);
		turn.resume = NULL;
		turn.turn = 0;
	}
}

void accept_budget_charge(struct accept_budget *b)
{
	(void)b;
	if (turn.turn++ == 0)
		event_active(turn.resume, EV_TIMEOUT, 0);
	if (turn.turn > turn.turn_max)
		turn.turn_max = turn.turn;
	if (turn.turn < ACCEPT_BUDGET)
		return;
	/* Spent: every listener stops for this turn, those whose readiness is still queued
	 * too (disabling one takes its event off the loop's active list). */
	LIST_FOREACH(b, &turn.all, link) {
		if (!b->paused) {
			b->paused = true;
			evconnlistener_disable(b->listener);
		}
	}
}

unsigned int accept_budget_turn_max(void)
{
	return turn.turn_max;
}
