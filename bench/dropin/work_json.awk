# jq's input of size n (awk -v n=N -f work_json.awk): n records of a few fields each.
BEGIN {
  printf "["
  for (i = 0; i < n; i++)
    printf "%s{\"id\":%d,\"name\":\"item%d\",\"tag\":\"t%d\",\"v\":%d,\"xs\":[%d,%d,\"%s\"]}",
      (i ? "," : ""), i, i, i % 17, i * 7 % 1000, i, i + 1, "p" i
  print "]"
}
