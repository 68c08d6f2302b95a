/*
 * check_fileown - who may open a data directory file: open(2)'s owner/group/other decision
 * with supplementary groups, root and the admin group; and the owner table, which records
 * files created through reclaimd, survives a restart and forgets files replaced by hand.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check-main.h"
#include "fileown.h"

#define R	FILE_MAY_READ
#define RW	(FILE_MAY_READ | FILE_MAY_WRITE)

static const gid_t supp[] = { 20, 30 };

static bool may(unsigned int mode, uid_t uid, gid_t gid, const gid_t *groups, size_t nr,
		bool admin, unsigned int mask)
{
	struct file_attr attr = { .uid = 1000, .gid = 30, .mode = mode };
	struct file_cred cred = { uid, gid, groups, nr, admin };

	return file_permission(&attr, &cred, mask);
}

START_TEST(test_owner_bits)
{
	ck_assert(may(0600, 1000, 1000, NULL, 0, false, RW));
	ck_assert(may(0400, 1000, 1000, NULL, 0, false, R));
	ck_assert(!may(0400, 1000, 1000, NULL, 0, false, RW));	/* read, not write */
	ck_assert(!may(0200, 1000, 1000, NULL, 0, false, R));
	/* The owner is judged by the owner bits alone, even if others get more. */
	ck_assert(!may(0066, 1000, 30, supp, 2, false, R));
	ck_assert(!may(0000, 1000, 1000, NULL, 0, false, R));
}
END_TEST

START_TEST(test_group_bits)
{
	/* Primary group. */
	ck_assert(may(0640, 2000, 30, NULL, 0, false, R));
	ck_assert(!may(0640, 2000, 30, NULL, 0, false, RW));
	ck_assert(may(0660, 2000, 30, NULL, 0, false, RW));
	/* A supplementary group counts like the primary one... */
	ck_assert(may(0640, 2000, 2000, supp, 2, false, R));
	ck_assert(may(0660, 2000, 2000, supp, 2, false, RW));
	/* ...and without it the other bits decide. */
	ck_assert(!may(0640, 2000, 2000, supp, 1, false, R));
	/* A member of the group is judged by the group bits alone. */
	ck_assert(!may(0606, 2000, 30, NULL, 0, false, R));
}
END_TEST

START_TEST(test_other_bits)
{
	ck_assert(!may(0600, 2000, 2000, NULL, 0, false, R));
	ck_assert(!may(0660, 2000, 2000, NULL, 0, false, R));
	ck_assert(may(0644, 2000, 2000, NULL, 0, false, R));
	ck_assert(!may(0644, 2000, 2000, NULL, 0, false, RW));
	ck_assert(may(0666, 2000, 2000, NULL, 0, false, RW));
	ck_assert(!may(0662, 2000, 2000, NULL, 0, false, RW));	/* write without read */
}
END_TEST

START_TEST(test_root_and_admin_group)
{
	/* The caller works out admin (uid 0, or the admin group) once per connection. */
	ck_assert(may(0000, 0, 0, NULL, 0, true, RW));
	ck_assert(may(0000, 2000, 2000, NULL, 0, true, RW));
	ck_assert(!may(0000, 2000, 2000, NULL, 0, false, R));
}
END_TEST

struct dirs {
	char top[64], state[96], data[96];
};

static void dirs_make(struct dirs *d)
{
	strcpy(d->top, "/tmp/check_fileown.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->top));
	snprintf(d->state, sizeof(d->state), "%s/state", d->top);
	snprintf(d->data, sizeof(d->data), "%s/data", d->top);
	ck_assert_int_eq(mkdir(d->state, 0700), 0);
	ck_assert_int_eq(mkdir(d->data, 0700), 0);
}

static void dirs_remove(struct dirs *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->top);
	ck_assert_int_eq(system(cmd), 0);
}

static void put_file(struct dirs *d, const char *name, mode_t mode, uid_t uid)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", d->data, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	if (getuid() == 0)
		ck_assert_int_eq(fchown(fd, uid, uid), 0);
	close(fd);
}

