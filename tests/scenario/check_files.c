/*
 * check_files - file regions: shared mappings see each other's writes, private mappings copy
 * on write and never touch the file, file offsets map the right pages, and buffered I/O sees
 * what mappings wrote, all through memory pressure.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#define RCL_CHECK_ONE_THREAD	/* deterministic, never started: see check-main.h */
#include "check-main.h"
#include "engine-fixture.h"
#include "mm.h"

#define PAGE 4096ULL

static uint32_t file_region(struct fixture *f, const char *path, uint64_t pages,
			    uint64_t offset, unsigned int flags)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = pages,
					.path = path, .file_offset = offset, .flags = flags };
	uint32_t id;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &id), 0);
	return id;
}

static void pressure(struct fixture *f, uint64_t seed)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_ANON, .nr_pages = 2 * 16 * MiB / PAGE };
	uint32_t hog;

	ck_assert_int_eq(rcl_region_create(f->e, &spec, &hog), 0);
	fixture_fill(f, hog, 0, spec.nr_pages, seed);
	ck_assert_int_eq(rcl_region_free(f->e, hog), 0);
}

START_TEST(test_shared_mappings_see_each_other)
{
	struct fixture f;
	uint32_t a, b;
	char buf[16];
	size_t got;

	fixture_setup(&f, 16, 64, 1);
	a = file_region(&f, "shared", 128, 0, RCL_REGION_SHARED);
	b = file_region(&f, "shared", 64, 64 * PAGE, RCL_REGION_SHARED);	/* pages 64..127 */
	fixture_fill(&f, a, 0, 128, 61);
	/* b's page 0 is the file's page 64, written through a. */
	ck_assert_int_eq(rcl_region_read(f.e, b, 0, buf, sizeof(buf)), 0);
	ck_assert(check_pattern(buf, sizeof(buf), 61, 64 * PAGE));
	ck_assert_int_eq(rcl_region_write(f.e, b, 5 * PAGE, "via-b", 5), 0);
	pressure(&f, 62);
	ck_assert_int_eq(rcl_region_read(f.e, a, 69 * PAGE, buf, 5), 0);
	ck_assert(!memcmp(buf, "via-b", 5));
	/* The buffered read() path sees the same page cache. */
	ck_assert_int_eq(rcl_file_read(f.e, "shared", 69 * PAGE, buf, 5, &got), 0);
	ck_assert_uint_eq(got, 5);
	ck_assert(!memcmp(buf, "via-b", 5));
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_private_mapping_copies_on_write)
{
	struct fixture f;
	char path[160], buf[PAGE];
	uint32_t shared, priv;
	int fd;

	fixture_setup(&f, 16, 64, 1);
	shared = file_region(&f, "base", 32, 0, RCL_REGION_SHARED);
	fixture_fill(&f, shared, 0, 32, 71);
	ck_assert_int_eq(rcl_region_msync(f.e, shared), 0);
	priv = file_region(&f, "base", 32, 0, 0);
	/* Reads of a private mapping show the file... */
	ck_assert_int_eq(rcl_region_read(f.e, priv, 3 * PAGE, buf, PAGE), 0);
	ck_assert(check_pattern(buf, PAGE, 71, 3 * PAGE));
	/* ...its writes stay private, through swap-out and back. */
	fixture_fill(&f, priv, 0, 32, 72);
	pressure(&f, 73);
	fixture_verify(&f, priv, 32, 72);
	fixture_verify(&f, shared, 32, 71);
	ck_assert_int_eq(rcl_region_msync(f.e, priv), 0);
	snprintf(path, sizeof(path), "%s/base", f.data);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, PAGE, 3 * PAGE), (ssize_t)PAGE);
	ck_assert(check_pattern(buf, PAGE, 71, 3 * PAGE));
	close(fd);
	fixture_teardown(&f);
}
END_TEST

