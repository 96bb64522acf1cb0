# cmake -DDOXYGEN=... -DSOURCE=<sink's root> -DOUT=<dir> -P run_doxygen.cmake
# Builds the API reference from docs/Doxyfile into OUT; fails on any doxygen
# warning (the Doxyfile says FAIL_ON_WARNINGS). The CTest test docs.reference
# runs it, so ./dev test checks what ./dev docs builds.
file(READ "${SOURCE}/docs/Doxyfile" config)
string(APPEND config "\nOUTPUT_DIRECTORY = ${OUT}\n")
file(MAKE_DIRECTORY "${OUT}")
file(WRITE "${OUT}/Doxyfile.generated" "${config}")
# Doxyfile paths are relative to sink's root.
execute_process(COMMAND "${DOXYGEN}" "${OUT}/Doxyfile.generated" WORKING_DIRECTORY "${SOURCE}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "doxygen failed (${status}): every public call must be documented, without warnings")
endif()
