# What `cmake --install` puts beside the program and the plugins (their own
# rules are in core/cli and plugins/), and the Debian package made from the
# same install: `cpack -G DEB` in the build folder (docs/install.md).
#
# Installed layout (PREFIX is /usr/local by default, /usr in the package):
#   bin/kinspect, bin/kubectl-kinspect -> kinspect
#   lib/kinspect/plugins/*.so
#   share/kinspect/checks, share/kinspect/profiles, share/kinspect/schemas (kubernetes.json)
#   share/man/man1/kinspect.1, share/bash-completion/completions/kinspect,
#   share/zsh/vendor-completions/_kinspect
#   share/doc/kinspect/ (README, docs, examples/cluster)
#   include/kinspect, lib*/cmake/kinspect-sdk (the plugin SDK)

install(DIRECTORY checks/ DESTINATION ${KINSPECT_DATA_INSTALL_DIR}/checks)
install(DIRECTORY profiles/ DESTINATION ${KINSPECT_DATA_INSTALL_DIR}/profiles)
install(FILES schemas/kubernetes.json schemas/SOURCES.md DESTINATION ${KINSPECT_DATA_INSTALL_DIR}/schemas)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The example cluster, so an installed kinspect has something to inspect at once:
#   kinspect run --snapshot /usr/share/doc/kinspect/examples/cluster
install(DIRECTORY examples/cluster DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_PACKAGE_NAME kinspect)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "find what is wrong with a Kubernetes cluster before its operators do")
set(CPACK_PACKAGE_DESCRIPTION
    "kinspect inspects Kubernetes clusters, their nodes and their networks with checks written in KCQL, a small\n"
    "SQL-like language, over tables of facts that plugins serve (the API server, snapshots, /proc, firewall rules,\n"
    "eBPF). It reports in the terminal, JSON, HTML, JUnit and Prometheus formats, and also runs as kubectl kinspect.")
set(CPACK_PACKAGE_CONTACT "kinspect maintainers <maintainers@users.noreply.r-seed-8b37dbed.example>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The network profile runs iptables-save, ip6tables-save and nft when they are there.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "iptables, nftables")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kubectl")
# Library dependencies from the binaries themselves (dpkg-shlibdeps, in
# dpkg-dev; CPack finds the binaries with `file`), else a list for Debian 12.
find_program(KINSPECT_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(KINSPECT_FILE_TOOL file)
if(KINSPECT_DPKG_SHLIBDEPS AND KINSPECT_FILE_TOOL)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, libstdc++6, libboost-json1.81.0, libboost-program-options1.81.0, libboost-filesystem1.81.0, libssl3, "
      "libyaml-cpp0.7, libre2-9, libarchive13, libbpf1, libmnl0, libldns3, libsystemd0, libnghttp2-14, libsimdjson14, zlib1g")
endif()
# A package ships stripped binaries (debuggers read the build tree's), and
# gzip keeps `cpack` quick.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
# `cpack` alone makes the .deb; `cpack -G TGZ` the archive krew installs
# (deploy/krew/kinspect.yaml). The .deb installs under /usr (its default prefix).
set(CPACK_GENERATOR DEB)
include(CPack)