START_TEST(test_table_records_survives_and_forgets)
{
	struct file_cred alice = { 1000, 1000, NULL, 0, false };
	struct file_cred bob = { 2000, 2000, NULL, 0, false };
	struct file_owners *fo;
	struct file_attr attr;
	struct dirs d;
	char path[160];
	bool created;

	dirs_make(&d);
	ck_assert_int_eq(file_owners_new(d.state, d.data, &fo), 0);
	/* A private region never creates; a shared one does, for its client. */
	ck_assert_int_eq(file_owners_open(fo, "a", &alice, false, 0600, &attr, &created), -ENOENT);
	ck_assert_int_eq(file_owners_open(fo, "a", &alice, true, 0640, &attr, &created), 0);
	ck_assert(created && attr.recorded);
	ck_assert_int_eq(attr.uid, 1000);
	ck_assert_int_eq(attr.mode, 0640);
	ck_assert_int_eq(file_owners_open(fo, "a", &bob, false, 0600, &attr, &created), -EACCES);
	ck_assert_int_eq(file_owners_chmod(fo, "a", &bob, 0644, &attr), -EPERM);
	ck_assert_int_eq(file_owners_chmod(fo, "a", &alice, 0644, &attr), 0);
	file_owners_free(fo);

	/* After a restart the table still says so. */
	ck_assert_int_eq(file_owners_new(d.state, d.data, &fo), 0);
	ck_assert_int_eq(file_owners_open(fo, "a", &bob, false, 0600, &attr, &created), 0);
	ck_assert(!created);
	ck_assert_int_eq(file_owners_open(fo, "a", &bob, true, 0600, &attr, &created), -EACCES);
	ck_assert_int_eq(file_owners_open(fo, "a", &alice, true, 0600, &attr, &created), 0);

	/* Replaced by hand: the entry no longer applies, the on-disk owner and mode do. */
	snprintf(path, sizeof(path), "%s/a", d.data);
	ck_assert_int_eq(unlink(path), 0);
	put_file(&d, "keep-inode-busy", 0600, 0);	/* the old inode is not reused at once */
	put_file(&d, "a", 0600, 0);
	ck_assert_int_eq(file_owners_stat(fo, "a", &attr), 0);
	ck_assert(!attr.recorded);
	ck_assert_int_eq(attr.mode, 0600);
	ck_assert_int_eq(file_owners_open(fo, "a", &alice, false, 0600, &attr, &created),
			 getuid() == 1000 ? 0 : -EACCES);
	file_owners_free(fo);
	dirs_remove(&d);
}
END_TEST

/* A table in new directories D, with files a and b made by CRED. */
static struct file_owners *owners_with_a_and_b(struct dirs *d, const struct file_cred *cred)
{
	struct file_owners *fo;
	struct file_attr attr;
	bool created;

	dirs_make(d);
	ck_assert_int_eq(file_owners_new(d->state, d->data, &fo), 0);
	ck_assert_int_eq(file_owners_open(fo, "a", cred, true, 0600, &attr, &created), 0);
	ck_assert_int_eq(file_owners_open(fo, "b", cred, true, 0600, &attr, &created), 0);
	return fo;
}

/*
 * file_owners_grow: a file is charged to its owner as far as it was let grow, the owner's
 * files together held to the limit; after a restart each is charged its size on disk. A file
 * the table does not record is charged to nobody.
 */
