/*
 * rawpages.c - the registry of raw allocations: a hash of records by first frame, and a short
 * list of per-uid usage (there are few distinct uids, so a list is the right size).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "rawpages.h"
#include "reclaim/engine.h"

#define RAW_HASH_BITS	10
#define RAW_HASH_SIZE	(1u << RAW_HASH_BITS)

struct raw_alloc {
	struct raw_alloc *next;		/* hash chain */
	uint32_t pfn;			/* first frame, as rcl_alloc_pages returned it */
	unsigned int order;
	uid_t uid;			/* owner */
	uint64_t session_id;		/* connection that allocated it */
	bool persistent;		/* survives that connection */
};

struct uid_usage {
	struct uid_usage *next;
	uid_t uid;
	unsigned int count;		/* allocations charged */
	uint64_t bytes;			/* their bytes */
	uint64_t locked;		/* bytes reclaim cannot take: raw, mlocked regions */
	unsigned int mapped;		/* regions mapped (mapfd.c) */
};

struct rawpages {
	pthread_mutex_t lock;		/* protects everything below; a leaf lock */
	struct raw_alloc *hash[RAW_HASH_SIZE];
	struct uid_usage *usage;
};

static unsigned int pfn_hash(uint32_t pfn)
{
	return (pfn * 2654435761u) >> (32 - RAW_HASH_BITS);
}

int rawpages_new(struct rawpages **ret)
{
	struct rawpages *raw = calloc(1, sizeof(*raw));

	if (!raw)
		return -ENOMEM;
	pthread_mutex_init(&raw->lock, NULL);
	*ret = raw;
	return 0;
}

void rawpages_free(struct rawpages *raw)
{
	struct uid_usage *u;
	unsigned int i;

	if (!raw)
		return;
	for (i = 0; i < RAW_HASH_SIZE; i++) {
		while (raw->hash[i]) {
			struct raw_alloc *a = raw->hash[i];

			raw->hash[i] = a->next;
			free(a);
		}
	}
	while ((u = raw->usage)) {
		raw->usage = u->next;
		free(u);
	}
	pthread_mutex_destroy(&raw->lock);
	free(raw);
}

/* Caller holds raw->lock. CREATE: add a zeroed entry if there is none (NULL on ENOMEM). */
static struct uid_usage *__usage_find(struct rawpages *raw, uid_t uid, bool create)
{
	struct uid_usage *u;

	for (u = raw->usage; u; u = u->next)
		if (u->uid == uid)
			return u;
	if (!create)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (u) {
		u->uid = uid;
		u->next = raw->usage;
		raw->usage = u;
	}
	return u;
}

int rawpages_charge(struct rawpages *raw, uid_t uid, uint64_t bytes, unsigned int max_count,
		    uint64_t max_bytes)
{
	struct uid_usage *u;
	int ret = 0;

	pthread_mutex_lock(&raw->lock);
	u = __usage_find(raw, uid, true);
	if (!u)
		ret = -ENOMEM;
	else if ((max_count && u->count + 1 > max_count) ||
		 (max_bytes && u->bytes + bytes > max_bytes))
		ret = -EDQUOT;
	else {
		u->count++;
		u->bytes += bytes;
	}
	pthread_mutex_unlock(&raw->lock);
	return ret;
}

/* Caller holds raw->lock. */
static void __uncharge(struct rawpages *raw, uid_t uid, uint64_t bytes)
{
	struct uid_usage *u = __usage_find(raw, uid, false);

	if (u) {
		u->count--;
		u->bytes -= bytes;
	}
}

void rawpages_uncharge(struct rawpages *raw, uid_t uid, uint64_t bytes)
{
	pthread_mutex_lock(&raw->lock);
	__uncharge(raw, uid, bytes);
	pthread_mutex_unlock(&raw->lock);
}

int rawpages_charge_locked(struct rawpages *raw, uid_t uid, uint64_t bytes, uint64_t max_bytes,
			   uint64_t *ret_locked)
{
	struct uid_usage *u;
	int ret = 0;

	pthread_mutex_lock(&raw->lock);
	u = __usage_find(raw, uid, true);
	if (!u)
		ret = -ENOMEM;
	else if (max_bytes && (bytes > max_bytes || u->locked > max_bytes - bytes))
		ret = -EDQUOT;
	else
		u->locked += bytes;
	if (ret_locked)
		*ret_locked = u ? u->locked : 0;
	pthread_mutex_unlock(&raw->lock);
	return ret;
}

