# cmake -DAR=ar -DSCRIPT=file.mri -P MergeArchives.cmake: runs an `ar -M` script (it reads the
# script on standard input, which a custom command cannot redirect portably).
execute_process(COMMAND ${AR} -M INPUT_FILE ${SCRIPT} RESULT_VARIABLE status ERROR_VARIABLE error)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${AR} -M < ${SCRIPT} failed (${status}): ${error}")
endif()
