/*
 * fileown.c - the file owner table and open(2)'s permission rule (see fileown.h).
 *
 * The table is small (one entry per file created through reclaimd) and changes rarely: an
 * array searched linearly, written out whole on every change. On disk it is text, one entry
 * a line, the path last so that it may hold spaces:
 *
 *	UID GID MODE(octal) INODE BIRTH PATH
 *
 * PATH is every byte after the one space that ends BIRTH, up to the newline, as it is: spaces
 * at either end belong to the name. A path with a control character (a newline would end the
 * line) is never recorded; req_path_check refuses those before any request gets here.
 *
 * BIRTH is the file's birth time (statx) as SEC.NSEC, or "-" where the file system has none:
 * an inode number alone may be reused by a file made after the entry's was deleted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileown.h"
#include "log.h"

#define TABLE_HEADER	"# reclaimd file owners: uid gid mode inode birth path\n"

/* Which file: inode number and, where the file system keeps one, birth time. */
struct file_id {
	ino_t ino;
	dev_t dev;
	long long birth_sec;		/* -1: unknown */
	unsigned int birth_nsec;
};

struct file_entry {
	uid_t uid;
	gid_t gid;
	unsigned int mode;
	struct file_id id;
	char *path;
	/* Bytes charged to the owner (file_owners_grow): the furthest end the daemon let the
	 * file reach, or its size when the table was loaded. Not in the table on disk. */
	uint64_t size;
	/* The writes charged and not yet settled, and what the charge may come back down to
	 * when the last of them is: the charge before the first, raised to what each one
	 * that ended reached (file_owners_settle). */
	unsigned int writers;
	uint64_t settle_floor;
	uint64_t serial;		/* this entry's, for a settle to find it */
};

/*
 * A file removed while the daemon still held it open (a region maps it, a handle of another
 * connection reads it, its cache was not let go yet): its blocks stay taken until the last
 * descriptor goes, so its owner stays charged for them until then (unlinked_prune).
 */
struct unlinked_charge {
	uid_t uid;
	dev_t dev;
	ino_t ino;
	uint64_t size;
};

struct file_owners {
	pthread_mutex_t lock;		/* protects everything below; a leaf lock */
	int data_fd;			/* the data directory (O_PATH) */
	char *table_path, *tmp_path;
	struct file_entry *entries;
	size_t nr, cap;
	struct unlinked_charge *unlinked;
	size_t nr_unlinked, cap_unlinked;
	size_t nr_unlinked_looked;	/* left by the last unlinked_prune */
	uint64_t next_serial;
};

static bool in_group(const struct file_cred *cred, gid_t gid)
{
	size_t i;

	if (cred->gid == gid)
		return true;
	for (i = 0; i < cred->nr_groups; i++)
		if (cred->groups[i] == gid)
			return true;
	return false;
}

bool file_permission(const struct file_attr *attr, const struct file_cred *cred,
		     unsigned int mask)
{
	unsigned int bits;

	if (cred->admin)
		return true;
	/* As the kernel's acl_permission_check: the first class that matches decides. */
	if (cred->uid == attr->uid)
		bits = attr->mode >> 6;
	else if (in_group(cred, attr->gid))
		bits = attr->mode >> 3;
	else
		bits = attr->mode;
	return (bits & mask & 07) == (mask & 07);
}

/* Open PATH beneath the data directory as the engine does (RESOLVE_BENEATH). */
static int open_beneath(struct file_owners *fo, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = flags & O_CREAT ? 0600 : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, fo->data_fd, path, &how, sizeof(how));

	if (fd < 0)
		return errno == EXDEV || errno == ELOOP ? -EPERM : -errno;
	return (int)fd;
}

