# Install rules and the CMake package config, so that an outside project can
# use an installed omniroute with:
#
#   find_package(omniroute CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE omniroute::omniroute)
#
# Included from the top-level CMakeLists.txt after every target is defined.
# The generated protobuf headers (omniroute/v1/*.pb.h) and the .proto files
# are installed by proto/CMakeLists.txt.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(OMNIROUTE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/omniroute"
  CACHE STRING "Where omniroute-config.cmake is installed, relative to the prefix")
mark_as_advanced(OMNIROUTE_INSTALL_CMAKEDIR)

# ------------------------------------------------------------------ targets

install(TARGETS omniroute omniroute_proto omniroute_grpc_proto
  EXPORT omniroute-targets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT omniroute_Runtime
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT omniroute_Runtime
          NAMELINK_COMPONENT omniroute_Development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT omniroute_Development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Public headers: include/omniroute/*.h → <prefix>/include/omniroute/.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/omniroute
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT omniroute_Development
  FILES_MATCHING PATTERN "*.h")

install(EXPORT omniroute-targets
  NAMESPACE omniroute::
  DESTINATION ${OMNIROUTE_INSTALL_CMAKEDIR}
  COMPONENT omniroute_Development)

# ------------------------------------------------------------------ package config

# Dependencies that the installed package config must find for the consumer,
# beyond the ones it always needs (Abseil, Protobuf, Threads).
#
# When an exported target starts to depend on gRPC (the service library), on
# SQLite (the SQLite event store) or on libpq (the PostgreSQL event store),
# set the matching variable to ON before this file is included (or here), and
# omniroute-config.cmake will call
# find_dependency() for it. Their calls are already in
# cmake/omniroute-config.cmake.in.
if(NOT DEFINED OMNIROUTE_EXPORT_NEEDS_GRPC)
  set(OMNIROUTE_EXPORT_NEEDS_GRPC OFF)
endif()
if(NOT DEFINED OMNIROUTE_EXPORT_NEEDS_SQLITE)
  set(OMNIROUTE_EXPORT_NEEDS_SQLITE OFF)
endif()
if(NOT DEFINED OMNIROUTE_EXPORT_NEEDS_POSTGRESQL)
  set(OMNIROUTE_EXPORT_NEEDS_POSTGRESQL OFF)
endif()
# The SQLite event store (lib/store/sqlite_*.cc) links omniroute to SQLite3.
set(OMNIROUTE_EXPORT_NEEDS_SQLITE ON)
# The PostgreSQL event store (lib/store/postgres_*.cc) links omniroute to
# libpq, privately; a static libomniroute still needs it at the consumer's
# link ($<LINK_ONLY:PostgreSQL::PostgreSQL> in the exported targets).
set(OMNIROUTE_EXPORT_NEEDS_POSTGRESQL ON)
# omniroute::grpc_proto (the API's generated stubs) links gRPC.
set(OMNIROUTE_EXPORT_NEEDS_GRPC ON)

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/omniroute-config.cmake.in
  ${PROJECT_BINARY_DIR}/omniroute-config.cmake
  INSTALL_DESTINATION ${OMNIROUTE_INSTALL_CMAKEDIR})

write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/omniroute-config-version.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)

install(FILES
    ${PROJECT_BINARY_DIR}/omniroute-config.cmake
    ${PROJECT_BINARY_DIR}/omniroute-config-version.cmake
  DESTINATION ${OMNIROUTE_INSTALL_CMAKEDIR}
  COMPONENT omniroute_Development)