START_TEST(test_grow_charges_the_owner)
{
	struct file_cred alice = { 1000, 1000, NULL, 0, false };
	struct file_owners *fo;
	struct file_charge ch;
	uint64_t usage = 0;
	uid_t owner = 0;
	struct dirs d;
	char path[160];

	fo = owners_with_a_and_b(&d, &alice);
	ck_assert_int_eq(file_owners_grow(fo, "a", 6000, 10000, true, &owner, &usage, &ch), 0);
	ck_assert_uint_eq(ch.end, 6000);
	ck_assert_uint_eq(owner, 1000);
	ck_assert_uint_eq(usage, 6000);
	/* inside */
	ck_assert_int_eq(file_owners_grow(fo, "a", 4000, 10000, true, &owner, &usage, &ch), 0);
	ck_assert_int_eq(file_owners_grow(fo, "b", 5000, 10000, true, &owner, &usage, &ch),
			 -EDQUOT);
	ck_assert_uint_eq(usage, 11000);
	ck_assert_int_eq(file_owners_grow(fo, "b", 4000, 10000, true, &owner, &usage, &ch), 0);
	ck_assert_uint_eq(usage, 10000);
	ck_assert_int_eq(file_owners_grow(fo, "b", 4001, 10000, true, &owner, &usage, &ch),
			 -EDQUOT);
	/* no limit */
	ck_assert_int_eq(file_owners_grow(fo, "b", 9000, 0, true, &owner, &usage, &ch), 0);
	put_file(&d, "hand", 0600, 0);
	usage = 0;
	ck_assert_int_eq(file_owners_grow(fo, "hand", 1 << 30, 1, true, &owner, &usage, &ch), 0);
	ck_assert_uint_eq(usage, 0);				/* charged to nobody */
	file_owners_free(fo);

	/* On disk a is 100 bytes and b 0: after a restart, that is what they are charged. */
	snprintf(path, sizeof(path), "%s/a", d.data);
	ck_assert_int_eq(truncate(path, 100), 0);
	ck_assert_int_eq(file_owners_new(d.state, d.data, &fo), 0);
	ck_assert_int_eq(file_owners_grow(fo, "b", 50, 1000, true, &owner, &usage, &ch), 0);
	ck_assert_uint_eq(usage, 150);
	file_owners_free(fo);
	dirs_remove(&d);
}
END_TEST

/*
 * A file removed while the daemon holds it open stays charged to its owner, whose blocks it
 * still takes, until the daemon's last descriptor of it goes; without a look at the
 * descriptors (prune false) the charge is only said to be in the way (-EAGAIN).
 */
START_TEST(test_removed_file_charged_while_held)
{
	struct file_cred alice = { 1000, 1000, NULL, 0, false };
	struct file_owners *fo;
	struct file_attr attr;
	struct file_charge ch;
	uint64_t usage = 0;
	uid_t owner = 0;
	struct dirs d;
	char path[160];
	int fd;

	fo = owners_with_a_and_b(&d, &alice);
	ck_assert_int_eq(file_owners_grow(fo, "a", 6000, 10000, true, &owner, &usage, &ch), 0);
	snprintf(path, sizeof(path), "%s/a", d.data);
	fd = open(path, O_RDONLY);			/* what a region of it would hold */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(file_owners_remove(fo, "a", &alice, &attr), 0);
	ck_assert_int_eq(file_owners_grow(fo, "b", 5000, 10000, false, &owner, &usage, &ch),
			 -EAGAIN);
	ck_assert_int_eq(file_owners_grow(fo, "b", 5000, 10000, true, &owner, &usage, &ch),
			 -EDQUOT);
	ck_assert_uint_eq(usage, 11000);		/* a's 6000 and b's 5000 */
	ck_assert_int_eq(file_owners_grow(fo, "b", 4000, 10000, true, &owner, &usage, &ch), 0);
	close(fd);
	ck_assert_int_eq(file_owners_grow(fo, "b", 10000, 10000, false, &owner, &usage, &ch),
			 -EAGAIN);			/* not looked at yet */
	ck_assert_int_eq(file_owners_grow(fo, "b", 10000, 10000, true, &owner, &usage, &ch), 0);
	ck_assert_uint_eq(usage, 10000);		/* b's alone */
	file_owners_free(fo);
	dirs_remove(&d);
}
END_TEST

/*
 * file_owners_settle: a write charged for more than it took (it failed, or its client went)
 * gives back the rest when it is the file's last writer in flight, down to what the writers
 * reached, the charge before the first of them, or the file's size on disk. A write that
 * stopped short never takes away the charge another still in flight counts on, whether that
 * one moved the charge or found it already there.
 */
