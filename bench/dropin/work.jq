map(select(.id % 3 != 0) | .name |= ascii_upcase)
| group_by(.tag)
| map({tag: .[0].tag, n: length, names: (map(.name) | join(",") | length), sum: (map(.v) | add)})
