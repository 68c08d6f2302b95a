/*
 * check_uffd_features - the handoff refuses a client's userfaultfd that asks for events, or
 * that was never set up, and takes one set up as the library sets it up
 * (daemon/uffd-features.h).
 *
 * With UFFD_FEATURE_EVENT_REMOVE a client's madvise(MADV_DONTNEED) makes every UFFDIO_COPY,
 * CONTINUE and WRITEPROTECT of its range fail until the event is read, so a client that
 * madvises in a loop keeps the daemon from taking its pages back. Where this machine makes no
 * userfaultfd, the tests are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "check-main.h"
#include "uffd-features.h"

/* A userfaultfd of this process, set up with @features unless @features is ~0; -1 if none. */
static int uffd_with(uint64_t features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK), dev;

	if (fd < 0) {
		dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		fd = dev < 0 ? -1 : ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
		if (dev >= 0)
			close(dev);
	}
	if (fd < 0)
		rcl_skip("no userfaultfd here: %s", strerror(errno));
	if (features != ~0ULL && ioctl(fd, UFFDIO_API, &api) < 0) {
		close(fd);
		rcl_skip("UFFDIO_API with features %#llx refused here",
			 (unsigned long long)features);
	}
	return fd;
}

/* As the library sets it up: no feature asked for (it reads what is offered). */
START_TEST(test_library_setup_taken)
{
	const char *why = NULL;
	int fd = uffd_with(0);

	ck_assert_msg(uffd_features_check(fd, &why) == 0, "refused: %s", why);
	close(fd);
}
END_TEST

START_TEST(test_event_remove_refused)
{
	const char *why = NULL;
	int fd = uffd_with(UFFD_FEATURE_EVENT_REMOVE);

	ck_assert_int_eq(uffd_features_check(fd, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "events"));
	close(fd);
}
END_TEST

START_TEST(test_event_unmap_refused)
{
	const char *why = NULL;
	int fd = uffd_with(UFFD_FEATURE_EVENT_UNMAP);

	ck_assert_int_eq(uffd_features_check(fd, &why), -1);
	close(fd);
}
END_TEST

/* Not set up: its client could ask for events after the handoff. */
START_TEST(test_not_set_up_refused)
{
	const char *why = NULL;
	int fd = uffd_with(~0ULL);

	ck_assert_int_eq(uffd_features_check(fd, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "UFFDIO_API"));
	close(fd);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("uffd_features");
	TCase *tc = tcase_create("handoff");

	tcase_add_test(tc, test_library_setup_taken);
	tcase_add_test(tc, test_event_remove_refused);
	tcase_add_test(tc, test_event_unmap_refused);
	tcase_add_test(tc, test_not_set_up_refused);
	suite_add_tcase(s, tc);
	return s;
}
