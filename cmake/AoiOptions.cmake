# Build options of aoi, declared in one place.
#
# AOI_ARCH selects the instruction set the compiler may assume:
#   portable - x86-64 baseline (or the toolchain default elsewhere); the binary
#              runs on any CPU of the architecture. Use this for edge images
#              and vendor libraries.
#   native   - -march=native: tuned to the build machine, not portable.
set(AOI_ARCH "portable" CACHE STRING "Instruction-set target: portable or native")
set_property(CACHE AOI_ARCH PROPERTY STRINGS portable native)
option(AOI_BUILD_TESTS "Build the GoogleTest suite" ON)
option(AOI_BUILD_BENCH "Build the Google Benchmark programs" ON)
option(AOI_BUILD_CLI "Build the aoi command-line tool and aoi-convert" ON)
option(AOI_WITH_OPENBLAS "Offer OpenBLAS as an alternative GEMM backend of the reference path" ON)
option(AOI_WITH_SERVE "Build 'aoi serve', the HTTP service with its SQLite results store (cpp-httplib, SQLite, OpenSSL)" ON)
option(AOI_WITH_TIFF "Decode TIFF images (libtiff); without it TIFF input is refused with a clear error" ON)
# AOI_THREADS selects the threading runtime behind src/core/parallel.hpp:
#   tbb - oneTBB (shared library on Debian)
#   std - aoi's own std::thread pool: no extra library, so a fully static binary is possible
set(AOI_THREADS "tbb" CACHE STRING "Threading runtime: tbb or std")
set_property(CACHE AOI_THREADS PROPERTY STRINGS tbb std)
if(NOT AOI_THREADS MATCHES "^(tbb|std)$")
  message(FATAL_ERROR "AOI_THREADS must be tbb or std, not '${AOI_THREADS}'")
endif()
option(AOI_STATIC_EXECUTABLES "Link the aoi CLI fully statically (needs AOI_THREADS=std and static libjpeg/libpng/zlib)" OFF)
if(AOI_STATIC_EXECUTABLES AND AOI_WITH_SERVE)
  message(FATAL_ERROR "AOI_STATIC_EXECUTABLES needs AOI_WITH_SERVE=OFF (Debian ships cpp-httplib only as a shared library)")
endif()
if(AOI_WITH_SERVE AND NOT AOI_BUILD_CLI)
  set(AOI_WITH_SERVE OFF)
endif()
if(AOI_STATIC_EXECUTABLES AND NOT AOI_THREADS STREQUAL "std")
  message(FATAL_ERROR "AOI_STATIC_EXECUTABLES needs AOI_THREADS=std (Debian ships no static TBB)")
endif()
option(AOI_SIZE_OPTIMIZED_COLD_CODE "Compile the code that runs once per file or request (parsers, bundles, reports, the C API) with -Os; the kernels, trunk, preprocessing, bank search and GBDT keep -O3" OFF)
option(BUILD_SHARED_LIBS "Build libaoi as a shared library (libaoi.so with a SONAME) instead of libaoi.a" OFF)
set(AOI_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined or thread")
option(AOI_BUILD_FUZZERS "Build the libFuzzer targets (clang; everything gets ASan + UBSan and fuzzing mode)" OFF)

add_library(aoi_build_flags INTERFACE)
target_compile_options(aoi_build_flags INTERFACE -Wall -Wextra -Wno-unused-parameter)
if(AOI_ARCH STREQUAL "native")
  target_compile_options(aoi_build_flags INTERFACE -march=native)
elseif(NOT AOI_ARCH STREQUAL "portable")
  message(FATAL_ERROR "AOI_ARCH must be portable or native, not '${AOI_ARCH}'")
endif()
if(AOI_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "AOI_BUILD_FUZZERS needs clang (CXX=clang++)")
  endif()
  # FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION: loaders skip checksums so that
  # mutated inputs reach the parsers behind them (src/core/checksums.hpp).
  target_compile_options(aoi_build_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  target_link_options(aoi_build_flags INTERFACE -fsanitize=address,undefined)
endif()
if(AOI_SANITIZE)
  target_compile_options(aoi_build_flags INTERFACE -fsanitize=${AOI_SANITIZE} -fno-omit-frame-pointer)
  # No ifunc clones (gbdt/split_search.cpp): the dynamic loader runs their
  # resolvers before the sanitizer runtime is up, and TSan's instrumented
  # resolver crashes every program that links the GBDT.
  target_compile_definitions(aoi_build_flags INTERFACE AOI_NO_TARGET_CLONES=1)
  target_link_options(aoi_build_flags INTERFACE -fsanitize=${AOI_SANITIZE})
endif()
