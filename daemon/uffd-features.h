/*
 * uffd-features.h - what a client's userfaultfd may ask of the kernel before the daemon takes
 * it over (mapfd.c's handoff).
 *
 * The client makes the userfaultfd and negotiates its features (UFFDIO_API) itself. Most only
 * change what it gets for its own faults. The non-cooperative events do more: with
 * UFFD_FEATURE_EVENT_REMOVE (or UNMAP, REMAP, FORK) each madvise(MADV_DONTNEED) of the range
 * sets the context's mmap_changing until the daemon has read the event, and meanwhile every
 * UFFDIO_COPY, CONTINUE and WRITEPROTECT of the mapping fails with EAGAIN: a client that
 * madvises in a loop keeps the daemon from write-protecting its pages, so from taking any of
 * them back, and holds the arena against every other uid's. The daemon serves none of these
 * events, and refuses a userfaultfd that asks for one, or one not set up at all (whose client
 * could still ask for them after the handoff).
 */
#ifndef RECLAIMD_UFFD_FEATURES_H
#define RECLAIMD_UFFD_FEATURES_H

/* 0 when the userfaultfd @fd was set up (UFFDIO_API) and asks for no event the daemon does
 * not serve; -1 and *why (a static string) otherwise. */
int uffd_features_check(int fd, const char **why);

#endif
