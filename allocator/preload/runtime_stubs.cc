// What the C++ compiler may call that normally comes from the C++ runtime, defined here so the
// library does not load libstdc++ (whose start-up emergency-pool malloc(0x11c00) would shift
// every address). None of these runs: nothing is deleted or thrown, and no pure virtual is
// called. The version script keeps them local, so a C++ program's own operator delete stays its.
#include <cstddef>
#include <cstdlib>

extern "C" void __cxa_pure_virtual() { abort(); }

void operator delete(void*) noexcept { abort(); }
void operator delete(void*, std::size_t) noexcept { abort(); }
