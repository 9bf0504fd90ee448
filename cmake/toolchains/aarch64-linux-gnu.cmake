# Cross-compiling aoi for aarch64 (arm64) Linux on a Debian 12 x86-64 host.
#
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#
# Needs Debian's cross compiler (g++-aarch64-linux-gnu), the arm64 multiarch
# -dev packages of aoi's dependencies (dpkg --add-architecture arm64) and
# qemu-user; scripts/cross-aarch64.sh installs them, builds and runs the tests
# (docs/cross-aarch64.md).
#
# Debian multiarch keeps arm64 libraries in /usr/lib/aarch64-linux-gnu and
# arm64-specific headers in /usr/include/aarch64-linux-gnu beside the host's,
# so the "sysroot" is the host's own root: no CMAKE_SYSROOT, and the search
# prefixes stay /usr, but every search for libraries, headers and packages is
# confined to the target's multiarch directories (and arch-independent ones
# such as /usr/include and /usr/share), never the host's x86_64 ones.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(AOI_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${AOI_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${AOI_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${AOI_CROSS_TRIPLE})

# Programs (python3, the NEON check's aarch64-linux-gnu-g++, qemu) come from
# the host; libraries, headers and CMake package configs from the target's
# multiarch directories under /.
set(CMAKE_FIND_ROOT_PATH /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# The host's /usr/lib/x86_64-linux-gnu is on CMake's default search path only
# through CMAKE_LIBRARY_ARCHITECTURE, which is aarch64-linux-gnu here; refuse
# it outright as well, so that an arm64 package that is missing fails at
# configure time instead of linking an x86-64 library.
list(APPEND CMAKE_IGNORE_PATH
  /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/include/x86_64-linux-gnu
  /usr/lib/x86_64-linux-gnu/cmake /usr/lib/x86_64-linux-gnu/pkgconfig)

# pkg-config (OpenBLAS): only arm64 .pc files and arch-independent ones.
# PKG_CONFIG_LIBDIR replaces the default search path (the host's x86_64
# directories); there is no sysroot to prepend since / is the root.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${AOI_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
unset(ENV{PKG_CONFIG_SYSROOT_DIR})

# Test programs (gtest_discover_tests at build time, add_test/ctest at test
# time) run under qemu-user. -L / makes the arm64 dynamic loader and libraries
# the multiarch ones (libc6:arm64 etc.) of the host's root. Do NOT use
# -L /usr/aarch64-linux-gnu: that mixes the cross toolchain's libc
# (libc6-arm64-cross) with the multiarch arm64 libraries linked against the
# other libc build, and threaded programs (TBB) hang.
find_program(AOI_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(NOT AOI_QEMU_AARCH64)
  set(AOI_QEMU_AARCH64 qemu-aarch64)  # not installed yet: resolved from PATH when tests run
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR "${AOI_QEMU_AARCH64};-L;/")
