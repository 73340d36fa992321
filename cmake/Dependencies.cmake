# System packages only (Debian bookworm). A missing package is a configure error naming the Debian
# package that provides it; scripts/setup.sh installs all of them.
find_package(PkgConfig REQUIRED)

macro(cg_require found what package)
  if(NOT ${found})
    message(FATAL_ERROR "consolegate: ${what} not found. Install the Debian package '${package}' "
                        "(scripts/setup.sh installs every dependency).")
  endif()
endmacro()

find_package(Boost 1.81.0 EXACT CONFIG COMPONENTS json url)
cg_require(Boost_FOUND "Boost 1.81 (Asio, Beast, JSON, URL)"
           "libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev")

find_package(OpenSSL 3)
cg_require(OPENSSL_FOUND "OpenSSL 3" "libssl-dev")

# Debian ships only a pkg-config file for c-ares (no CMake package).
pkg_check_modules(CARES IMPORTED_TARGET libcares>=1.18)
cg_require(CARES_FOUND "c-ares >= 1.18" "libc-ares-dev")
add_library(cg::cares ALIAS PkgConfig::CARES)

# HTTP/2 to clients (proxy/h2_framing.cpp): Debian's libnghttp2-dev.
pkg_check_modules(NGHTTP2 IMPORTED_TARGET libnghttp2)
cg_require(NGHTTP2_FOUND "libnghttp2" "libnghttp2-dev")
add_library(cg::nghttp2 ALIAS PkgConfig::NGHTTP2)

# sd_notify for Type=notify units; Debian ships only a pkg-config file.
pkg_check_modules(SYSTEMD IMPORTED_TARGET libsystemd)
cg_require(SYSTEMD_FOUND "libsystemd" "libsystemd-dev")
add_library(cg::systemd ALIAS PkgConfig::SYSTEMD)

find_package(tomlplusplus 3.3 CONFIG)
cg_require(tomlplusplus_FOUND "toml++ 3.3" "libtomlplusplus-dev")

find_package(SQLite3)
cg_require(SQLite3_FOUND "SQLite 3" "libsqlite3-dev")

# libpq for the PostgreSQL audit store; Debian ships a pkg-config file.
pkg_check_modules(PQ IMPORTED_TARGET libpq)
cg_require(PQ_FOUND "libpq" "libpq-dev")
add_library(cg::pq ALIAS PkgConfig::PQ)

# MIT Kerberos GSSAPI for Proxy-Authenticate: Negotiate (identity/kerberos.cpp only).
pkg_check_modules(KRB5 IMPORTED_TARGET krb5-gssapi krb5)
cg_require(KRB5_FOUND "MIT krb5 GSSAPI" "libkrb5-dev")
add_library(cg::krb5 ALIAS PkgConfig::KRB5)

# OpenLDAP's libldap for group membership from a directory (identity/ldap_groups.cpp only).
pkg_check_modules(LDAP IMPORTED_TARGET ldap)
cg_require(LDAP_FOUND "OpenLDAP libldap" "libldap-dev")
add_library(cg::ldap ALIAS PkgConfig::LDAP)

find_package(pugixml CONFIG)
cg_require(pugixml_FOUND "pugixml" "libpugixml-dev")

find_package(Threads REQUIRED)

if(CG_TESTS OR CG_FUZZ)
  find_package(GTest 1.12 CONFIG)
  cg_require(GTest_FOUND "GoogleTest 1.12" "libgtest-dev")
endif()
