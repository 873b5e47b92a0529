# Runs Doxygen on SOURCE_DIR/Doxyfile with OUTPUT_DIRECTORY = OUTPUT_DIR (cmake -P, from CTest),
# in SOURCE_DIR so the Doxyfile's relative paths hold. Fails on a non-zero exit and, whatever the
# Doxyfile says, on any warning or error in Doxygen's output.
cmake_minimum_required(VERSION 3.25)

foreach(var DOXYGEN SOURCE_DIR OUTPUT_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "run_doxygen.cmake: -D${var}=... is required")
  endif()
endforeach()

# The repository's Doxyfile, with the output moved out of the source tree (later lines win).
file(READ ${SOURCE_DIR}/Doxyfile config)
string(APPEND config "\nOUTPUT_DIRECTORY = \"${OUTPUT_DIR}\"\n")
file(REMOVE_RECURSE ${OUTPUT_DIR})
file(MAKE_DIRECTORY ${OUTPUT_DIR})
file(WRITE ${OUTPUT_DIR}/Doxyfile.test "${config}")

execute_process(COMMAND ${DOXYGEN} ${OUTPUT_DIR}/Doxyfile.test
                WORKING_DIRECTORY ${SOURCE_DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR err MATCHES "(warning|error):" OR out MATCHES "(warning|error):")
  message(FATAL_ERROR "docs_doxygen: doxygen exited with ${rc}; its diagnostics:\n${err}${out}")
endif()
if(NOT EXISTS ${OUTPUT_DIR}/html/index.html)
  message(FATAL_ERROR "docs_doxygen: doxygen wrote no ${OUTPUT_DIR}/html/index.html")
endif()
message("docs_doxygen: API documentation built without warnings in ${OUTPUT_DIR}/html")