/* A private mapping is copy-on-write: the file is never written, extended or created. */
START_TEST(test_private_mapping_leaves_the_file_alone)
{
	struct rcl_region_spec spec = { .type = RCL_REGION_FILE, .nr_pages = 8, .path = "absent" };
	struct fixture f;
	char path[160], buf[PAGE], disk[PAGE + 100];
	struct stat before, after;
	uint32_t priv, id;
	size_t i;
	int fd;

	fixture_setup(&f, 16, 64, 1);
	snprintf(path, sizeof(path), "%s/short", f.data);
	for (i = 0; i < sizeof(disk); i++)
		disk[i] = (char)(i * 7 + 1);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_eq(write(fd, disk, sizeof(disk)), (ssize_t)sizeof(disk));
	close(fd);
	ck_assert_int_eq(stat(path, &before), 0);

	priv = file_region(&f, "short", 8, 0, 0);
	ck_assert_int_eq(rcl_region_read(f.e, priv, PAGE, buf, PAGE), 0);
	ck_assert(!memcmp(buf, disk + PAGE, 100));
	for (i = 100; i < PAGE; i++)
		ck_assert_int_eq(buf[i], 0);		/* past the end of the file: zeros */
	ck_assert_int_eq(rcl_region_read(f.e, priv, 5 * PAGE, buf, PAGE), 0);
	for (i = 0; i < PAGE; i++)
		ck_assert_int_eq(buf[i], 0);
	fixture_fill(&f, priv, 0, 8, 81);
	pressure(&f, 82);
	fixture_verify(&f, priv, 8, 81);
	ck_assert_int_eq(rcl_region_msync(f.e, priv), 0);
	ck_assert_int_eq(rcl_region_free(f.e, priv), 0);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);

	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert_int_eq(after.st_size, before.st_size);
	ck_assert(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
		  after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, PAGE, 0), (ssize_t)PAGE);
	ck_assert(!memcmp(buf, disk, PAGE));
	ck_assert_int_eq(pread(fd, buf, PAGE, PAGE), 100);
	ck_assert(!memcmp(buf, disk + PAGE, 100));
	close(fd);

	/* A private mapping of a missing file is refused and creates nothing. */
	ck_assert_int_eq(rcl_region_create(f.e, &spec, &id), -ENOENT);
	snprintf(path, sizeof(path), "%s/absent", f.data);
	ck_assert_int_eq(access(path, F_OK), -1);
	fixture_teardown(&f);
}
END_TEST

/* msync of a range writes that range's dirty pages only, and says how many it wrote. */
START_TEST(test_msync_range_writes_only_the_range)
{
	struct fixture f;
	char path[160], buf[PAGE], zero[PAGE] = { 0 };
	uint64_t written;
	uint32_t id;
	int fd, p;

	fixture_setup(&f, 16, 0, 1);
	id = file_region(&f, "ranged", 16, 0, RCL_REGION_SHARED);
	fixture_fill(&f, id, 0, 16, 91);
	ck_assert_int_eq(rcl_region_msync_range(f.e, id, 4, 4, &written), 0);
	ck_assert_uint_eq(written, 4);
	snprintf(path, sizeof(path), "%s/ranged", f.data);
	fd = open(path, O_RDONLY);
	for (p = 0; p < 16; p++) {
		ck_assert_int_eq(pread(fd, buf, PAGE, p * PAGE), (ssize_t)PAGE);
		if (p >= 4 && p < 8)
			ck_assert(check_pattern(buf, PAGE, 91, p * PAGE));
		else
			ck_assert(!memcmp(buf, zero, PAGE));	/* still only in memory */
	}
	/* The rest (nr 0: to the end) from page 2, then nothing is left to write. */
	ck_assert_int_eq(rcl_region_msync_range(f.e, id, 2, 0, &written), 0);
	ck_assert_uint_eq(written, 10);
	ck_assert_int_eq(rcl_region_msync_range(f.e, id, 0, 0, &written), 0);
	ck_assert_uint_eq(written, 2);
	ck_assert_int_eq(rcl_region_msync_range(f.e, id, 0, 0, &written), 0);
	ck_assert_uint_eq(written, 0);
	for (p = 0; p < 16; p++) {
		ck_assert_int_eq(pread(fd, buf, PAGE, p * PAGE), (ssize_t)PAGE);
		ck_assert(check_pattern(buf, PAGE, 91, p * PAGE));
	}
	close(fd);
	ck_assert_int_eq(rcl_region_msync_range(f.e, id, 15, 2, &written), -EINVAL);
	fixture_teardown(&f);
}
END_TEST