/* Caller holds raw->lock. */
static void __uncharge_locked(struct rawpages *raw, uid_t uid, uint64_t bytes)
{
	struct uid_usage *u = __usage_find(raw, uid, false);

	if (u)
		u->locked -= bytes;
}

void rawpages_uncharge_locked(struct rawpages *raw, uid_t uid, uint64_t bytes)
{
	if (!bytes)
		return;
	pthread_mutex_lock(&raw->lock);
	__uncharge_locked(raw, uid, bytes);
	pthread_mutex_unlock(&raw->lock);
}

int rawpages_charge_mapped(struct rawpages *raw, uid_t uid, unsigned int max,
			   unsigned int *ret_mapped)
{
	struct uid_usage *u;
	int ret = 0;

	pthread_mutex_lock(&raw->lock);
	u = __usage_find(raw, uid, true);
	if (!u)
		ret = -ENOMEM;
	else if (max && u->mapped >= max)
		ret = -EDQUOT;
	else
		u->mapped++;
	if (ret_mapped)
		*ret_mapped = u ? u->mapped : 0;
	pthread_mutex_unlock(&raw->lock);
	return ret;
}

void rawpages_uncharge_mapped(struct rawpages *raw, uid_t uid)
{
	struct uid_usage *u;

	pthread_mutex_lock(&raw->lock);
	u = __usage_find(raw, uid, false);
	if (u && u->mapped)
		u->mapped--;
	pthread_mutex_unlock(&raw->lock);
}

int rawpages_add(struct rawpages *raw, uint32_t pfn, unsigned int order, uid_t uid,
		 uint64_t session_id, bool persistent)
{
	struct raw_alloc *a = malloc(sizeof(*a));
	unsigned int h = pfn_hash(pfn);

	if (!a)
		return -ENOMEM;
	*a = (struct raw_alloc){ .pfn = pfn, .order = order, .uid = uid,
				 .session_id = session_id, .persistent = persistent };
	pthread_mutex_lock(&raw->lock);
	a->next = raw->hash[h];
	raw->hash[h] = a;
	pthread_mutex_unlock(&raw->lock);
	return 0;
}

int rawpages_take(struct rawpages *raw, uint32_t pfn, unsigned int order, uid_t uid,
		  bool admin, uid_t *ret_owner)
{
	struct raw_alloc **pp, *a;
	int ret = -ENOENT;

	pthread_mutex_lock(&raw->lock);
	for (pp = &raw->hash[pfn_hash(pfn)]; (a = *pp); pp = &a->next) {
		if (a->pfn != pfn)
			continue;
		*ret_owner = a->uid;
		if (a->order != order)
			ret = -EINVAL;
		else if (a->uid != uid && !admin)
			ret = -EPERM;
		else {
			*pp = a->next;
			free(a);
			ret = 0;
		}
		break;
	}
	pthread_mutex_unlock(&raw->lock);
	return ret;
}

unsigned int rawpages_release_session(struct rawpages *raw, struct rcl_engine *engine,
				      uint64_t session_id)
{
	struct raw_alloc *doomed = NULL, **pp, *a;
	unsigned int i, n = 0;

	pthread_mutex_lock(&raw->lock);
	for (i = 0; i < RAW_HASH_SIZE; i++) {
		for (pp = &raw->hash[i]; (a = *pp);) {
			if (a->session_id != session_id || a->persistent) {
				pp = &a->next;
				continue;
			}
			*pp = a->next;
			__uncharge(raw, a->uid, (uint64_t)RCL_PAGE_SIZE << a->order);
			__uncharge_locked(raw, a->uid, (uint64_t)RCL_PAGE_SIZE << a->order);
			a->next = doomed;
			doomed = a;
		}
	}
	pthread_mutex_unlock(&raw->lock);

	/* The engine is called outside our lock: it takes zone locks of its own. */
	while ((a = doomed)) {
		doomed = a->next;
		rcl_free_pages(engine, a->pfn, a->order);
		free(a);
		n++;
	}
	return n;
}

void rawpages_usage(struct rawpages *raw, uid_t uid, unsigned int *ret_count,
		    uint64_t *ret_bytes)
{
	struct uid_usage *u;

	pthread_mutex_lock(&raw->lock);
	u = __usage_find(raw, uid, false);
	*ret_count = u ? u->count : 0;
	*ret_bytes = u ? u->bytes : 0;
	pthread_mutex_unlock(&raw->lock);
}
