# Install rules and a Debian package (CPack DEB): the binary, the systemd unit, the sysusers
# entry, example configuration and the docs. `cmake --install build --prefix /usr/local` installs
# for a hand-made host; `cpack --config build/CPackConfig.cmake` (target `deb`) builds
# consolegate_<version>-1_<arch>.deb with prefix /usr. See docs/deploy.md.
include(GNUInstallDirs)
# `install` (and so cpack) installs what is built, without building the whole test suite first;
# the `deb` target depends on the binary itself.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(cg_doc_dir ${CMAKE_INSTALL_DATADIR}/doc/consolegate)

install(TARGETS consolegate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit names the binary by its installed path, known only at install time (CPack installs
# with prefix /usr whatever the build's prefix). Debian 12 keeps units under /lib (before the
# /usr merge); other prefixes get <prefix>/lib/systemd/system.
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/deploy/consolegate.service\" unit)
  string(REPLACE \"/usr/bin/consolegate\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/consolegate\" unit \"\${unit}\")
  file(WRITE \"${PROJECT_BINARY_DIR}/deploy/staged/consolegate.service\" \"\${unit}\")
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(unit_dir /lib/systemd/system)
  else()
    set(unit_dir \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  endif()
  file(INSTALL DESTINATION \"\${unit_dir}\" TYPE FILE
       FILES \"${PROJECT_BINARY_DIR}/deploy/staged/consolegate.service\")
")
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/sysusers.conf
        DESTINATION lib/sysusers.d RENAME consolegate.conf)

install(FILES README.md DESTINATION ${cg_doc_dir})
install(FILES config/README.md DESTINATION ${cg_doc_dir} RENAME configuration.md)
install(DIRECTORY docs/ DESTINATION ${cg_doc_dir}/docs)
install(FILES config/example.toml config/aliases.toml config/org-export.json
        DESTINATION ${cg_doc_dir}/examples)
install(DIRECTORY config/policies DESTINATION ${cg_doc_dir}/examples)
install(FILES deploy/proxy.pac DESTINATION ${cg_doc_dir}/examples)
install(DIRECTORY deploy/dns DESTINATION ${cg_doc_dir}/examples)
install(FILES deploy/debian/copyright DESTINATION ${cg_doc_dir})
# Debian wants changelog.Debian.gz, compressed reproducibly (gzip -n).
configure_file(${PROJECT_SOURCE_DIR}/deploy/debian/changelog
               ${PROJECT_BINARY_DIR}/deploy/changelog.Debian @ONLY)
install(CODE "execute_process(COMMAND gzip -n -9 -c \"${PROJECT_BINARY_DIR}/deploy/changelog.Debian\"
                              OUTPUT_FILE \"${PROJECT_BINARY_DIR}/deploy/changelog.Debian.gz\")")
install(FILES ${PROJECT_BINARY_DIR}/deploy/changelog.Debian.gz DESTINATION ${cg_doc_dir})
install(FILES deploy/debian/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME consolegate)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME consolegate)
set(CPACK_PACKAGE_VENDOR "consolegate authors")
set(CPACK_PACKAGE_CONTACT "consolegate maintainers <consolegate@example.com>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://consolegate.invalid/")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "egress gateway enforcing AWS console sign-in policy")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "consolegate is a DNS policy gateway and a TLS-inspecting proxy in one
process: people on a corporate network can sign in to the AWS console
only for the accounts the security team allows, and every attempt is
logged for review.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/debian/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

add_custom_target(deb COMMAND ${CMAKE_CPACK_COMMAND} --config ${PROJECT_BINARY_DIR}/CPackConfig.cmake
                  WORKING_DIRECTORY ${PROJECT_BINARY_DIR} DEPENDS consolegate
                  COMMENT "Building the Debian package")
