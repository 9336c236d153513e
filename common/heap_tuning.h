#pragma once

namespace ais {

// Keeps the memory that large buffers free inside the process for the next request, instead of
// glibc's default of giving every block over 128 KiB-32 MiB back to the kernel on free. Fresh
// pages cost a fault each on first touch (in a VM also the hypervisor's), and a 1 MiB GET
// allocates its buffers anew per request: measured, a target and a proxy spent most of their
// CPU faulting in pages that the previous request had just returned. Call once at the start of
// main, before other threads exist. Returns false when glibc refused a setting (logged by the
// caller; the process works, only slower).
bool keepFreedMemory();

}  // namespace ais
