# `cmake --install`: the public headers, libaoi (.a, or .so with a SONAME),
# the aoi CLI, a CMake package (find_package(aoi) -> aoi::aoi) and aoi.pc.
include(CMakePackageConfigHelpers)

install(FILES
    ${PROJECT_SOURCE_DIR}/include/aoi/aoi.h
    ${PROJECT_SOURCE_DIR}/include/aoi/inspector.hpp
    ${PROJECT_SOURCE_DIR}/include/aoi/error.hpp
    ${PROJECT_SOURCE_DIR}/include/aoi/export.h
    ${PROJECT_BINARY_DIR}/include/aoi/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/aoi COMPONENT dev)
install(TARGETS aoi EXPORT aoiTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(AOI_BUILD_CLI)
  install(TARGETS aoi_cli aoi-convert RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/NOTICE
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/aoi COMPONENT runtime)

set(AOI_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/aoi)
install(EXPORT aoiTargets NAMESPACE aoi:: DESTINATION ${AOI_CMAKE_DIR} COMPONENT dev)
# What aoiConfig.cmake must find again for a static libaoi (the shared one
# carries its dependencies itself).
if(BUILD_SHARED_LIBS)
  set(AOI_CONFIG_STATIC OFF)
else()
  set(AOI_CONFIG_STATIC ON)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/aoiConfig.cmake.in
  ${PROJECT_BINARY_DIR}/aoiConfig.cmake INSTALL_DESTINATION ${AOI_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/aoiConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/aoiConfig.cmake ${PROJECT_BINARY_DIR}/aoiConfigVersion.cmake
  DESTINATION ${AOI_CMAKE_DIR} COMPONENT dev)

# pkg-config: Requires.private names the .pc files Debian's -dev packages ship;
# Libs.private the C++ runtime and what has no .pc file.
set(AOI_PC_REQUIRES_PRIVATE "libjpeg libpng")
set(AOI_PC_LIBS_PRIVATE "-lstdc++ -lm -lpthread")
if(AOI_WITH_TIFF)
  string(APPEND AOI_PC_REQUIRES_PRIVATE " libtiff-4")
endif()
if(AOI_THREADS STREQUAL "tbb")
  string(APPEND AOI_PC_REQUIRES_PRIVATE " tbb")
endif()
if(AOI_WITH_OPENBLAS)
  string(APPEND AOI_PC_REQUIRES_PRIVATE " openblas")
endif()
# Relocatable: the prefix is found from the .pc file's own folder, so an
# install with `cmake --install --prefix DIR` (or a copied tree) works.
file(RELATIVE_PATH AOI_PC_PREFIX_FROM_PCDIR "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
configure_file(${PROJECT_SOURCE_DIR}/cmake/aoi.pc.in ${PROJECT_BINARY_DIR}/aoi.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/aoi.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