START_TEST(test_settle_gives_back_what_a_write_did_not_take)
{
	struct file_cred alice = { 1000, 1000, NULL, 0, false };
	struct file_charge a1, a2, b1;
	struct file_owners *fo;
	uint64_t usage = 0;
	uid_t owner = 0;
	struct dirs d;
	char path[160];

	fo = owners_with_a_and_b(&d, &alice);
	ck_assert_int_eq(file_owners_grow(fo, "a", 2000, 10000, true, &owner, &usage, &a1), 0);
	file_owners_settle(fo, "a", &a1, 2000);		/* all of it: nothing back */
	ck_assert_int_eq(file_owners_grow(fo, "a", 9000, 10000, true, &owner, &usage, &a1), 0);
	ck_assert_int_eq(file_owners_grow(fo, "b", 2000, 10000, true, &owner, &usage, &b1),
			 -EDQUOT);			/* 9000 + 2000 */
	file_owners_settle(fo, "a", &a1, 3000);		/* stopped at 3000 */
	ck_assert_int_eq(file_owners_grow(fo, "b", 7000, 10000, true, &owner, &usage, &b1), 0);
	ck_assert_uint_eq(usage, 10000);		/* a's 3000 and b's 7000 */
	file_owners_settle(fo, "b", &b1, 100);		/* stopped at 100 */
	ck_assert_int_eq(file_owners_grow(fo, "b", 7000, 10000, true, &owner, &usage, &b1), 0);
	ck_assert_uint_eq(usage, 10000);		/* b's 7000 again, 6900 more */

	/* Never below the size on disk either. */
	snprintf(path, sizeof(path), "%s/b", d.data);
	ck_assert_int_eq(truncate(path, 5000), 0);
	file_owners_settle(fo, "b", &b1, 0);
	ck_assert_int_eq(file_owners_grow(fo, "a", 5000, 10000, true, &owner, &usage, &a1), 0);
	ck_assert_uint_eq(usage, 10000);		/* b's 5000 on disk, a's 5000 */
	file_owners_settle(fo, "a", &a1, 5000);

	/* Two writers of a at once. The second counts on the first's charge, which it did not
	 * move: the first stopping short gives nothing back while the second is in flight. */
	ck_assert_int_eq(file_owners_grow(fo, "a", 8000, 0, true, &owner, &usage, &a1), 0);
	ck_assert_int_eq(file_owners_grow(fo, "a", 8000, 0, true, &owner, &usage, &a2), 0);
	file_owners_settle(fo, "a", &a1, 5100);
	ck_assert_int_eq(file_owners_grow(fo, "b", 5001, 13001, true, &owner, &usage, &b1), 0);
	ck_assert_uint_eq(usage, 13001);		/* a's 8000 and b's 5001 */
	file_owners_settle(fo, "b", &b1, 5001);
	file_owners_settle(fo, "a", &a2, 8000);		/* it wrote all 8000 */
	ck_assert_int_eq(file_owners_grow(fo, "b", 5002, 13002, true, &owner, &usage, &b1), 0);
	ck_assert_uint_eq(usage, 13002);		/* a keeps its 8000 */
	file_owners_settle(fo, "b", &b1, 5002);

	/* Both stop short: the last out gives back down to the furthest either reached. */
	ck_assert_int_eq(file_owners_grow(fo, "a", 9000, 0, true, &owner, &usage, &a1), 0);
	ck_assert_int_eq(file_owners_grow(fo, "a", 9500, 0, true, &owner, &usage, &a2), 0);
	file_owners_settle(fo, "a", &a2, 8200);
	file_owners_settle(fo, "a", &a1, 8100);
	ck_assert_int_eq(file_owners_grow(fo, "b", 5003, 13203, true, &owner, &usage, &b1), 0);
	ck_assert_uint_eq(usage, 13203);		/* a's 8200 and b's 5003 */
	file_owners_free(fo);
	dirs_remove(&d);
}
END_TEST

START_TEST(test_hand_placed_file_and_paths)
{
	struct file_cred nobody = { 65534, 65534, NULL, 0, false };
	struct file_owners *fo;
	struct file_attr attr;
	struct dirs d;
	char path[160];
	bool created;

	dirs_make(&d);
	ck_assert_int_eq(file_owners_new(d.state, d.data, &fo), 0);
	put_file(&d, "secret", 0600, 0);
	put_file(&d, "public", 0644, 0);
	snprintf(path, sizeof(path), "%s/dir", d.data);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(file_owners_open(fo, "secret", &nobody, false, 0600, &attr, &created),
			 getuid() == 65534 ? 0 : -EACCES);
	ck_assert_int_eq(file_owners_open(fo, "public", &nobody, false, 0600, &attr, &created),
			 0);
	ck_assert_int_eq(file_owners_open(fo, "public", &nobody, true, 0600, &attr, &created),
			 getuid() == 65534 ? 0 : -EACCES);
	ck_assert_int_eq(file_owners_stat(fo, "dir", &attr), -EISDIR);
	ck_assert_int_eq(file_owners_stat(fo, "public/x", &attr), -ENOTDIR);
	ck_assert_int_eq(file_owners_stat(fo, "dir/x", &attr), -ENOENT);
	ck_assert_int_eq(file_owners_open(fo, "none/x", &nobody, true, 0600, &attr, &created),
			 -ENOENT);
	ck_assert_int_eq(file_owners_chmod(fo, "public", &nobody, 0666, &attr), -EPERM);
	file_owners_free(fo);
	dirs_remove(&d);
}
END_TEST

