// The results table of ./heaptwin bench: rows of measurements and the ratios between them.
#ifndef HEAPTWIN_BENCH_TABLE_H_
#define HEAPTWIN_BENCH_TABLE_H_

#include <string>

namespace heaptwin::bench {

// A measurement named "<row>/<column>", in ns per unit of work.
void record(const std::string& name, double ns_per_unit);

// How to read a row: which column is the baseline, what the ratio must stay under (0: none),
// or, for throughput rows, the rate a column must reach.
void describe_ratio(const std::string& row, const std::string& numerator,
                    const std::string& denominator, double max_ratio, const std::string& goal);
void describe_rate(const std::string& row, const std::string& column, double min_per_second,
                   const std::string& unit);

// Rows measured outside this process (bench/*.sh: fuzz engines, the drop-in library), one per
// line, tab-separated, '#' comments:
//   value  <row>  <column>  <ns per unit>   (a column named "... instructions": a count)
//   ratio  <row>  <numerator column>  <denominator column>  <max ratio, 0: none>  <goal text>
//   rate   <row>  <column>  <min per second, 0: none>  <unit>
// False and *error ("FILE:LINE: what was expected") on a malformed line.
bool load_rows(const std::string& path, std::string* error);

// What was measured in this run, in load_rows' format.
std::string format_rows();

std::string format_table();

}  // namespace heaptwin::bench

#endif  // HEAPTWIN_BENCH_TABLE_H_