/*
 * A sync inside an outer plug (blk_start_plug) submits the plug before it waits, as schedule()
 * does for a sleeping task: the pages it queued itself are on disk when msync returns, not
 * still in the plug until the outer blk_finish_plug.
 */
START_TEST(test_msync_inside_a_plug)
{
	struct fixture f;
	uint64_t written;
	uint32_t id;

	fixture_setup(&f, 16, 0, 1);
	id = file_region(&f, "plugged", 8, 0, RCL_REGION_SHARED);
	fixture_fill(&f, id, 0, 8, 93);
	blk_start_plug(f.e);
	ck_assert_int_eq(rcl_region_msync_range(f.e, id, 0, 0, &written), 0);
	ck_assert_uint_eq(written, 8);
	ck_assert_uint_eq(fixture_file_stale(&f, "plugged", 8, 93), 0);	/* all on disk */
	blk_finish_plug(f.e);
	fixture_teardown(&f);
}
END_TEST

START_TEST(test_buffered_write_then_mapping_and_region_free)
{
	struct fixture f;
	char buf[64];
	uint32_t id;
	size_t got;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_file_write(f.e, "log", 10, "hello", 5), 0);
	ck_assert_int_eq(rcl_file_read(f.e, "log", 0, buf, sizeof(buf), &got), 0);
	ck_assert_uint_eq(got, 15);				/* i_size follows the write */
	ck_assert(!memcmp(buf + 10, "hello", 5));
	id = file_region(&f, "log", 1, 0, RCL_REGION_SHARED);
	ck_assert_int_eq(rcl_region_read(f.e, id, 10, buf, 5), 0);
	ck_assert(!memcmp(buf, "hello", 5));
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	/* Dirty pages outlive the region and reach the disk on sync. */
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_dirty"), 0);
	ck_assert_int_eq(rcl_file_read(f.e, "../log", 0, buf, 4, &got), -EPERM);
	ck_assert_int_eq(rcl_file_read(f.e, "/etc/hostname", 0, buf, 4, &got), -EINVAL);
	fixture_teardown(&f);
}
END_TEST

/*
 * A file removed and created again under the same name (by hand, or by a client's remove and
 * write) is a new file: reads see its bytes, not the old inode's cache, and writes reach it.
 */
START_TEST(test_recreated_file_is_a_new_file)
{
	struct fixture f;
	char path[160], buf[64] = { 0 };
	size_t got = 0;
	FILE *fp;

	fixture_setup(&f, 16, 0, 1);
	snprintf(path, sizeof(path), "%s/again", f.data);
	ck_assert_int_eq(rcl_file_write(f.e, "again", 0, "old bytes", 9), 0);
	ck_assert_int_eq(rcl_file_read(f.e, "again", 0, buf, 9, &got), 0);
	ck_assert_str_eq(buf, "old bytes");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_ge(fputs("new file!", fp), 0);
	fclose(fp);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(rcl_file_read(f.e, "again", 0, buf, 9, &got), 0);
	ck_assert_str_eq(buf, "new file!");
	/* A write goes to the file that has the name now. */
	ck_assert_int_eq(rcl_file_write(f.e, "again", 0, "NEW", 3), 0);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(fread(buf, 1, 9, fp), 9);
	fclose(fp);
	ck_assert_str_eq(buf, "NEW file!");
	fixture_teardown(&f);
}
END_TEST

static unsigned int cached_files(struct rcl_engine *e)
{
	struct address_space *m;
	unsigned int n = 0;

	for (m = e->files; m; m = m->next)
		n++;
	return n;
}

