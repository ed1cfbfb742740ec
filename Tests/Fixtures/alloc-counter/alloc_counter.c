// Counts heap allocations of the process it is preloaded into, for the allocation tests:
//   cc -shared -fPIC -O2 -o /tmp/libicqscope_alloc_counter.so alloc_counter.c -ldl
//   swift build -c release --build-tests -Xswiftc -enable-testing   (the lab tests use @testable)
//   LD_PRELOAD=/tmp/libicqscope_alloc_counter.so swift test -c release -Xswiftc -enable-testing --skip-build --filter Allocation
// The tests find `icqscope_alloc_count` with dlsym; without the preload they are skipped.
// Preloaded into another program (scripts/bench-gate-callgrind.sh), it writes the count at exit
// to the file named by ICQSCOPE_ALLOC_COUNT_FILE, when that is set.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

volatile unsigned long icqscope_alloc_count = 0;

static void *(*real_malloc)(size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);

void *malloc(size_t n) {
    if (!real_malloc) real_malloc = dlsym(RTLD_NEXT, "malloc");
    __atomic_add_fetch(&icqscope_alloc_count, 1, __ATOMIC_RELAXED);
    return real_malloc(n);
}

void *realloc(void *p, size_t n) {
    if (!real_realloc) real_realloc = dlsym(RTLD_NEXT, "realloc");
    __atomic_add_fetch(&icqscope_alloc_count, 1, __ATOMIC_RELAXED);
    return real_realloc(p, n);
}

int posix_memalign(void **p, size_t a, size_t n) {
    if (!real_posix_memalign) real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    __atomic_add_fetch(&icqscope_alloc_count, 1, __ATOMIC_RELAXED);
    return real_posix_memalign(p, a, n);
}

void *aligned_alloc(size_t a, size_t n) {
    if (!real_aligned_alloc) real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    __atomic_add_fetch(&icqscope_alloc_count, 1, __ATOMIC_RELAXED);
    return real_aligned_alloc(a, n);
}

__attribute__((destructor)) static void icqscope_alloc_report(void) {
    const char *path = getenv("ICQSCOPE_ALLOC_COUNT_FILE");
    if (!path) return;
    unsigned long count = icqscope_alloc_count;  // before fopen's own allocations
    FILE *file = fopen(path, "w");
    if (!file) return;
    fprintf(file, "%lu\n", count);
    fclose(file);
}