/*
 * The table keeps a name exactly as given: any byte a path may hold (req_path_check: no
 * control characters) comes back after a restart, spaces at either end included, and after
 * the table was written again. A name the table's lines cannot hold is refused.
 */
START_TEST(test_table_keeps_odd_names_exactly)
{
	static const char *const names[] = {
		" lead", "trail ", "  both  ", "in  side", "  ", "-", "#hash", "1 2 3 - x",
		"back\\slash", "caf\xc3\xa9", "\xff\xfe", "d/ sub ",
	};
	struct file_cred alice = { 1000, 1000, NULL, 0, false };
	struct file_cred bob = { 2000, 2000, NULL, 0, false };
	struct file_owners *fo;
	struct file_attr attr;
	struct dirs d;
	char path[160];
	bool created;
	size_t i;
	int pass;

	dirs_make(&d);
	snprintf(path, sizeof(path), "%s/d", d.data);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(file_owners_new(d.state, d.data, &fo), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_int_eq(file_owners_open(fo, names[i], &alice, true, 0640, &attr,
						  &created), 0);
	/* A newline would end the entry's line: refused, and nothing is made. */
	ck_assert_int_eq(file_owners_open(fo, "new\nline", &alice, true, 0640, &attr, &created),
			 -EINVAL);
	ck_assert_int_eq(file_owners_stat(fo, "new\nline", &attr), -ENOENT);
	for (pass = 0; pass < 2; pass++) {
		/* A restart; the second time after a chmod wrote the table anew. */
		file_owners_free(fo);
		ck_assert_int_eq(file_owners_new(d.state, d.data, &fo), 0);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			ck_assert_msg(file_owners_stat(fo, names[i], &attr) == 0 && attr.recorded,
				      "'%s' lost its entry (pass %d)", names[i], pass);
			ck_assert_int_eq(attr.uid, 1000);
			ck_assert_int_eq(attr.mode, pass ? 0600 : 0640);
			ck_assert_int_eq(file_owners_open(fo, names[i], &alice, true, 0600, &attr,
							  &created), 0);
			ck_assert_int_eq(file_owners_open(fo, names[i], &bob, false, 0600, &attr,
							  &created), -EACCES);
		}
		if (pass > 0)
			break;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			ck_assert_int_eq(file_owners_chmod(fo, names[i], &alice, 0600, &attr), 0);
	}
	/* No entry went to a name with the spaces taken off. */
	ck_assert_int_eq(file_owners_stat(fo, "lead", &attr), -ENOENT);
	ck_assert_int_eq(file_owners_stat(fo, "trail", &attr), -ENOENT);
	file_owners_free(fo);
	dirs_remove(&d);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("fileown");
	TCase *tc = tcase_create("fileown");

	tcase_add_test(tc, test_owner_bits);
	tcase_add_test(tc, test_group_bits);
	tcase_add_test(tc, test_other_bits);
	tcase_add_test(tc, test_root_and_admin_group);
	tcase_add_test(tc, test_table_records_survives_and_forgets);
	tcase_add_test(tc, test_hand_placed_file_and_paths);
	tcase_add_test(tc, test_table_keeps_odd_names_exactly);
	tcase_add_test(tc, test_grow_charges_the_owner);
	tcase_add_test(tc, test_removed_file_charged_while_held);
	tcase_add_test(tc, test_settle_gives_back_what_a_write_did_not_take);
	suite_add_tcase(s, tc);
	return s;
}
