#!/usr/bin/env bash
# What goes in and what comes out, on real traffic through a streamer: how zd-send cuts input
# into messages and frames (-s, -0, -n, --rate) and how zd-recv prints them (text, hex, json,
# msgpack).
#
#   zd-send [-s SEP] [-0] [-n N] ──> [zd-streamer] ──> zd-recv --format F
# shellcheck disable=SC2154  # NAME_frontend etc. are set by start_device via printf -v
source "$(dirname "$0")/tools_lib.sh"

start_device s "$ZD_STREAMER" -f @tcp://127.0.0.1:* -b @tcp://127.0.0.1:*

# receive_one FORMAT_ARGS... -- SEND_ARGS...: one message through the streamer (one in
# flight at a time, so a receiver that exits after -n 1 never takes another's message).
# Output in $work/one.
receive_one() {
    local recv_args=()
    while [[ $1 != -- ]]; do
        recv_args+=("$1")
        shift
    done
    shift
    "$ZD_RECV" -n 1 --timeout 10000 "${recv_args[@]}" "$s_backend" >"$work/one" \
        2>"$work/recv.log" &
    local receiver=$!
    children+=("$receiver")
    run "$work/out" "$work/err" "$ZD_SEND" "$@"
    expect_rc 0 "zd-send $*"
    wait_exit "$receiver" "zd-recv ${recv_args[*]}"
    expect_rc 0 "zd-recv -n 1 ${recv_args[*]}"
}

# Four frames: tab, control and non-UTF-8 bytes, an empty frame, and UTF-8 text.
tricky=$'a\tb\x01\xff|x||gr\xc3\xbc\xc3\x9f'

step "text: frames joined by ' | ', bytes that break lines escaped, UTF-8 kept"
receive_one -- -s '|' "$s_frontend" "$tricky"
expect_equal "$(cat "$work/one")" $'a\\tb\\x01\\xff | x |  | gr\xc3\xbc\xc3\x9f' "text output"

step "text with another separator"
receive_one -s ' / ' -- -s '|' "$s_frontend" "$tricky"
expect_equal "$(cat "$work/one")" $'a\\tb\\x01\\xff / x /  / gr\xc3\xbc\xc3\x9f' "text output, -s ' / '"

step "hex"
receive_one --format hex -- -s '|' "$s_frontend" "$tricky"
expect_equal "$(cat "$work/one")" "61096201ff | 78 |  | 6772c3bcc39f" "hex output"

step "json: one array of frames per line, valid JSON"
receive_one --format json -- -s '|' "$s_frontend" "$tricky"
"$PYTHON" - "$work/one" <<'EOF' || fail "json output: $(cat "$work/one")"
import json, sys
line = open(sys.argv[1], encoding="utf-8").read()
assert line.endswith("\n") and line.count("\n") == 1, repr(line)
assert json.loads(line) == ["a\tb\x01\xff", "x", "", "grüß"], json.loads(line)
EOF

step "msgpack: each frame decoded and printed as JSON, undecodable frames shown"
# {"a":1,"b":[true,nil]} | bin 0xabcd | "hello" (not one msgpack value) | -1 | "hé"
msgpack=$'\x82\xa1a\x01\xa1b\x92\xc3\xc0|\xc4\x02\xab\xcd|hello|\xff|\xa3h\xc3\xa9'
receive_one --format msgpack -- -s '|' "$s_frontend" "$msgpack"
# shellcheck disable=SC2016  # literal JSON, nothing to expand
expect_equal "$(cat "$work/one")" \
    '[{"a":1,"b":[true,null]},{"$bin":"abcd"},{"$invalid_msgpack":"extra bytes after the value","size":5,"hex":"68656c6c6f"},-1,"hé"]' \
    "msgpack output"

step "-0: NUL-terminated records may hold newlines"
"$ZD_RECV" -n 2 --timeout 10000 --format json "$s_backend" >"$work/null" 2>"$work/recv.log" &
receiver=$!
children+=("$receiver")
rc=0
printf 'one\ntwo\0three\0' | bounded "$ZD_SEND" -0 "$s_frontend" 2>"$work/err" || rc=$?
expect_rc 0 "zd-send -0"
wait_exit "$receiver" "zd-recv after -0"
expect_equal "$(cat "$work/null")" $'["one\\ntwo"]\n["three"]' "records read with -0"

step "lines: empty lines are empty messages, a last line without newline counts"
"$ZD_RECV" -n 3 --timeout 10000 --format json "$s_backend" >"$work/lines" 2>"$work/recv.log" &
receiver=$!
children+=("$receiver")
rc=0
printf 'x\n\ny' | bounded "$ZD_SEND" "$s_frontend" 2>"$work/err" || rc=$?
expect_rc 0 "zd-send from lines"
wait_exit "$receiver" "zd-recv after lines"
expect_equal "$(cat "$work/lines")" $'["x"]\n[""]\n["y"]' "messages from lines"

step "-n cycles through the arguments"
"$ZD_RECV" -n 5 --timeout 10000 "$s_backend" >"$work/cycled" 2>"$work/recv.log" &
receiver=$!
children+=("$receiver")
run "$work/out" "$work/err" "$ZD_SEND" -n 5 "$s_frontend" a b
expect_rc 0 "zd-send -n 5 a b"
wait_exit "$receiver" "zd-recv after -n"
expect_equal "$(cat "$work/cycled")" $'a\nb\na\nb\na' "-n 5 with two arguments"

step "-n stops reading stdin after COUNT messages"
receive_one -- -n 1 "$s_frontend" <<<$'first\nsecond'
expect_equal "$(cat "$work/one")" "first" "-n 1 from stdin"
run "$work/out" "$work/err" "$ZD_RECV" -n 1 --timeout 300 "$s_backend"
expect_rc 1 "nothing after the first line"

step "--rate paces the messages"
"$ZD_RECV" -n 20 --timeout 10000 "$s_backend" >"$work/paced" 2>"$work/recv.log" &
receiver=$!
children+=("$receiver")
started=$(date +%s%N)
run "$work/out" "$work/err" "$ZD_SEND" -n 20 --rate 100 "$s_frontend" tick
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
expect_rc 0 "zd-send --rate 100"
wait_exit "$receiver" "zd-recv after --rate"
expect_equal "$(wc -l <"$work/paced")" 20 "messages sent with --rate"
# 20 messages at 100/s: the last leaves 190 ms after the first.
((elapsed_ms >= 190)) || fail "--rate 100 sent 20 messages in $elapsed_ms ms (expected >= 190)"
echo "ok"
