# Installing and packaging sluice. `cmake --install` puts under the prefix: the `sluice` binary,
# the public headers (include/sluice/ and the generated version.h; internal headers stay private),
# libsluice.a (sluice_public and every layer it links, merged into one archive, without debug
# information), a CMake package (find_package(sluice) gives sluice::sluice), a pkg-config file
# (sluice.pc) and the man page (help2man). `make package` builds a .deb of the same with CPack.
# packaging/check_install.sh, a test, checks all of it from a temporary prefix.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The project's own static libraries `target` links, directly or through others, itself included.
function(sluice_static_closure target out_var)
  set(closure "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue lib)
    if(lib IN_LIST closure OR NOT TARGET ${lib})
      continue()  # seen, or a link item that is not a target of this directory (a system library)
    endif()
    get_target_property(imported ${lib} IMPORTED)
    get_target_property(type ${lib} TYPE)
    if(imported OR NOT type STREQUAL "STATIC_LIBRARY")
      continue()  # a Debian package's library: sluiceConfig.cmake and sluice.pc find it
    endif()
    list(APPEND closure ${lib})
    get_target_property(links ${lib} LINK_LIBRARIES)
    if(links)
      list(APPEND queue ${links})
    endif()
  endwhile()
  set(${out_var} ${closure} PARENT_SCOPE)
endfunction()

# libsluice.a: one archive a user links, merged by an `ar -M` script from the closure's archives
# (object files of the same name in two layers both survive, as they would not with `ar x`).
sluice_static_closure(sluice_public sluice_archive_libs)
set(sluice_archive ${PROJECT_BINARY_DIR}/libsluice.a)
set(script "CREATE ${sluice_archive}\n")
foreach(lib IN LISTS sluice_archive_libs)
  string(APPEND script "ADDLIB $<TARGET_FILE:${lib}>\n")
endforeach()
string(APPEND script "SAVE\nEND\n")
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/libsluice.mri CONTENT "${script}")
add_custom_command(OUTPUT ${sluice_archive}
  COMMAND ${CMAKE_COMMAND} -E rm -f ${sluice_archive}
  COMMAND ${CMAKE_COMMAND} -DAR=${CMAKE_AR} -DSCRIPT=${PROJECT_BINARY_DIR}/libsluice.mri
    -P ${PROJECT_SOURCE_DIR}/cmake/MergeArchives.cmake
  COMMAND ${CMAKE_STRIP} --strip-debug ${sluice_archive}
  COMMAND ${CMAKE_RANLIB} ${sluice_archive}
  DEPENDS ${sluice_archive_libs} ${PROJECT_BINARY_DIR}/libsluice.mri
  COMMENT "Merging ${sluice_archive_libs} into libsluice.a"
  VERBATIM)
add_custom_target(sluice_archive ALL DEPENDS ${sluice_archive})

# The man page, from `sluice --help` and `sluice --version`.
find_program(SLUICE_HELP2MAN help2man)
if(SLUICE_HELP2MAN)
  set(sluice_man ${PROJECT_BINARY_DIR}/sluice.1)
  add_custom_command(OUTPUT ${sluice_man}.gz
    COMMAND ${SLUICE_HELP2MAN} --no-info --section=1
      "--name=run big partitioned data jobs inside a memory budget" --output=${sluice_man}
      $<TARGET_FILE:sluice>
    COMMAND gzip -9nf ${sluice_man}
    DEPENDS sluice
    COMMENT "Writing the man page sluice.1 with help2man"
    VERBATIM)
  add_custom_target(sluice_man ALL DEPENDS ${sluice_man}.gz)
  install(FILES ${sluice_man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man page (scripts/deps.sh installs it)")
endif()

install(TARGETS sluice RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sluice DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/sluice/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sluice)
install(FILES ${sluice_archive} DESTINATION ${CMAKE_INSTALL_LIBDIR})

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/sluice)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sluiceConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sluiceConfig.cmake INSTALL_DESTINATION ${config_dir}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR)
# 0.x: a minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sluiceConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sluiceConfig.cmake ${PROJECT_BINARY_DIR}/sluiceConfigVersion.cmake
  DESTINATION ${config_dir})

# sluice.pc finds the prefix from its own place (${pcfiledir}), so the tree may move.
file(RELATIVE_PATH pc_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(${PROJECT_SOURCE_DIR}/packaging/sluice.pc.in ${PROJECT_BINARY_DIR}/sluice.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sluice.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# `make package`: a .deb of all the above under /usr. Its dependencies come from dpkg-shlibdeps.
set(SLUICE_PACKAGE_CONTACT "sluice developers <root@localhost>" CACHE STRING
  "Maintainer of the .deb that `make package` builds")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sluice)
set(CPACK_PACKAGE_CONTACT ${SLUICE_PACKAGE_CONTACT})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "runs big partitioned data jobs at the full speed of one machine inside a memory budget")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
