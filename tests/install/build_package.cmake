# The fixture of the DebianPackage tests: builds the .deb with CPack into DIR
# (fresh each time, so no stale package is tested) and unpacks it into
# DIR/root with dpkg-deb, as the tests' temporary prefix.
#   cmake -DBUILD_DIR=... -DCPACK=... -DDIR=... -P build_package.cmake
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}/root")
find_program(DPKG_DEB dpkg-deb)
if(NOT DPKG_DEB)
  message(STATUS "dpkg-deb is not installed: no package built (the tests skip)")
  return()
endif()
execute_process(COMMAND "${CPACK}" -G DEB --config "${BUILD_DIR}/CPackConfig.cmake" -B "${DIR}"
                WORKING_DIRECTORY "${BUILD_DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cpack -G DEB failed (${rc})")
endif()
file(GLOB debs "${DIR}/*.deb")
list(LENGTH debs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "cpack wrote ${n} .deb files into ${DIR}, not one")
endif()
execute_process(COMMAND "${DPKG_DEB}" -x ${debs} "${DIR}/root" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dpkg-deb -x ${debs} failed (${rc})")
endif()
