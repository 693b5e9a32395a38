# ctest's torchscript_deploy: script and save in Python, load and check in C++.
execute_process(COMMAND "${PYTHON}" "${SOURCE_DIR}/make_scripted.py" "${LIBRARY}" "${MODULE}"
  RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "make_scripted.py failed (${rc})")
endif()
execute_process(COMMAND "${LOADER}" "${MODULE}" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "load_scripted failed (${rc})")
endif()