static int stat_beneath(struct file_owners *fo, const char *path, struct stat *st,
			struct file_id *id)
{
	int fd = open_beneath(fo, path, O_PATH), err = 0;
	struct statx stx;

	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0)
		err = -errno;
	id->ino = st->st_ino;
	id->dev = st->st_dev;
	id->birth_sec = -1;
	id->birth_nsec = 0;
	if (!err && statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) == 0 &&
	    (stx.stx_mask & STATX_BTIME)) {
		id->birth_sec = stx.stx_btime.tv_sec;
		id->birth_nsec = stx.stx_btime.tv_nsec;
	}
	close(fd);
	if (!err && S_ISDIR(st->st_mode))
		err = -EISDIR;
	else if (!err && !S_ISREG(st->st_mode))
		err = -EINVAL;
	return err;
}

static bool same_file(const struct file_id *recorded, const struct file_id *now)
{
	if (recorded->ino != now->ino)
		return false;
	if (recorded->birth_sec < 0 || now->birth_sec < 0)
		return true;		/* no birth time to tell a reused inode by */
	return recorded->birth_sec == now->birth_sec && recorded->birth_nsec == now->birth_nsec;
}

/* The entry for the file ID reached by PATH: one for that file whose path still leads to it. */
static struct file_entry *entry_find(struct file_owners *fo, const char *path,
				     const struct file_id *id)
{
	struct file_id other;
	struct stat st;
	size_t i;

	for (i = 0; i < fo->nr; i++) {
		struct file_entry *e = &fo->entries[i];

		if (!same_file(&e->id, id))
			continue;
		if (strcmp(e->path, path) == 0)
			return e;
		/* Another name for it (a link made by hand) or an inode reused: look. */
		if (stat_beneath(fo, e->path, &st, &other) == 0 && other.ino == id->ino &&
		    other.dev == id->dev)
			return e;
	}
	return NULL;
}

static int stat_locked(struct file_owners *fo, const char *path, struct file_attr *ret,
		       struct stat *st, struct file_id *id)
{
	struct file_entry *e;
	int err = stat_beneath(fo, path, st, id);

	if (err)
		return err;
	e = entry_find(fo, path, id);
	if (e)
		*ret = (struct file_attr){ e->uid, e->gid, e->mode, true };
	else
		*ret = (struct file_attr){ st->st_uid, st->st_gid, st->st_mode & 0777, false };
	return 0;
}

int file_owners_stat(struct file_owners *fo, const char *path, struct file_attr *ret)
{
	struct file_id id;
	struct stat st;
	int err;

	pthread_mutex_lock(&fo->lock);
	err = stat_locked(fo, path, ret, &st, &id);
	pthread_mutex_unlock(&fo->lock);
	return err;
}

/* Write the table to a temporary file, fsync it, rename it over the table, fsync the dir. */
static int table_save(struct file_owners *fo)
{
	char *dir, *slash;
	FILE *f;
	size_t i;
	int fd, err = 0;

	fd = open(fo->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto fail;
	}
	fputs(TABLE_HEADER, f);
	for (i = 0; i < fo->nr; i++) {
		const struct file_entry *e = &fo->entries[i];

		fprintf(f, "%u %u %04o %ju ", (unsigned int)e->uid, (unsigned int)e->gid, e->mode,
			(uintmax_t)e->id.ino);
		if (e->id.birth_sec < 0)
			fputs("-", f);
		else
			fprintf(f, "%lld.%09u", e->id.birth_sec, e->id.birth_nsec);
		fprintf(f, " %s\n", e->path);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		err = -errno;
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (!err && rename(fo->tmp_path, fo->table_path) < 0)
		err = -errno;
	if (err)
		goto fail;
	/* The rename is durable once the directory is. */
	dir = strdup(fo->table_path);
	if (!dir)
		return 0;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) < 0)
			log_warning("cannot fsync %s: %m", dir);
		close(fd);
	}
	free(dir);
	return 0;
fail:
	unlink(fo->tmp_path);
	return err;
}