static unsigned int open_fds(void)
{
	unsigned int n = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");

	while (dir && (d = readdir(dir)))
		n += d->d_name[0] != '.';
	if (dir)
		closedir(dir);
	return n;
}

/*
 * A file nobody has open and whose cache is empty gives its descriptor back at the next open
 * of a file not cached (prune_icache's part): 40 files written one after the other held 40
 * descriptors for good. One still open, or with pages cached, keeps its own; and a pruned
 * file reads back what was written, opened anew.
 */
START_TEST(test_unused_empty_files_give_their_descriptor_back)
{
	struct rcl_file *held;
	struct fixture f;
	unsigned int i, fds;
	char name[16], buf[8] = { 0 };
	size_t got = 0;

	fixture_setup(&f, 16, 0, 1);
	ck_assert_int_eq(rcl_file_write(f.e, "held", 0, "h", 1), 0);
	ck_assert_int_eq(rcl_file_open(f.e, "held", 0, &held), 0);
	fds = open_fds();
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		ck_assert_int_eq(rcl_file_write(f.e, name, 0, name, strlen(name)), 0);
	}
	ck_assert_uint_eq(cached_files(f.e), 41);
	ck_assert_uint_eq(open_fds(), fds + 40);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_int_eq(rcl_drop_caches(f.e, &(uint64_t){ 0 }), 0);
	ck_assert_uint_eq(cached_files(f.e), 41);		/* nothing opened since */
	ck_assert_int_eq(rcl_file_write(f.e, "keep", 0, "kept", 4), 0);
	ck_assert_uint_eq(cached_files(f.e), 2);		/* "held" and "keep" */
	ck_assert_uint_eq(open_fds(), fds + 1);
	ck_assert_int_eq(rcl_file_read(f.e, "p7", 0, buf, sizeof(buf), &got), 0);
	ck_assert_str_eq(buf, "p7");
	/* "keep" has its page cached (dirty, then clean): it stays through the next miss. */
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_int_eq(rcl_file_read(f.e, "p8", 0, buf, sizeof(buf), &got), 0);
	ck_assert_uint_eq(cached_files(f.e), 4);		/* held, keep, p7, p8 */
	rcl_file_close(held);
	fixture_teardown(&f);
}
END_TEST

/*
 * A file removed (here by hand) while a region maps it lives on for the region, as an unlinked
 * inode does; once its last user is gone its cache goes, dirty pages unwritten (nobody can
 * read them), and its descriptor with it, which held its blocks on disk. Before, the cache
 * kept the descriptor for as long as a page or shadow entry of the file was left.
 */
START_TEST(test_removed_file_goes_with_its_last_user)
{
	static char data[64 * PAGE];
	struct rcl_file *held;
	struct fixture f;
	char path[160];
	uint64_t written, files;
	unsigned int base;
	uint32_t id;

	fixture_setup(&f, 16, 0, 1);
	base = fixture_unlinked_fds();		/* the engine's own (a memfd) */
	snprintf(path, sizeof(path), "%s/gone", f.data);
	memset(data, 0x47, sizeof(data));
	ck_assert_int_eq(rcl_file_write(f.e, "gone", 0, data, sizeof(data)), 0);
	ck_assert_uint_ge(fixture_vmstat(f.e, "nr_dirty"), 64);
	written = fixture_vmstat(f.e, "nr_written");
	files = fixture_vmstat(f.e, "nr_file_pages");
	id = file_region(&f, "gone", 64, 0, RCL_REGION_SHARED);
	ck_assert_int_eq(unlink(path), 0);
	rcl_file_release_unused(f.e);
	ck_assert_uint_eq(fixture_unlinked_fds(), base + 1);	/* the region's still */
	ck_assert_uint_ge(fixture_vmstat(f.e, "nr_dirty"), 64);
	ck_assert_int_eq(rcl_region_free(f.e, id), 0);
	ck_assert_uint_eq(fixture_unlinked_fds(), base);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_dirty"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_written"), written);	/* dropped, not written */
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_file_pages"), files - 64);

	/* Unused when removed: rcl_file_release_unused lets it go at once. */
	ck_assert_int_eq(rcl_file_write(f.e, "gone", 0, data, sizeof(data)), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_uint_eq(fixture_unlinked_fds(), base + 1);
	rcl_file_release_unused(f.e);
	ck_assert_uint_eq(fixture_unlinked_fds(), base);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_dirty"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_written"), written);

	/* Held open when removed: its close, the last put, lets it go (iput_final), with no
	 * prune after it. */
	ck_assert_int_eq(rcl_file_write(f.e, "gone", 0, data, sizeof(data)), 0);
	ck_assert_int_eq(rcl_file_open(f.e, "gone", 0, &held), 0);
	ck_assert_int_eq(unlink(path), 0);
	rcl_file_release_unused(f.e);
	ck_assert_uint_eq(fixture_unlinked_fds(), base + 1);
	rcl_file_close(held);
	ck_assert_uint_eq(fixture_unlinked_fds(), base);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_dirty"), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_written"), written);
	fixture_teardown(&f);
}
END_TEST

