/*
 * registry.c - region records in a hash by id; memcg owners in a small array (memcgs are few
 * and created rarely).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawpages.h"
#include "reclaim/memcg.h"
#include "reclaim/region.h"
#include "registry.h"

#define REGION_HASH_BITS	10
#define REGION_HASH_SIZE	(1u << REGION_HASH_BITS)

struct region_node {
	struct region_node *next;	/* hash chain */
	struct region_rec rec;
};

struct memcg_owner {
	uint32_t id;
	uid_t uid;
	char *path;
};

struct registry {
	pthread_mutex_t lock;		/* protects everything below; a leaf lock */
	struct region_node *hash[REGION_HASH_SIZE];
	struct memcg_owner *owners;
	size_t nr_owners, cap_owners;
	uint64_t next_serial;		/* of the next region record */
};

static unsigned int region_hash(uint32_t id)
{
	return (id * 2654435761u) >> (32 - REGION_HASH_BITS);
}

int registry_new(struct registry **ret)
{
	struct registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return -ENOMEM;
	pthread_mutex_init(&reg->lock, NULL);
	*ret = reg;
	return 0;
}

void registry_free(struct registry *reg)
{
	unsigned int i;

	if (!reg)
		return;
	for (i = 0; i < REGION_HASH_SIZE; i++) {
		while (reg->hash[i]) {
			struct region_node *n = reg->hash[i];

			reg->hash[i] = n->next;
			free(n);
		}
	}
	while (reg->nr_owners)
		free(reg->owners[--reg->nr_owners].path);
	free(reg->owners);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

int registry_region_add(struct registry *reg, const struct region_rec *rec)
{
	struct region_node *n = malloc(sizeof(*n));
	unsigned int h = region_hash(rec->id);

	if (!n)
		return -ENOMEM;
	n->rec = *rec;
	pthread_mutex_lock(&reg->lock);
	n->rec.serial = ++reg->next_serial;
	n->next = reg->hash[h];
	reg->hash[h] = n;
	pthread_mutex_unlock(&reg->lock);
	return 0;
}

/* Caller holds reg->lock. The link that points at region ID's node, or NULL. */
static struct region_node **__region_find(struct registry *reg, uint32_t id)
{
	struct region_node **pp;

	for (pp = &reg->hash[region_hash(id)]; *pp; pp = &(*pp)->next)
		if ((*pp)->rec.id == id)
			return pp;
	return NULL;
}

static int region_lookup(struct registry *reg, uint32_t id, uid_t uid, bool admin,
			 struct region_rec *ret, bool take)
{
	struct region_node **pp, *n;
	int err = 0;

	pthread_mutex_lock(&reg->lock);
	pp = __region_find(reg, id);
	if (!pp) {
		err = -ENOENT;
		goto out;
	}
	n = *pp;
	if (ret)
		*ret = n->rec;
	if (n->rec.uid != uid && !admin) {
		err = -EPERM;
		goto out;
	}
	if (take) {
		*pp = n->next;
		free(n);
	}
out:
	pthread_mutex_unlock(&reg->lock);
	return err;
}

int registry_region_get(struct registry *reg, uint32_t id, uid_t uid, bool admin,
			struct region_rec *ret)
{
	return region_lookup(reg, id, uid, admin, ret, false);
}

int registry_region_take(struct registry *reg, uint32_t id, uid_t uid, bool admin,
			 struct region_rec *ret)
{
	return region_lookup(reg, id, uid, admin, ret, true);
}

int registry_region_set_locked(struct registry *reg, const struct region_rec *rec,
			       uint64_t locked_bytes, uint64_t *ret_old)
{
	struct region_node **pp;
	int err = 0;

	pthread_mutex_lock(&reg->lock);
	pp = __region_find(reg, rec->id);
	if (pp && (*pp)->rec.serial == rec->serial) {
		*ret_old = (*pp)->rec.locked_bytes;
		(*pp)->rec.locked_bytes = locked_bytes;
	} else {
		err = -ENOENT;
	}
	pthread_mutex_unlock(&reg->lock);
	return err;
}

void registry_region_uncharge(struct rawpages *raw, const struct region_rec *rec)
{
	rawpages_uncharge(raw, rec->uid, rec->bytes);
	rawpages_uncharge_locked(raw, rec->uid, rec->locked_bytes);
}

unsigned int registry_release_session(struct registry *reg, struct rcl_engine *engine,
				      struct rawpages *raw, uint64_t session_id)
{
	struct region_node *doomed = NULL, **pp, *n;
	unsigned int i, nr = 0;

	pthread_mutex_lock(&reg->lock);
	for (i = 0; i < REGION_HASH_SIZE; i++) {
		for (pp = &reg->hash[i]; (n = *pp);) {
			if (n->rec.session_id != session_id || n->rec.persistent) {
				pp = &n->next;
				continue;
			}
			*pp = n->next;
			n->next = doomed;
			doomed = n;
		}
	}
	pthread_mutex_unlock(&reg->lock);

	/* The engine is called outside our lock. */
	while ((n = doomed)) {
		doomed = n->next;
		rcl_region_free(engine, n->rec.id);
		registry_region_uncharge(raw, &n->rec);
		free(n);
		nr++;
	}
	return nr;
}

int registry_memcg_add(struct registry *reg, uint32_t id, uid_t uid, const char *path,
		       unsigned int max_owned)
{
	char *copy = strdup(path);
	unsigned int owned = 0;
	size_t i;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&reg->lock);
	for (i = 0; i < reg->nr_owners; i++) {
		if (reg->owners[i].id == id) {
			reg->owners[i].uid = uid;
			free(reg->owners[i].path);
			reg->owners[i].path = copy;
			goto out;
		}
		owned += reg->owners[i].uid == uid;
	}
	if (max_owned && owned >= max_owned) {
		free(copy);
		err = -EDQUOT;
		goto out;
	}
	if (reg->nr_owners == reg->cap_owners) {
		size_t cap = reg->cap_owners ? reg->cap_owners * 2 : 16;
		struct memcg_owner *o = realloc(reg->owners, cap * sizeof(*o));

		if (!o) {
			free(copy);
			err = -ENOMEM;
			goto out;
		}
		reg->owners = o;
		reg->cap_owners = cap;
	}
	reg->owners[reg->nr_owners++] = (struct memcg_owner){ .id = id, .uid = uid,
							      .path = copy };
out:
	pthread_mutex_unlock(&reg->lock);
	return err;
}

