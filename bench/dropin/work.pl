my $n = shift;
my %h;
for my $i (1 .. $n) { $h{"key$i"} = join(',', map { "v$_" } 1 .. ($i % 10 + 1)); }
my @k = sort keys %h;
my $total = 0;
for my $k (@k) {
  my @p = split /,/, $h{$k};
  $total += scalar(@p);
  $h{$k} = uc($h{$k}) . reverse($k);
}
my $s = join(';', map { "$_=$h{$_}" } @k[0 .. ($n < 100 ? $n - 1 : 99)]);
print scalar(@k), " $total ", length($s), "\n";
