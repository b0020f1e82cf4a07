# Runs `zd-bench --quick` over the chain paths (one, two and three native streamers, and the
# one-way latency through them) and checks that it exits 0 and prints the chained-hubs table
# with a figure in each of the zd, zd2 and zd3 columns, and the per-hop goal.
execute_process(
  COMMAND ${ZD_BENCH} --quick --patterns streamer,streamer-latency --paths zd,zd2,zd3
          --zd-args "--engine native" --devices-dir ${DEVICES_DIR}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors
  TIMEOUT 12)
message("${output}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "zd-bench exited with '${result}'; stderr:\n${errors}")
endif()
set(number "[0-9.]+( [kM])?")
if(NOT output MATCHES "\\| streamer \\| tcp \\| 16 B \\| msg/s \\| ${number} \\| ${number} \\| ${number} \\| [0-9.]+x \\| [0-9.]+x \\| [0-9.]+x \\|")
  message(FATAL_ERROR "no chained streamer row with all three paths in the output")
endif()
if(NOT output MATCHES "\\| streamer-latency \\| tcp \\| 16 B \\| p50 µs \\| ${number} \\| ${number} \\| ${number} \\|")
  message(FATAL_ERROR "no chained streamer-latency row in the output")
endif()
if(NOT output MATCHES "each extra hop of a zd streamer or forwarder costs at most 15%")
  message(FATAL_ERROR "no per-hop goal in the output")
endif()