/*
 * Descriptors short: rcl_file_shrink_unused lets go of the clean files nobody uses, cache and
 * descriptor, and keeps those with dirty pages (a write that failed among them), whose bytes
 * are not yet on disk; the dirty counts stay true throughout.
 */
START_TEST(test_shrink_lets_go_of_clean_unused_files)
{
	static char data[16 * PAGE];
	struct rcl_file *held;
	struct fixture f;
	uint64_t dirty;
	unsigned int files;

	fixture_setup(&f, 16, 0, 1);
	memset(data, 0x53, sizeof(data));
	ck_assert_int_eq(rcl_file_write(f.e, "clean", 0, data, sizeof(data)), 0);
	ck_assert_int_eq(rcl_file_write(f.e, "inuse", 0, data, sizeof(data)), 0);
	ck_assert_int_eq(rcl_file_open(f.e, "inuse", 0, &held), 0);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_int_eq(rcl_file_write(f.e, "dirty", 0, data, sizeof(data)), 0);
	dirty = fixture_vmstat(f.e, "nr_dirty");
	ck_assert_uint_ge(dirty, 16);
	files = cached_files(f.e);
	ck_assert_uint_eq(rcl_file_shrink_unused(f.e), 1);		/* "clean" alone */
	ck_assert_uint_eq(cached_files(f.e), files - 1);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_dirty"), dirty);

	/* Its write failing, "dirty" stays dirty, and stays. */
	io_inject_fault(f.e->file_io, true, 1, -ENOSPC);
	ck_assert_int_eq(rcl_sync_all(f.e), -ENOSPC);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_dirty"), dirty);
	ck_assert_uint_eq(rcl_file_shrink_unused(f.e), 0);
	ck_assert_uint_eq(cached_files(f.e), files - 1);
	ck_assert_int_eq(rcl_sync_all(f.e), 0);
	ck_assert_uint_eq(fixture_vmstat(f.e, "nr_dirty"), 0);
	ck_assert_uint_eq(rcl_file_shrink_unused(f.e), 1);		/* clean now */
	rcl_file_close(held);
	fixture_teardown(&f);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("files");
	TCase *tc = tcase_create("files");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_shared_mappings_see_each_other);
	tcase_add_test(tc, test_private_mapping_copies_on_write);
	tcase_add_test(tc, test_private_mapping_leaves_the_file_alone);
	tcase_add_test(tc, test_msync_range_writes_only_the_range);
	tcase_add_test(tc, test_msync_inside_a_plug);
	tcase_add_test(tc, test_buffered_write_then_mapping_and_region_free);
	tcase_add_test(tc, test_recreated_file_is_a_new_file);
	tcase_add_test(tc, test_unused_empty_files_give_their_descriptor_back);
	tcase_add_test(tc, test_removed_file_goes_with_its_last_user);
	tcase_add_test(tc, test_shrink_lets_go_of_clean_unused_files);
	suite_add_tcase(s, tc);
	return s;
}
