/*
 * accept-budget.h - at most ACCEPT_BUDGET connections accepted by the evconnlistener sockets,
 * all of them together, in one turn of the loop, as NAPI's budget keeps busy devices from
 * holding the softirq (the API socket has a budget of its own, server.c).
 *
 * libevent's evconnlistener accepts until the kernel's queue is empty. A client that connects
 * and hangs up in a tight loop keeps that queue full, and the loop never got back to the
 * sessions that were ready: before accept nobody's uid is known, so the bound is per turn.
 * The API socket has its own accept loop (server.c, on_listen_ready); the listeners built on
 * evconnlistener (the pressure sockets, the metrics endpoint) charge each connection they are
 * given here. At the budget every listener is disabled, which ends libevent's accept loop and
 * takes the others' readiness off the loop for this turn, and each is enabled again once the
 * loop has run the events that were ready meanwhile. Loop thread only.
 */
#ifndef RECLAIMD_ACCEPT_BUDGET_H
#define RECLAIMD_ACCEPT_BUDGET_H

/* Connections accepted in one turn, at most: each costs the loop some 10 us (accept, the
 * peer's credentials, a session or a refusal), so a turn's accepts keep the ready sessions
 * waiting a fraction of a millisecond, and a burst of clients is still taken in a few turns. */
#define ACCEPT_BUDGET		16

struct event_base;
struct evconnlistener;
struct accept_budget;

/* @l's share of the budget; NULL without memory. Freed before @l (NULL does nothing). */
struct accept_budget *accept_budget_new(struct event_base *base, struct evconnlistener *l);
void accept_budget_free(struct accept_budget *b);

/*
 * One connection accepted from @b's listener, in its callback: at the turn's budget every
 * listener pauses until the loop has turned, and is enabled again then. A listener resting
 * meanwhile (disabled by its owner after an accept failed: fd_rest, http-admit) may so come
 * back a turn early; its next failed accept rests it again.
 */
void accept_budget_charge(struct accept_budget *b);

/* The most connections these listeners accepted together in one turn so far. */
unsigned int accept_budget_turn_max(void);

#endif
