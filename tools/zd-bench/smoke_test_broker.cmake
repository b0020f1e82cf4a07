# Runs the broker patterns briefly: `zd-bench --quick -p broker,broker-latency,broker-memory`
# with two workers and a small memory run (a short request timeout, so that the broker
# forgets the unknown names soon), and checks that it exits 0 and prints a figure for each
# of the direct, zmq_proxy and zd paths, a federated row (zd-fed: two brokers joined by
# --peer) beside zd, and both rows of the memory table.
execute_process(
  COMMAND ${ZD_BENCH} --quick --patterns broker,broker-latency,broker-memory
          --broker-workers 2 --memory-requests 3000 --memory-names 2000
          --paths direct,zmq_proxy,zd,zd-fed
          --memory-request-timeout 300
          --devices-dir ${DEVICES_DIR}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors
  TIMEOUT 13)
message("${output}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "zd-bench exited with '${result}'; stderr:\n${errors}")
endif()
set(number "[0-9.]+( [kM])?")
set(three "${number} \\| ${number} \\| ${number} \\| [0-9.]+x \\|")
if(NOT output MATCHES "\\| broker, 2 workers \\| tcp \\| 16 B \\| req/s \\| ${three}")
  message(FATAL_ERROR "no pipelined broker row with all three paths in the output")
endif()
if(NOT output MATCHES "\\| broker-latency \\| tcp \\| 16 B \\| p50 µs \\| ${three}")
  message(FATAL_ERROR "no broker-latency p50 row with all three paths in the output")
endif()
if(NOT output MATCHES "\\| broker-latency \\| tcp \\| 16 B \\| p50 µs \\| ${number} \\| ${number} \\| [0-9.]+x \\|")
  message(FATAL_ERROR "no federated broker-latency row (zd beside zd-fed) in the output")
endif()
foreach(phase "requests through 4 workers" "distinct unknown service names")
  if(NOT output MATCHES "\\| ${phase}[^|]* \\| [0-9.]+ k? ?\\| [0-9.]+ \\| [0-9.]+ \\|")
    message(FATAL_ERROR "no broker memory row '${phase}' in the output")
  endif()
endforeach()
if(NOT output MATCHES "2 k mmi.service answers \"404\"")
  message(FATAL_ERROR "the broker did not answer 404 to every mmi.service for an unknown name")
endif()
