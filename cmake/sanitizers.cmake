# Sanitizer builds: the asan and tsan presets (CMakePresets.json), run by
# tools/sanitize.sh.
#
#   OMNIROUTE_SANITIZE=address   AddressSanitizer + UndefinedBehaviorSanitizer;
#                                any undefined behaviour aborts (no recovery)
#   OMNIROUTE_SANITIZE=thread    ThreadSanitizer
#
# The flags apply to every target of the project (library, generated protobuf
# code, tools, tests), compiled and linked alike. The libraries from Debian
# (Abseil, protobuf, gRPC, SQLite, libpq) are not instrumented.
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
  add_compile_options(${OMNIROUTE_SANITIZER_FLAGS})
  add_link_options(${OMNIROUTE_SANITIZER_FLAGS})
endif()

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
