# Sanitizer builds: the asan and tsan presets (CMakePresets.json), run by
# tools/sanitize.sh.
#
#   OMNIROUTE_SANITIZE=address   AddressSanitizer + UndefinedBehaviorSanitizer;
#                                any undefined behaviour aborts (no recovery)
#   OMNIROUTE_SANITIZE=thread    ThreadSanitizer
#
# ThreadSanitizer's flags apply to every target of the project (generated
# protobuf code, library, tools, tests), compiled and linked alike: it must
# see every access to shared memory. AddressSanitizer's and UBSan's apply to
# the project's own code (library, service, tools, tests, fuzz targets) but
# not to the generated protobuf/gRPC code of proto/ (omniroute_sanitize_code
# below, called after proto/): that code is most of the build's time under
# the sanitizers, its parsing and serialization run in Debian's uninstrumented
# libprotobuf anyway, and ASan needs no instrumentation of the code that
# calls into the instrumented one (every allocation is ASan's, every
# executable links its runtime). The libraries from Debian (Abseil, protobuf,
# gRPC, SQLite, libpq, googletest) are not instrumented.
#
# Under ThreadSanitizer, Abseil's Mutex, CondVar and Notification are the
# uninstrumented ones of Debian's libabsl_synchronization, whose ordering
# ThreadSanitizer would not see: every executable gets
# tools/sanitizers/tsan_abseil_sync.cc, which stands in front of them and
# tells ThreadSanitizer what they do (omniroute_sanitizer_executables below).
#
# Included from the top-level CMakeLists.txt before any target is defined.

set(OMNIROUTE_SANITIZE "" CACHE STRING
  "Build with sanitizers: address (ASan + UBSan), thread (TSan), or empty for none")
set_property(CACHE OMNIROUTE_SANITIZE PROPERTY STRINGS "" address thread)

if(OMNIROUTE_SANITIZE STREQUAL "")
  set(OMNIROUTE_SANITIZER_FLAGS "")
elseif(OMNIROUTE_SANITIZE STREQUAL "address")
  set(OMNIROUTE_SANITIZER_FLAGS
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
elseif(OMNIROUTE_SANITIZE STREQUAL "thread")
  set(OMNIROUTE_SANITIZER_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
else()
  message(FATAL_ERROR
    "OMNIROUTE_SANITIZE must be address, thread or empty, not '${OMNIROUTE_SANITIZE}'")
endif()

if(OMNIROUTE_SANITIZER_FLAGS)
  message(STATUS "omniroute: sanitizers: ${OMNIROUTE_SANITIZER_FLAGS}")
  add_link_options(${OMNIROUTE_SANITIZER_FLAGS})
  if(OMNIROUTE_SANITIZE STREQUAL "thread")
    add_compile_options(${OMNIROUTE_SANITIZER_FLAGS})
  endif()
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # clang 14 leaves C++14's sized deallocation off by default; the library
  # uses it (lib/core/identity_index.cc).
  add_compile_options(-fsized-deallocation)
endif()

# Called by the top-level CMakeLists.txt after proto/ (the generated code)
# and before the project's own code: compiles what follows with
# AddressSanitizer and UBSan (OMNIROUTE_SANITIZE=address) and, with
# OMNIROUTE_BUILD_FUZZERS, libFuzzer's coverage (fuzzer-no-link: only the fuzz
# targets link libFuzzer's driver, fuzz/CMakeLists.txt; in the test binaries
# the coverage callbacks are the sanitizer runtime's no-ops).
macro(omniroute_sanitize_code)
  if(OMNIROUTE_SANITIZE STREQUAL "address")
    add_compile_options(${OMNIROUTE_SANITIZER_FLAGS})
  endif()
  if(OMNIROUTE_BUILD_FUZZERS)
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                        -fno-sanitize-recover=all -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
  endif()
endmacro()

if(OMNIROUTE_SANITIZE STREQUAL "thread")
  add_library(omniroute_tsan_abseil_sync OBJECT
    ${PROJECT_SOURCE_DIR}/tools/sanitizers/tsan_abseil_sync.cc)
  target_compile_features(omniroute_tsan_abseil_sync PRIVATE cxx_std_20)
  target_link_libraries(omniroute_tsan_abseil_sync PRIVATE absl::synchronization absl::time)
endif()

# Called once at the end of the top-level CMakeLists.txt, when every target is
# defined: under ThreadSanitizer, links the Abseil synchronization annotations
# into every executable of the project, and exports them from it so that the
# shared libraries (gRPC's own locks are absl::Mutex) call them too.
function(omniroute_sanitizer_executables)
  if(NOT OMNIROUTE_SANITIZE STREQUAL "thread")
    return()
  endif()
  set(directories "${PROJECT_SOURCE_DIR}")
  while(directories)
    list(POP_FRONT directories directory)
    get_property(subdirectories DIRECTORY "${directory}" PROPERTY SUBDIRECTORIES)
    list(APPEND directories ${subdirectories})
    get_property(targets DIRECTORY "${directory}" PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "EXECUTABLE")
        target_link_libraries(${target} PRIVATE omniroute_tsan_abseil_sync)
        target_link_options(${target} PRIVATE
          "LINKER:--export-dynamic-symbol=_ZN4absl*5Mutex*"
          "LINKER:--export-dynamic-symbol=_ZN4absl*7CondVar*"
          "LINKER:--export-dynamic-symbol=_ZN4absl*12Notification*")
      endif()
    endforeach()
  endwhile()
endfunction()