void registry_memcg_remove(struct registry *reg, uint32_t id)
{
	size_t i;

	pthread_mutex_lock(&reg->lock);
	for (i = 0; i < reg->nr_owners; i++) {
		if (reg->owners[i].id == id) {
			free(reg->owners[i].path);
			reg->owners[i] = reg->owners[--reg->nr_owners];
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
}

uid_t registry_memcg_owner(struct registry *reg, uint32_t id)
{
	uid_t uid = 0;
	size_t i;

	pthread_mutex_lock(&reg->lock);
	for (i = 0; i < reg->nr_owners; i++) {
		if (reg->owners[i].id == id) {
			uid = reg->owners[i].uid;
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	return uid;
}

/* Caller holds reg->lock. Is PATH the group at OWNED or below it? */
static bool path_within(const char *path, const char *owned)
{
	size_t n = strlen(owned);

	return !strncmp(path, owned, n) && (path[n] == '\0' || path[n] == '/');
}

bool registry_memcg_visible(struct registry *reg, uint32_t id, uid_t uid)
{
	const char *path = NULL;
	bool visible = false;
	size_t i;

	if (id == RCL_MEMCG_ROOT)
		return true;
	pthread_mutex_lock(&reg->lock);
	for (i = 0; i < reg->nr_owners && !path; i++)
		if (reg->owners[i].id == id)
			path = reg->owners[i].path;
	for (i = 0; path && i < reg->nr_owners && !visible; i++)
		visible = reg->owners[i].uid == uid && path_within(path, reg->owners[i].path);
	pthread_mutex_unlock(&reg->lock);
	return visible;
}

void registry_memcg_path(struct registry *reg, uint32_t id, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "%s", id == RCL_MEMCG_ROOT ? "/" : "?");
	pthread_mutex_lock(&reg->lock);
	for (i = 0; i < reg->nr_owners; i++) {
		if (reg->owners[i].id == id) {
			snprintf(buf, len, "%s", reg->owners[i].path);
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
}