/* Whether a line of the table can hold PATH as it is (see the top of this file). */
static bool path_fits_table(const char *path)
{
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int entry_add(struct file_owners *fo, const struct file_entry *e)
{
	if (fo->nr == fo->cap) {
		size_t cap = fo->cap ? fo->cap * 2 : 16;
		struct file_entry *n = realloc(fo->entries, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fo->entries = n;
		fo->cap = cap;
	}
	fo->entries[fo->nr] = *e;
	fo->entries[fo->nr].serial = ++fo->next_serial;
	fo->entries[fo->nr].path = strdup(e->path);
	if (!fo->entries[fo->nr].path)
		return -ENOMEM;
	fo->nr++;
	return 0;
}

static void entry_remove(struct file_owners *fo, struct file_entry *e)
{
	free(e->path);
	*e = fo->entries[--fo->nr];
}

/* Forget every entry for PATH or for inode INO (a new file has a new inode: they are stale). */
static void entries_drop(struct file_owners *fo, const char *path, ino_t ino)
{
	size_t i = 0;

	while (i < fo->nr) {
		if (strcmp(fo->entries[i].path, path) == 0 || fo->entries[i].id.ino == ino)
			entry_remove(fo, &fo->entries[i]);
		else
			i++;
	}
}

/* What each loaded entry's file holds now: its charge (file_owners_grow). */
static void entries_size(struct file_owners *fo)
{
	struct file_id id;
	struct stat st;
	size_t i;

	for (i = 0; i < fo->nr; i++)
		if (stat_beneath(fo, fo->entries[i].path, &st, &id) == 0 &&
		    same_file(&fo->entries[i].id, &id))
			fo->entries[i].size = (uint64_t)st.st_size;
}

static int table_load(struct file_owners *fo)
{
	FILE *f = fopen(fo->table_path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int err = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (len = getline(&line, &cap, f)) > 0) {
		struct file_entry e = { 0 };
		unsigned int uid, gid;
		char birth[48];
		uintmax_t ino;
		int pos = 0;

		lineno++;
		if (line[0] == '#')
			continue;
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		/* One space ends BIRTH: any more are the path's own (a "%47s %n" ate them). */
		if (sscanf(line, "%u %u %o %ju %47s%n", &uid, &gid, &e.mode, &ino, birth,
			   &pos) != 5 || line[pos] != ' ' || !line[pos + 1] || e.mode > 0777 ||
		    (strcmp(birth, "-") != 0 &&
		     sscanf(birth, "%lld.%u", &e.id.birth_sec, &e.id.birth_nsec) != 2)) {
			/* Its file falls back to its on-disk owner and mode: access only narrows. */
			log_warning("%s:%zu: not an entry, ignoring it", fo->table_path, lineno);
			continue;
		}
		e.uid = uid;
		e.gid = gid;
		e.id.ino = (ino_t)ino;
		if (strcmp(birth, "-") == 0)
			e.id.birth_sec = -1;
		e.path = line + pos + 1;
		err = entry_add(fo, &e);
	}
	free(line);
	fclose(f);
	if (!err)
		entries_size(fo);
	return err;
}

int file_owners_new(const char *state_dir, const char *data_dir, struct file_owners **ret)
{
	struct file_owners *fo = calloc(1, sizeof(*fo));
	int err;

	if (!fo)
		return -ENOMEM;
	pthread_mutex_init(&fo->lock, NULL);
	fo->data_fd = open(data_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fo->data_fd < 0) {
		err = -errno;
		log_err("cannot open the data directory %s: %s", data_dir, strerror(-err));
		goto fail;
	}
	err = -ENOMEM;
	if (asprintf(&fo->table_path, "%s/" FILE_TABLE_NAME, state_dir) < 0) {
		fo->table_path = NULL;
		goto fail;
	}
	if (asprintf(&fo->tmp_path, "%s.tmp", fo->table_path) < 0) {
		fo->tmp_path = NULL;
		goto fail;
	}
	err = table_load(fo);
	if (err) {
		log_err("cannot read the file owner table %s: %s", fo->table_path, strerror(-err));
		goto fail;
	}
	*ret = fo;
	return 0;
fail:
	file_owners_free(fo);
	return err;
}

void file_owners_free(struct file_owners *fo)
{
	if (!fo)
		return;
	while (fo->nr)
		entry_remove(fo, &fo->entries[0]);
	free(fo->entries);
	free(fo->unlinked);
	if (fo->data_fd >= 0)
		close(fo->data_fd);
	free(fo->table_path);
	free(fo->tmp_path);
	pthread_mutex_destroy(&fo->lock);
	free(fo);
}

/* Create PATH for CRED with MODE and record it durably; the file goes again if that fails. */
static int create_locked(struct file_owners *fo, const char *path, const struct file_cred *cred,
			 unsigned int mode, struct file_attr *ret)
{
	struct file_entry e = { .uid = cred->uid, .gid = cred->gid, .mode = mode,
				.path = (char *)path };
	struct stat st;
	int fd, err;

	if (!path_fits_table(path))
		return -EINVAL;
	fd = open_beneath(fo, path, O_RDWR | O_CREAT | O_EXCL);
	if (fd < 0)
		return fd;
	close(fd);
	err = stat_beneath(fo, path, &st, &e.id);
	if (!err) {
		entries_drop(fo, path, st.st_ino);
		err = entry_add(fo, &e);
	}
	if (!err) {
		err = table_save(fo);
		if (err) {
			log_err("cannot write the file owner table %s: %s", fo->table_path,
				strerror(-err));
			entries_drop(fo, path, st.st_ino);
		}
	}
	if (err) {
		unlinkat(fo->data_fd, path, 0);
		return err;
	}
	*ret = (struct file_attr){ e.uid, e.gid, e.mode, true };
	return 0;
}

int file_owners_access(struct file_owners *fo, const char *path, const struct file_cred *cred,
		       unsigned int mask, bool create, unsigned int mode, struct file_attr *ret,
		       bool *ret_created)
{
	struct file_id id;
	struct stat st;
	int err;

	*ret_created = false;
	pthread_mutex_lock(&fo->lock);
	err = stat_locked(fo, path, ret, &st, &id);
	if (err == -ENOENT && create) {
		err = create_locked(fo, path, cred, mode, ret);
		*ret_created = err == 0;
	} else if (err == 0 && !file_permission(ret, cred, mask)) {
		err = -EACCES;
	}
	pthread_mutex_unlock(&fo->lock);
	return err;
}

int file_owners_try_access(struct file_owners *fo, const char *path,
			   const struct file_cred *cred, unsigned int mask, struct file_attr *ret)
{
	struct file_id id;
	struct stat st;
	int err;

	if (pthread_mutex_trylock(&fo->lock))
		return -EAGAIN;
	err = stat_locked(fo, path, ret, &st, &id);
	if (err == 0 && !file_permission(ret, cred, mask))
		err = -EACCES;
	pthread_mutex_unlock(&fo->lock);
	return err;
}

int file_owners_open(struct file_owners *fo, const char *path, const struct file_cred *cred,
		     bool shared, unsigned int mode, struct file_attr *ret, bool *ret_created)
{
	return file_owners_access(fo, path, cred, FILE_MAY_READ | (shared ? FILE_MAY_WRITE : 0),
				  shared, mode, ret, ret_created);
}

/* The entry for PATH, which was file ID and is unlinked now: entry_find, without a look at
 * PATH, which leads nowhere or elsewhere. */
static struct file_entry *entry_find_unlinked(struct file_owners *fo, const char *path,
					      const struct file_id *id)
{
	size_t i;

	for (i = 0; i < fo->nr; i++)
		if (same_file(&fo->entries[i].id, id) && strcmp(fo->entries[i].path, path) == 0)
			return &fo->entries[i];
	return NULL;
}

/* Keep charging E's owner for the file it was, ID, removed now: see struct unlinked_charge.
 * Without memory for it the charge goes, as it did before there was one. */
static void unlinked_prune(struct file_owners *fo);

static void unlinked_add(struct file_owners *fo, const struct file_entry *e,
			 const struct file_id *id)
{
	if (!e || !e->size)
		return;
	if (fo->nr_unlinked == fo->cap_unlinked) {
		size_t cap = fo->cap_unlinked ? fo->cap_unlinked * 2 : 8;
		struct unlinked_charge *n = realloc(fo->unlinked, cap * sizeof(*n));

		if (!n)
			return;
		fo->unlinked = n;
		fo->cap_unlinked = cap;
	}
	fo->unlinked[fo->nr_unlinked++] = (struct unlinked_charge){ e->uid, id->dev, id->ino,
								     e->size };
	/* Looked at when a limit is near, which a uid far below it (or an admin) never is: so
	 * also whenever the list has doubled since, that it stays as long as what is held. */
	if (fo->nr_unlinked >= 2 * fo->nr_unlinked_looked + 16)
		unlinked_prune(fo);
}

/*
 * Drop the charges of removed files the daemon holds open no more. It looks at each of its
 * own descriptors (fstat): the only way to see that the last one of a file went, wherever it
 * was held, and done only when such a charge stands between a client and the limit. A
 * descriptor of an unlinked file has st_nlink 0; the inode cannot be reused while it is held.
 */
static void unlinked_prune(struct file_owners *fo)
{
	bool *held = calloc(fo->nr_unlinked, sizeof(*held));
	size_t i, n = fo->nr_unlinked;
	struct dirent *de;
	struct stat st;
	DIR *dir;

	dir = held ? opendir("/proc/self/fd") : NULL;
	if (!dir) {
		log_warning("cannot look at /proc/self/fd: %m; removed files stay charged");
		free(held);
		return;
	}
	while ((de = readdir(dir))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(dir) || fstat(fd, &st) < 0 || st.st_nlink)
			continue;
		for (i = 0; i < n; i++)
			if (fo->unlinked[i].dev == st.st_dev && fo->unlinked[i].ino == st.st_ino)
				held[i] = true;
	}
	closedir(dir);
	for (i = n; i-- > 0;)
		if (!held[i])
			fo->unlinked[i] = fo->unlinked[--fo->nr_unlinked];
	fo->nr_unlinked_looked = fo->nr_unlinked;
	free(held);
}

/* What UID's files are charged: those recorded, and those removed and still held open. */
static uint64_t owner_usage(const struct file_owners *fo, uid_t uid, size_t *ret_nr_unlinked)
{
	uint64_t usage = 0;
	size_t i;

	*ret_nr_unlinked = 0;
	for (i = 0; i < fo->nr; i++)
		if (fo->entries[i].uid == uid)
			usage += fo->entries[i].size;
	for (i = 0; i < fo->nr_unlinked; i++) {
		if (fo->unlinked[i].uid == uid) {
			usage += fo->unlinked[i].size;
			(*ret_nr_unlinked)++;
		}
	}
	return usage;
}

int file_owners_remove(struct file_owners *fo, const char *path, const struct file_cred *cred,
		       struct file_attr *ret)
{
	struct file_id id;
	struct stat st;
	int err;

	pthread_mutex_lock(&fo->lock);
	err = stat_locked(fo, path, ret, &st, &id);
	if (err == 0 && !cred->admin && cred->uid != ret->uid)
		err = -EPERM;
	if (err == 0 && unlinkat(fo->data_fd, path, 0) < 0)
		err = -errno;
	if (err == 0) {
		unlinked_add(fo, entry_find_unlinked(fo, path, &id), &id);
		entries_drop(fo, path, st.st_ino);
		if (table_save(fo) < 0)
			log_warning("cannot write the file owner table %s", fo->table_path);
	}
	pthread_mutex_unlock(&fo->lock);
	return err;
}

void file_owners_uncreate(struct file_owners *fo, const char *path)
{
	struct file_id id;
	struct stat st;

	pthread_mutex_lock(&fo->lock);
	if (stat_beneath(fo, path, &st, &id) == 0) {
		entries_drop(fo, path, st.st_ino);
		if (unlinkat(fo->data_fd, path, 0) < 0)
			log_warning("cannot remove %s again: %m", path);
		if (table_save(fo) < 0)
			log_warning("cannot write the file owner table %s", fo->table_path);
	}
	pthread_mutex_unlock(&fo->lock);
}

int file_owners_chmod(struct file_owners *fo, const char *path, const struct file_cred *cred,
		      unsigned int mode, struct file_attr *ret)
{
	struct file_entry *e, n;
	struct file_id id;
	struct stat st;
	unsigned int old;
	int err;

	if (mode > 0777 || !path_fits_table(path))
		return -EINVAL;
	pthread_mutex_lock(&fo->lock);
	err = stat_locked(fo, path, ret, &st, &id);
	if (err)
		goto out;
	if (!cred->admin && cred->uid != ret->uid) {
		err = -EPERM;
		goto out;
	}
	e = entry_find(fo, path, &id);
	if (e) {
		old = e->mode;
		e->mode = mode;
		err = table_save(fo);
		if (err)
			e->mode = old;
	} else {
		n = (struct file_entry){ .uid = ret->uid, .gid = ret->gid, .mode = mode, .id = id,
					 .path = (char *)path, .size = (uint64_t)st.st_size };
		err = entry_add(fo, &n);
		if (!err) {
			err = table_save(fo);
			if (err)
				entries_drop(fo, path, st.st_ino);
		}
	}
	if (!err) {
		ret->mode = mode;
		ret->recorded = true;
	}
out:
	pthread_mutex_unlock(&fo->lock);
	return err;
}

int file_owners_grow(struct file_owners *fo, const char *path, uint64_t end, uint64_t limit,
		     bool prune, uid_t *ret_owner, uint64_t *ret_usage, struct file_charge *ret_charge)
{
	struct file_entry *e;
	struct file_id id;
	struct stat st;
	uint64_t usage;
	size_t nr_unlinked;
	int err;

	*ret_charge = (struct file_charge){ 0, end };
	pthread_mutex_lock(&fo->lock);
	err = stat_beneath(fo, path, &st, &id);
	e = err ? NULL : entry_find(fo, path, &id);
	if (!e)
		goto out;
	if (end > e->size) {
		usage = end - e->size + owner_usage(fo, e->uid, &nr_unlinked);
		if (limit && usage > limit && nr_unlinked && prune) {
			unlinked_prune(fo);
			usage = end - e->size + owner_usage(fo, e->uid, &nr_unlinked);
		}
		*ret_owner = e->uid;
		*ret_usage = usage;
		if (limit && usage > limit) {
			err = nr_unlinked && !prune ? -EAGAIN : -EDQUOT;
			goto out;
		}
	}
	/* A writer from now until its settle, whether or not it moved the charge: one that
	 * did not counts on another's, which must not be given back under it. */
	if (e->writers++ == 0)
		e->settle_floor = e->size;
	if (end > e->size)
		e->size = end;
	ret_charge->serial = e->serial;
out:
	pthread_mutex_unlock(&fo->lock);
	return err;
}

/* The entry numbered SERIAL, if it is still recorded (a file removed or replaced is not). */
static struct file_entry *entry_by_serial(struct file_owners *fo, uint64_t serial)
{
	size_t i;

	for (i = 0; i < fo->nr; i++)
		if (fo->entries[i].serial == serial)
			return &fo->entries[i];
	return NULL;
}

void file_owners_settle(struct file_owners *fo, const char *path,
			const struct file_charge *charge, uint64_t reached)
{
	struct file_entry *e;
	struct file_id id;
	struct stat st;
	uint64_t floor;

	if (!charge->serial)
		return;
	pthread_mutex_lock(&fo->lock);
	e = entry_by_serial(fo, charge->serial);
	if (e && e->writers) {
		floor = reached < charge->end ? reached : charge->end;
		if (floor > e->settle_floor)
			e->settle_floor = floor;
		/* The last writer out gives back what none of them reached, never below the
		 * file's size on disk: a look at the disk only then, not for every write. */
		if (--e->writers == 0 && e->settle_floor < e->size &&
		    stat_beneath(fo, path, &st, &id) == 0 && same_file(&e->id, &id)) {
			floor = e->settle_floor > (uint64_t)st.st_size ? e->settle_floor :
									 (uint64_t)st.st_size;
			if (floor < e->size)
				e->size = floor;
		}
	}
	pthread_mutex_unlock(&fo->lock);
}
