# Runs `zd-bench --quick -p streamer` and checks that it exits 0 and prints a table row
# with a number in each of the direct, zmq_proxy and zd columns. CTest's
# PASS_REGULAR_EXPRESSION would ignore the exit code, hence this script.
execute_process(
  COMMAND ${ZD_BENCH} --quick --patterns streamer --devices-dir ${DEVICES_DIR}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors
  TIMEOUT 12)
message("${output}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "zd-bench exited with '${result}'; stderr:\n${errors}")
endif()
# | streamer | tcp | 16 B | msg/s | <direct> | <zmq_proxy> | <zd> | <zd/zmq_proxy>x |
set(number "[0-9.]+( [kM])?")
if(NOT output MATCHES "\\| streamer \\| tcp \\| 16 B \\| msg/s \\| ${number} \\| ${number} \\| ${number} \\| [0-9.]+x \\|")
  message(FATAL_ERROR "no streamer row with all three paths in the output")
endif()
