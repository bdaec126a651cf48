# gawk, allocation-heavy: n generated records; an associative array of strings grown, deleted
# when long and emptied every 50,000 records, fields split. Prints a digest.
BEGIN {
  for (i = 1; i <= n; i++) {
    line = i " word" (i % 97) " " (i * 3)
    nf = split(line, parts, " ")
    key = parts[2] "-" (i % 5000)
    seen[key] = seen[key] parts[3] ","
    if (length(seen[key]) > 200) delete seen[key]
    if (i % 50000 == 0) for (k in seen) delete seen[k]
    total += nf
  }
  for (k in seen) left++
  print total, left + 0
}
