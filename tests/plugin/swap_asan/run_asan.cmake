# ctest registry_swap_asan: configure, build and run the AddressSanitizer
# build of the registry swap test. -DSRC=<this folder> -DBUILD=<build folder>
# -DLAUNCHER=<the main build's compiler launcher, ccache or empty>.
foreach(step IN ITEMS configure build run)
  if(step STREQUAL "configure")
    set(cmd ${CMAKE_COMMAND} -S ${SRC} -B ${BUILD} -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
  elseif(step STREQUAL "build")
    set(cmd ${CMAKE_COMMAND} --build ${BUILD})
  else()
    set(cmd ${BUILD}/swap_tests_asan)
  endif()
  execute_process(COMMAND ${cmd} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "registry_swap_asan: ${step} failed (${rc})")
  endif()
endforeach()
