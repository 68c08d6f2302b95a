/*
 * fileown.h - who owns the files in the data directory, and who may open them.
 *
 * The daemon opens every file itself, so the file system's own checks see only the daemon's
 * credentials. The daemon applies open(2)'s rule instead, with the client's: owner, group
 * (primary or supplementary) and other permission bits; root and the admin group may do
 * anything. A private region needs read, a shared one read and write.
 *
 * A file created through reclaimd belongs to the client that created it, with the mode it
 * asked for. That is recorded in a table the daemon keeps in its state directory (not on the
 * files: an unprivileged daemon cannot chown), rewritten crash-safely (temporary file, fsync,
 * rename) on every change. An entry names the file's path and inode; it holds only while that
 * path still leads to that inode, so a file deleted and replaced by hand does not inherit it.
 * Any other file (put there by hand) belongs to its on-disk owner and group, with its on-disk
 * mode; files the daemon creates are 0600 on disk, so a hard link made by hand to one is the
 * daemon's alone.
 *
 * All functions are thread-safe (one mutex, a leaf lock).
 */
#ifndef RECLAIMD_FILEOWN_H
#define RECLAIMD_FILEOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FILE_MAY_WRITE		02u
#define FILE_MAY_READ		04u
#define FILE_MODE_DEFAULT	0600u
#define FILE_TABLE_NAME		"file-owners"	/* in the state directory */

/* The credentials a request is judged by: SO_PEERCRED and SO_PEERGROUPS of its connection. */
struct file_cred {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;		/* supplementary groups */
	size_t nr_groups;
	bool admin;			/* root or the admin group */
};

struct file_attr {
	uid_t uid;			/* owner */
	gid_t gid;			/* group */
	unsigned int mode;		/* permission bits (0777) */
	bool recorded;			/* created through reclaimd or chmod-ed through it */
};

/*
 * open(2)'s decision: may CRED have every access in MASK (FILE_MAY_READ | FILE_MAY_WRITE) on
 * a file of ATTR? The owner is judged by the owner bits alone, a member of the file's group
 * by the group bits alone, anyone else by the other bits; admins always may.
 */
bool file_permission(const struct file_attr *attr, const struct file_cred *cred,
		     unsigned int mask);

struct file_owners;

/* Open the data directory DATA_DIR and load STATE_DIR/file-owners. 0 or -errno. */
int file_owners_new(const char *state_dir, const char *data_dir, struct file_owners **ret);
void file_owners_free(struct file_owners *fo);

/*
 * The owner and mode of the file at PATH (relative to the data directory, already checked).
 * 0, or -ENOENT / -ENOTDIR (no such file), -EISDIR, -EINVAL (not a regular file), -EPERM (a
 * symlink leading out), another -errno.
 */
int file_owners_stat(struct file_owners *fo, const char *path, struct file_attr *ret);

/*
 * Get PATH ready for a region of CRED: an existing file must grant read (private) or read and
 * write (SHARED), else -EACCES with *ret filled for the message; a missing one is -ENOENT for
 * a private region, and for a shared one created (empty), owned by CRED's uid and gid with
 * MODE, and recorded before this returns (*ret_created set). Other errors as file_owners_stat.
 */
int file_owners_open(struct file_owners *fo, const char *path, const struct file_cred *cred,
		     bool shared, unsigned int mode, struct file_attr *ret, bool *ret_created);

/*
 * The same for buffered file I/O: CRED must have every access in MASK; a missing file is
 * -ENOENT, or with CREATE made as above.
 */
int file_owners_access(struct file_owners *fo, const char *path, const struct file_cred *cred,
		       unsigned int mask, bool create, unsigned int mode, struct file_attr *ret,
		       bool *ret_created);
/* file_owners_access of an existing file (no CREATE) for a thread that must not wait (the
 * event loop): -EAGAIN, having looked at nothing, while another thread holds the table, which
 * a creation, removal or chmod does across its write and fsync. */
int file_owners_try_access(struct file_owners *fo, const char *path,
			   const struct file_cred *cred, unsigned int mask, struct file_attr *ret);

/* unlink(2) PATH for CRED: its owner or an admin only (-EPERM, *ret filled); the entry goes
 * with it. Other errors as file_owners_stat. */
int file_owners_remove(struct file_owners *fo, const char *path, const struct file_cred *cred,
		       struct file_attr *ret);

/* Undo a creation by file_owners_open whose region then failed: remove the file and entry. */
void file_owners_uncreate(struct file_owners *fo, const char *path);

/*
 * Set the mode of PATH to MODE (<= 0777): its owner or an admin only (-EPERM otherwise, *ret
 * filled). A file put there by hand is recorded with its on-disk owner from now on.
 */
int file_owners_chmod(struct file_owners *fo, const char *path, const struct file_cred *cred,
		      unsigned int mode, struct file_attr *ret);

/*
 * Let the file at PATH grow to END bytes, charged to its owner: every file recorded in the
 * table is charged the furthest end the daemon let it reach (or its size when the table was
 * loaded), which the page cache may not have written yet, so the disk it will take is known
 * before it does. A recorded file removed while the daemon still holds it open (a region, a
 * handle of another connection, its cache) stays charged until the daemon's last descriptor
 * of it goes: its blocks stay taken until then. 0, or -EDQUOT when that takes the bytes of the
 * owner's files past LIMIT (0: none): *ret_owner and *ret_usage say whose and how many.
 * Without PRUNE, -EAGAIN instead where removed files are part of that: let go of what the
 * engine holds for no one (rcl_file_release_unused) and call again with PRUNE, which looks
 * at every descriptor of the daemon. A file the table does not record (put in the data
 * directory by hand) is charged to nobody. The charge is made before the write, which is then
 * one of the file's writers until it settles: every successful grow must be followed by
 * file_owners_settle with *RET_CHARGE (a no-op for a file charged to nobody).
 */
struct file_charge {
	uint64_t serial;	/* the entry's; 0: nothing to settle */
	uint64_t end;		/* the end the write was let grow the file to */
};
int file_owners_grow(struct file_owners *fo, const char *path, uint64_t end, uint64_t limit,
		     bool prune, uid_t *ret_owner, uint64_t *ret_usage, struct file_charge *ret_charge);

/*
 * A write charged by file_owners_grow has ended at REACHED, the file's size now with its cached
 * writes (less than CHARGE's end: it failed, or stopped short when its client went). When it
 * was the file's last writer in flight, the charge comes back down to the largest of the
 * charge before the first of them, what each of them reached, and the file's size on disk:
 * a write that stopped short never takes away what another still in flight counts on.
 */
void file_owners_settle(struct file_owners *fo, const char *path,
			const struct file_charge *charge, uint64_t reached);

#endif
