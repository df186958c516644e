// Heap memory on transparent huge pages, for kinspect and its plugin workers.
//
// Why: at 150,000 pods a run touches about a gigabyte of fresh heap. In 4 KiB
// pages that is a quarter of a million page faults, and on a virtual machine
// each costs microseconds in the hypervisor: measured, a sixth of a run's CPU.
// glibc maps its heap on 2 MiB pages when asked (the glibc.malloc.hugetlb=1
// tunable, glibc 2.35), which the kernel honours when transparent huge pages
// are on for madvise (the default of Debian and most distributions). A
// tunable is read only at program start, so kinspect sets it in the
// environment, starts itself again and puts the environment back; workers
// get it in theirs.
#pragma once

#include <string>

namespace kinspect {

// GLIBC_TUNABLES with glibc.malloc.hugetlb=1 added, given its current value
// (null: unset). A glibc.malloc.hugetlb the user set is kept as written, so
// GLIBC_TUNABLES=glibc.malloc.hugetlb=0 turns all of this off.
std::string tunables_with_huge_pages(const char* current);

// Whether the kernel gives huge pages to memory that asks (the bracketed word
// of /sys/kernel/mm/transparent_hugepage/enabled is "madvise"; with "always"
// every heap has them already, with "never" none can).
bool huge_pages_on_request(const std::string& thp_enabled_text);

// Starts this program again (same pid, arguments and descriptors) with the
// tunable set, when it is missing and would take effect. Returns only when
// nothing was done or the exec failed; the run then goes on as it is.
void restart_with_huge_pages(char** argv);

// In the restarted process, first thing: GLIBC_TUNABLES back as the user had
// it, so that programs kinspect runs (credential plugins, other tools) see
// the environment they were given; plugin workers get the tunable anew.
void restore_environment_after_restart();

// Whether this process's heap asked for huge pages (restarted for them, or
// the tunable set to 1 from the start).
bool heap_on_huge_pages();

}  // namespace kinspect
