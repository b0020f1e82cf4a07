# Runs `zd-bench --quick --curve -p streamer -s 100` and checks that it exits 0, prints the
# CURVE table's streamer row with a figure for plain zd and for zd-curve and their ratio, and
# the handshake table's plain and CURVE rows. CTest's PASS_REGULAR_EXPRESSION would ignore
# the exit code, hence this script.
execute_process(
  COMMAND ${ZD_BENCH} --quick --curve --patterns streamer --sizes 100 --devices-dir ${DEVICES_DIR}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors
  TIMEOUT 25)
message("${output}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "zd-bench exited with '${result}'; stderr:\n${errors}")
endif()
set(number "[0-9.]+( [kM])?")
# | streamer | tcp | 100 B | msg/s | <zd> | <zd-curve> | <ratio>x | >= 0.25x | ...
if(NOT output MATCHES "\\| streamer \\| tcp \\| 100 B \\| msg/s \\| ${number} \\| ${number} \\| [0-9.]+x \\| >= 0.25x \\|")
  message(FATAL_ERROR "no CURVE table row for the streamer with plain and zd-curve figures")
endif()
# | tcp | plain | 5 | <median> | <slowest> |
foreach(kind plain CURVE)
  if(NOT output MATCHES "\\| tcp \\| ${kind} \\| 5 \\| [0-9.]+ \\| [0-9.]+ \\|")
    message(FATAL_ERROR "no ${kind} row in the handshake table")
  endif()
endforeach()
if(NOT output MATCHES "a new CURVE client's connect and first round trip")
  message(FATAL_ERROR "no handshake goal in the goals")
endif()
