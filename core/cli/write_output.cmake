# cmake -DEXE=program -DARGS="arg ..." -DOUT=file -P write_output.cmake
# Runs the program and writes what it prints to OUT (a build step without a
# shell's >; OUT appears only when the program succeeded).
separate_arguments(args UNIX_COMMAND "${ARGS}")
get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
execute_process(COMMAND "${EXE}" ${args} OUTPUT_FILE "${OUT}.tmp" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "${EXE} ${ARGS} failed (${rc})")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
